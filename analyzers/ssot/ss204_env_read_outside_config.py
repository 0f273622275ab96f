from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from analyzers import paths
from analyzers.model import Finding, Principle, Related, Severity
from analyzers.rule import RuleMeta
from analyzers.ssot.index import EnvRead
from analyzers.ssot.repo import RepoIndex


class EnvReadOutsideConfig(RuleMeta):
    """
    What it does:
        Flags a read of the process environment (`os.environ[...]`, `os.environ.get`,
        `os.getenv`, `os.environ.setdefault`, `"X" in os.environ`, ...) outside the
        modules listed in `config-modules`. An error once `config-modules` is declared,
        a warning until then.

    Why is this bad?
        Configuration read all over the code base has no single place that says which
        variables exist, what their defaults are, or how they are parsed; two readers of
        one variable soon disagree on the default.

    Example:
        # app/mailer.py
        SMTP_HOST = os.environ.get("SMTP_HOST", "localhost")

    Use instead:
        from app.config import settings

        smtp_host = settings.smtp_host
    """

    id = "SS204"
    name = "env-read-outside-config"
    principle = Principle.CONFIGURATION_SSOT
    severity = Severity.ERROR


def find(repo: RepoIndex) -> Iterator[Finding]:
    config_modules = repo.config.config_modules
    declared = bool(config_modules)
    for module in repo.changed:
        if declared and paths.matches(module.path, config_modules):
            continue
        for read in module.facts.env_reads:
            if not module.touches(read.line, read.end_line):
                continue
            what = f"`{read.function}` of `{read.key}`" if read.key else f"`{read.function}`"
            related = _canonical_reads(repo, module.path, read, config_modules)
            if declared:
                message = f"{what} reads the environment outside the config modules"
                suggestion = (
                    "read it once in a config module ("
                    + ", ".join(f"`{m}`" for m in config_modules)
                    + ") and import the value from there"
                )
            else:
                message = f"{what} reads the environment outside a config module"
                suggestion = (
                    "read configuration in one module and import it; list that module "
                    "in `[tool.ssot] config-modules` to make this an error"
                )
            finding = repo.finding_at(
                EnvReadOutsideConfig, module.path, read.line, read.column, read.end_line,
                message, suggestion, related, read.key,
            )
            yield finding if declared else _as_warning(finding, repo)


def _canonical_reads(repo: RepoIndex, path: str, read: EnvRead,
                     config_modules: tuple[str, ...]) -> list[Related]:
    """Other places that read the same variable, config modules first."""
    if read.key is None:
        return []
    places = [
        (other_path, other) for other_path, facts in repo.modules.items() if other_path != path
        for other in facts.env_reads if other.key == read.key
    ]
    places.sort(key=lambda p: (not paths.matches(p[0], config_modules), p[0], p[1].line))
    return [Related(p, r.line, f"also reads `{read.key}`") for p, r in places]


def _as_warning(finding: Finding, repo: RepoIndex) -> Finding:
    """Without declared config modules there is no canonical place yet: warn, unless the
    repo's config sets this rule's severity explicitly."""
    if EnvReadOutsideConfig.id in repo.config.severity:
        return finding
    return replace(finding, severity=Severity.WARNING)

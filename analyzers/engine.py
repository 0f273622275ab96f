"""The audit: from an `AuditRequest` to an `AuditResult`, with no I/O.

Data flow: config -> pick the files to audit -> `analyze_file` on each (parse once, one
batched walk for every file rule; parallel when the caller passes a process pool's `map`)
-> cross-file checks over per-file facts -> suppressions -> verdict and checklist.

Invariant: nothing raised while auditing one file escapes; it becomes an SX note for
that file, and the other files are still audited.
"""

from __future__ import annotations

import ast
import hashlib
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, replace

from analyzers import paths
from analyzers.config import (
    AcceptableDuplicate,
    AuditConfig,
    ConfigProblem,
    line_of_key,
    load_config,
)
from analyzers.evidence import Use, collect_uses, positive_evidence
from analyzers.fixes import Fixer
from analyzers.fixes.plan import attach_fixes
from analyzers.model import (
    FLAGGED_LINES_KEPT,
    POSITIVE_KEPT,
    AuditRequest,
    AuditResult,
    ChangeStatus,
    ChecklistRow,
    FileChange,
    Finding,
    Mode,
    ParallelMap,
    Principle,
    Stats,
    Status,
    Suppression,
    SuppressionKind,
    Verdict,
)
from analyzers.notes import UNAUDITED_NOTES
from analyzers.registry import (
    ALL_RULES,
    CROSS_FILE_CHECKS,
    CROSS_FILE_RULES,
    FACT_EXTRACTORS,
    FILE_RULES,
    CrossFileCheck,
    Project,
)
from analyzers.rule import FileRule, Hit, RuleMeta
from analyzers.silent_failures.peers import overlaps as peer_overlaps
from analyzers.silent_failures.severity import capped_in_tests_and_examples
from analyzers.source import ParsedFile, ParseFailure, SuppressionComment, parse
from analyzers.ssot.neighbours import project_neighbours
from analyzers.syntax_diff import syntax_changed_lines

PYTHON_SUFFIXES = (".py",)
_RULES_BY_ID: dict[str, type[RuleMeta]] = {rule.id: rule for rule in ALL_RULES}


@dataclass(frozen=True, slots=True)
class FileJob:
    path: str
    data: bytes
    changed_lines: frozenset[int] | None
    config: AuditConfig
    base: bytes | None = None
    """Contents at base, to tell changes of syntax from changes of layout."""
    evidence: bool = False
    """Collect the names the counted lines use, for the positive evidence."""


@dataclass(frozen=True, slots=True)
class FileAnalysis:
    path: str
    lines: int
    findings: tuple[Finding, ...]
    """File-rule findings that touch counted lines, before suppressions."""
    suppressions: tuple[SuppressionComment, ...]
    """Suppression comments on counted lines."""
    facts: Mapping[str, object]
    """Fact family name -> facts, for the cross-file checks (empty if not parsed)."""
    changed_lines: frozenset[int] | None = None
    """For a changed file, the job's changed lines less those whose statement kept its syntax (see
    `syntax_diff`); what every rule and check counts."""
    uses: tuple[Use, ...] = ()
    """Names the counted lines read (`evidence.collect_uses`), when the job asked."""


FactsCache = MutableMapping[bytes, Mapping[str, object]]
"""Per-file facts by the file's git blob id (`blob_id`, 20 bytes); the caller keeps it
between audits."""


def audit(
    request: AuditRequest,
    *,
    map_files: ParallelMap = map,
    processes: int = 1,
    facts_cache: FactsCache | None = None,
    fixer: Fixer | None = None,
) -> AuditResult:
    """Audit a change. `map_files` runs the per-file work and a whole tree's duplicate
    matching; pass a process pool's `map` and its `processes` to use every core (the
    functions and their arguments pickle). `facts_cache` keeps context files' facts
    between audits, so an unchanged file is never parsed twice.
    `fixer` runs the libcst codemods (`analyzers.fixes.run.fix_files`) for the findings
    that count; the caller picks the process (libcst can crash its process), and
    without one no finding has a fix."""
    started = time.perf_counter()
    config, problems = load_config(request.config_text, request.config_path)
    problems += _catalogue_problems(config, request) + _unmatched_globs(config, request)
    findings: list[Finding] = [_config_finding(request.config_path, p) for p in problems]
    jobs: list[FileJob] = []
    for change in request.changes:
        skipped = _skip_reason(change, config)
        if skipped is None:
            assert change.head is not None
            jobs.append(FileJob(change.path, change.head, change.changed_lines, config,
                                change.base, evidence=request.mode is Mode.DIFF))
        elif isinstance(skipped, Finding):
            findings.append(skipped)
    analyses = _analyses(jobs, request, map_files, facts_cache)
    for analysis in analyses:
        findings.extend(analysis.findings)
    request = _with_counted_lines(request, analyses)
    facts = {a.path: a.facts for a in analyses}
    notes = request.notes
    if _needs_facts(config):
        context, unreadable = _context_facts(request, config, facts, map_files, facts_cache)
        facts.update(context)
        if unreadable:
            notes += (f"{len(unreadable):,} context file(s) could not be read (e.g. "
                      f"`{unreadable[0]}`); the cross-file checks did not see them.",)
    neighbours = project_neighbours([a.path for a in analyses], facts, config.max_neighbours)
    project = Project(request=request, config=config, analyses=tuple(analyses), facts=facts,
                      neighbours=neighbours, map_work=map_files, processes=processes)
    counted = {c.path: c.changed_lines for c in request.changes}
    cross_file: list[Finding] = []
    for check in CROSS_FILE_CHECKS if _needs_facts(config) else ():
        cross_file.extend(f for f in _run_check(check, project)
                          if f.rule.startswith("SX") or (
                              f.path in counted and _counts(f, counted[f.path])))
    findings.extend(_one_per_construct(cross_file))
    findings = [f for f in findings if not _ignored_here(f, config)]
    findings = _apply_suppressions(findings, analyses, config)
    findings = [_with_severity(f, config) for f in findings]
    if fixer is not None:
        findings = attach_fixes(findings, project, fixer)
    findings = _with_code(findings, request.changes)
    findings.sort(key=lambda f: (f.path, f.line, f.column, f.rule))
    has_blocking = any(f.blocks for f in findings)
    checklist = _checklist(findings, config)
    if request.mode is Mode.DIFF and _needs_facts(config):
        checklist = _with_positive_evidence(checklist, project, analyses)
    return AuditResult(
        verdict=Verdict.NO_GO if has_blocking else Verdict.GO,
        mode=request.mode,
        findings=tuple(findings),
        checklist=checklist,
        stats=Stats(
            files_changed=len(request.changes),
            files_analyzed=len(analyses),
            context_files=len(context_paths(request)),
            lines_analyzed=sum(a.lines for a in analyses),
            seconds=round(time.perf_counter() - started, 3),
            findings=sum(1 for f in findings if not f.suppressed),
            suppressed=sum(1 for f in findings if f.suppressed),
            neighbours=project.neighbours,
        ),
        notes=notes,
    )


def _analyses(jobs: Sequence[FileJob], request: AuditRequest, map_files: ParallelMap,
              cache: FactsCache | None) -> list[FileAnalysis]:
    """Each changed file's analysis: from the cache when the same file was analysed the
    same way before (an audit run again, a pull request pushed to with other files),
    else by `analyze_file`."""
    if cache is None:
        return list(map_files(analyze_file, jobs))
    keys = [_analysis_key(job, request) for job in jobs]
    known: dict[bytes, FileAnalysis] = {}
    for key in keys:
        entry = cache.get(key)
        analysis = None if entry is None else entry.get("analysis")
        if isinstance(analysis, FileAnalysis):
            known[key] = analysis
    fresh = iter(map_files(analyze_file, [j for j, k in zip(jobs, keys, strict=True)
                                          if k not in known]))
    analyses: list[FileAnalysis] = []
    for key in keys:
        if key not in known:
            known[key] = next(fresh)
            cache[key] = {"analysis": known[key]}
        analyses.append(known[key])
    return analyses


def _analysis_key(job: FileJob, request: AuditRequest) -> bytes:
    """Everything `analyze_file` reads: the job, with its config as the text it was read
    from (the cache is per analyzers' code, so the code is not in it). Longer than a blob
    id, so never one."""
    lines = None if job.changed_lines is None else sorted(job.changed_lines)
    digest = hashlib.sha256(repr((job.path, lines, job.evidence, request.config_text,
                                  request.config_path)).encode())
    for contents in (job.data, job.base):
        digest.update(b"-" if contents is None else hashlib.sha256(contents).digest())
    return b"file:" + digest.digest()


def _with_counted_lines(request: AuditRequest, analyses: Sequence[FileAnalysis]
                        ) -> AuditRequest:
    """The request as the cross-file checks see it: each changed file's lines narrowed
    to those whose syntax changed, so no check blames a layout-only edit."""
    counted = {a.path: a.changed_lines for a in analyses}
    changes = tuple(
        replace(c, changed_lines=counted[c.path]) if c.path in counted else c
        for c in request.changes
    )
    return replace(request, changes=changes)


def _run_check(check: CrossFileCheck, project: Project) -> list[Finding]:
    """One check's findings; a bug in it costs an SX008 note, not the audit."""
    try:
        return [f for f in check(project) if project.config.enabled(f.rule)]
    except Exception as exc:  # noqa: BLE001 - a bug in one check must not sink the audit
        where = project.analyses[0].path if project.analyses else project.request.config_path
        return [_note("SX008", where, 1, f"{check.__name__} raised {_describe(exc)}")]


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:300]


def is_python(path: str) -> bool:
    return path.endswith(PYTHON_SUFFIXES)


def _skip_reason(change: FileChange, config: AuditConfig) -> Finding | str | None:
    """None to audit the file, a note to say why not, or a plain reason for files that
    are simply not ours to audit (deleted, not Python, excluded)."""
    if change.status is ChangeStatus.DELETED or not is_python(change.path):
        return "not audited"
    if paths.matches(change.path, config.exclude):
        return "excluded"
    size = len(change.head) if change.head is not None else change.head_size
    if size is not None and size > config.max_file_bytes:
        return _note(
            "SX003",
            change.path,
            1,
            f"{size:,} bytes is over max-file-bytes ({config.max_file_bytes:,}); not audited",
        )
    if change.head is None:
        return _note("SX009", change.path, 1, "its contents could not be read; not audited")
    return None


def _context_facts(
    request: AuditRequest,
    config: AuditConfig,
    known: Mapping[str, Mapping[str, object]],
    map_files: ParallelMap,
    cache: FactsCache | None,
) -> tuple[dict[str, Mapping[str, object]], list[str]]:
    """Facts of the context files, from the cache by blob id where it has them (the
    contents of those are never asked for), else by indexing them; and the context files
    that had neither contents nor cached facts."""
    if not FACT_EXTRACTORS:
        return {}, []
    out: dict[str, Mapping[str, object]] = {}
    todo: list[tuple[bytes, FileJob]] = []
    unreadable: list[str] = []
    for path in context_paths(request):
        if path in known or not is_python(path):
            continue
        blob = request.context_blobs.get(path)
        data = request.context.get(path) if blob is None else None
        size = blob.size if blob is not None else len(data or b"")
        if size > config.max_file_bytes or paths.matches(path, config.exclude):
            continue
        key = bytes.fromhex(blob.id) if blob is not None else blob_id(data or b"")
        cached = cache.get(key) if cache is not None else None
        if cached is not None:
            out[path] = cached
            continue
        if data is None:
            data = request.context.get(path)
        if data is None:
            unreadable.append(path)
            continue
        todo.append((key, FileJob(path, data, None, config)))
    for (key, job), facts in zip(todo, map_files(index_file, [job for _, job in todo]),
                                 strict=True):
        out[job.path] = facts.facts
        if cache is not None:
            cache[key] = facts.facts
    return out, unreadable


def context_paths(request: AuditRequest) -> list[str]:
    """Every context file of the request, in the order it is audited: those of `context`
    in its order, then any known only by blob id."""
    return list(dict.fromkeys([*request.context, *request.context_blobs]))


def blob_id(data: bytes) -> bytes:
    """The git object id of a blob with these contents (what `git hash-object` prints),
    the facts cache's key: the CLI reads it from `git ls-tree` without reading the file."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).digest()


def index_file(job: FileJob) -> FileAnalysis:
    """Facts only, for a context file: parse it and run the fact extractors, no rules
    (so neither the node list nor the suppression comments the rules use)."""
    parsed = parse(job.path, job.data, for_rules=False)
    if isinstance(parsed, ParseFailure):
        return FileAnalysis(job.path, 0, (), (), {})
    return FileAnalysis(job.path, len(parsed.lines), (), (), _extract_facts(parsed)[0])


def _extract_facts(parsed: ParsedFile) -> tuple[dict[str, object], list[str]]:
    """Each family's facts, and the analyses that found the file too deep to read (a
    changed file's note says so; a context file simply has no such facts)."""
    facts: dict[str, object] = {}
    too_deep: list[str] = []
    for analysis, extract in FACT_EXTRACTORS.items():
        try:
            facts.update(extract(parsed))
        except RecursionError:
            too_deep.append(analysis)
    return facts, too_deep


def analyze_file(job: FileJob) -> FileAnalysis:
    """Parse one file once and run every enabled file rule over it in one walk."""
    parsed = parse(job.path, job.data)
    if isinstance(parsed, ParseFailure):
        note = _note(parsed.rule, job.path, parsed.line, parsed.message)
        return FileAnalysis(job.path, job.data.count(b"\n"), (note,), (), {}, job.changed_lines)
    changed_lines = _counted_lines(job, parsed)
    rules = [rule(job.config) for rule in FILE_RULES
             if job.config.enabled(rule.id, opt_in=rule.opt_in)]
    rule_notes: list[Finding] = []
    findings = tuple(
        f for f in _run_rules(rules, parsed, job.config, rule_notes) if _counts(f, changed_lines)
    ) + tuple(rule_notes)
    suppressions = tuple(
        s for s in parsed.suppressions.values()
        if changed_lines is None or s.line in changed_lines
    )
    facts, too_deep = _extract_facts(parsed) if _needs_facts(job.config) else ({}, [])
    if too_deep:
        findings += (_note("SX004", job.path, 1, f"too deeply nested for the {', '.join(too_deep)}"
                           " analysis; those rules did not audit it"),)
    uses = collect_uses(parsed, changed_lines) if job.evidence and facts else ()
    return FileAnalysis(job.path, len(parsed.lines), findings, suppressions, facts,
                        changed_lines, uses)


def _counted_lines(job: FileJob, head: ParsedFile) -> frozenset[int] | None:
    """Changed lines whose statement changed its syntax; all of them when the base
    cannot be compared (new file, base does not parse)."""
    if job.changed_lines is None or job.base is None:
        return job.changed_lines
    base = parse(job.path, job.base, for_rules=False)  # its syntax only: no rule reads it
    if isinstance(base, ParseFailure):
        return job.changed_lines
    return syntax_changed_lines(head.tree, base.tree, job.changed_lines)


def _needs_facts(config: AuditConfig) -> bool:
    """Facts and cross-file checks cost more than the file rules; a config that
    selects none of the cross-file rules (`select = ["SF"]`) does not pay for them."""
    return any(config.enabled(rule.id) for rule in CROSS_FILE_RULES)


_STATEMENT_KINDS = (ast.mod, ast.stmt, ast.excepthandler, ast.match_case)
"""What `ParsedFile.statements` holds: rules that look at nothing else skip the
expressions."""


def _run_rules(rules: Sequence[FileRule], file: ParsedFile, config: AuditConfig,
               notes: list[Finding]) -> Iterator[Finding]:
    """Every rule's findings in one walk. A rule that raises is dropped for the rest of
    the file with a note in `notes` naming it (SX004 when the input was too deep for it,
    SX008 for a bug); every other rule still audits the whole file."""
    dispatch: dict[type[ast.AST], list[FileRule]] = defaultdict(list)
    for rule in rules:
        for node_type in rule.node_types:
            dispatch[node_type].append(rule)
    broken: set[str] = set()
    statements_only = all(issubclass(kind, _STATEMENT_KINDS) for kind in dispatch)
    for node in file.statements if statements_only else file.nodes:
        for rule in dispatch.get(type(node), ()):
            if rule.id in broken:
                continue
            try:
                hits = list(rule.check(node, file))
            except RecursionError:
                broken.add(rule.id)
                notes.append(_note("SX004", file.path, getattr(node, "lineno", 1),
                                   f"too deeply nested for {rule.id} to analyse; {rule.id} "
                                   "did not audit this file, the other rules did"))
                continue
            except Exception as exc:  # noqa: BLE001 - a bug in one rule must not sink the others
                broken.add(rule.id)
                notes.append(_note("SX008", file.path, getattr(node, "lineno", 1),
                                   f"{rule.id} raised {_describe(exc)}; the other rules "
                                   "still ran"))
                continue
            for hit in hits:
                yield _finding(rule, hit, file)


def _finding(rule: FileRule, hit: Hit, file: ParsedFile) -> Finding:
    node = hit.node
    line = hit.line or node.lineno
    return rule.finding(
        file.path, line, hit.message,
        column=file.column(node) if line == node.lineno else _indent(file, line) + 1,
        end_line=node.end_lineno or node.lineno,
        suggestion=hit.suggestion,
        related=hit.related,
    )


def _indent(file: ParsedFile, line: int) -> int:
    text = file.lines[line - 1] if 0 < line <= len(file.lines) else ""
    return len(text) - len(text.lstrip())


def _counts(finding: Finding, changed: frozenset[int] | None) -> bool:
    if changed is None:
        return True
    return any(line in changed for line in range(finding.line, finding.end_line + 1))


def _note(rule_id: str, path: str, line: int, message: str, suggestion: str = "") -> Finding:
    return _RULES_BY_ID[rule_id].finding(path, line, message, suggestion=suggestion or None)


def _config_finding(path: str, problem: ConfigProblem) -> Finding:
    return _note("SX007", path, problem.line, problem.message, problem.suggestion)


def _catalogue_problems(config: AuditConfig, request: AuditRequest) -> list[ConfigProblem]:
    """What only the rule catalogue can tell about a config: ids and prefixes that name
    no rule (a typo in `ignore` would silently ignore nothing), and attempts to turn off
    the notes that say a file was not audited."""
    problems: list[ConfigProblem] = []
    text = request.config_text or ""
    for key, entries in (("select", config.select), ("ignore", config.ignore),
                         ("severity", tuple(config.severity))):
        unknown = [e for e in entries if not any(r.startswith(e) for r in _RULES_BY_ID)]
        if unknown:
            problems.append(ConfigProblem(
                f"`{key}` names no known rule: {', '.join(unknown)}; those entries do nothing",
                line_of_key(text, request.config_path, key),
                suggestion="use rule ids or prefixes from `ssot-bot`'s rule table "
                           "(SF1xx, SS2xx, DU3xx, SX0xx)",
            ))
    silenced = sorted(r for r in UNAUDITED_NOTES if r in config.severity
                      and config.severity[r] is None)
    if silenced:
        problems.append(ConfigProblem(
            f"{', '.join(silenced)} cannot be turned off (a file nobody audited is never "
            "passed silently); kept at its default",
            line_of_key(text, request.config_path, "severity"),
            suggestion=f'severity = {{ {silenced[0]} = "warning" }} lets such files pass '
                       "with the note",
        ))
    return problems


def _unmatched_globs(config: AuditConfig, request: AuditRequest) -> list[ConfigProblem]:
    """Path settings that match no Python file of the repository: a typo there silently
    audits what the team meant to exclude, or treats no module as the config module.
    Only said when the request holds the whole tree (an `--all` audit, or context)."""
    context = context_paths(request)
    files = [c.path for c in request.changes] + context
    if not files or (request.mode is not Mode.ALL and not context):
        return []
    defaults = AuditConfig()
    settings: list[tuple[str, tuple[str, ...]]] = [
        ("exclude", config.exclude),
        ("config-modules", config.config_modules),
        ("real-test-paths", () if config.real_test_paths == defaults.real_test_paths
         else config.real_test_paths),
        ("critical-values", tuple(config.critical_values.values())),
        ("acceptable-duplicates", tuple(p for e in config.acceptable_duplicates
                                        for p in e.paths)),
    ]
    text = request.config_text or ""
    problems: list[ConfigProblem] = []
    for key, patterns in settings:
        unmatched = [p for p in patterns if not any(paths.matches(f, [p]) for f in files)]
        if unmatched:
            problems.append(ConfigProblem(
                f"`{key}` pattern{'s' if len(unmatched) > 1 else ''} "
                f"{', '.join(repr(p) for p in unmatched)} match{'' if len(unmatched) > 1 else 'es'}"
                " no Python file of the repository",
                line_of_key(text, request.config_path, key),
                suggestion="paths are relative to the repository root, `**` spans folders "
                           "(e.g. `app/settings.py`, `migrations/**`)",
            ))
    return problems


def _with_severity(finding: Finding, config: AuditConfig) -> Finding:
    """Every finding's severity, in one place: what the repository's `severity` table
    says of its rule, else what the rule made it (its default, or a level it computed:
    the Rule of Two, a same-named definition's warning), capped for silent failures in
    tests and examples (`silent_failures.severity`)."""
    explicit = config.severity.get(finding.rule)
    if explicit is not None:
        return finding if explicit is finding.severity else replace(finding, severity=explicit)
    return capped_in_tests_and_examples(finding)


# Rules that report one construct, a whole function copied, from two sides: SS201 (the
# definition already exists) and DU303 (the function is a copy). Listed strongest first
# for a tie in severity.
_SAME_CONSTRUCT = ("SS201", "DU303")


def _one_per_construct(findings: Sequence[Finding]) -> list[Finding]:
    """One construct, one finding: where SS201 and DU303 both report the same function
    (same file, same name, overlapping lines), the more severe one stays (SS201 on a tie)
    and takes the other's places as related."""
    out: list[Finding] = []
    reported: dict[tuple[str, str], list[Finding]] = defaultdict(list)
    for finding in findings:
        if finding.rule in _SAME_CONSTRUCT and finding.subject is not None:
            reported[(finding.path, finding.subject)].append(finding)
        else:
            out.append(finding)
    for group in reported.values():
        while group:
            first = group.pop(0)
            same = [f for f in group if f.line <= first.end_line and first.line <= f.end_line]
            group = [f for f in group if f not in same]
            candidates = [first, *same]
            kept = max(candidates, key=lambda f: (f.severity.rank,
                                                  -_SAME_CONSTRUCT.index(f.rule)))
            related = list(kept.related)
            for other in candidates:
                related.extend(r for r in other.related
                               if (r.path, r.line) not in {(k.path, k.line) for k in related})
            out.append(replace(kept, related=tuple(related)))
    return out


def _ignored_here(finding: Finding, config: AuditConfig) -> bool:
    """`per-file-ignores` leaves the finding out; never a note that a file was not
    audited (as `severity` cannot turn those off)."""
    return finding.rule not in UNAUDITED_NOTES and config.ignored_at(finding.rule, finding.path)


def _apply_suppressions(findings: list[Finding], analyses: Iterable[FileAnalysis],
                        config: AuditConfig) -> list[Finding]:
    """Comments and config entries that suppress findings. Another linter's comment
    (`# noqa: BLE001`, `# pylint: disable=...`) suppresses the SF rules its codes overlap
    (`silent_failures.peers`); it is that tool's business, so it is never reported as
    unused or unexplained."""
    comments = {(a.path, s.line): s for a in analyses for s in a.suppressions}
    used: set[tuple[str, int, str]] = set()
    refused: list[Finding] = []
    out: list[Finding] = []
    for finding in findings:
        comment = comments.get((finding.path, finding.line))
        if comment is not None and (
            finding.rule in comment.rule_ids if comment.tool is None
            else peer_overlaps(finding.rule, comment.rule_ids)
        ):
            used.add((finding.path, comment.line, finding.rule))
            if not config.may_suppress(finding.rule):
                refused.append(_note(
                    "SX011", finding.path, comment.line,
                    f"{finding.rule} may not be suppressed in code here (`suppressible` in "
                    "the config); the finding still counts"))
            elif comment.reason:
                finding = replace(finding, suppression=Suppression(
                    SuppressionKind.COMMENT, comment.reason))
            # No reason: nothing is suppressed; SX005 below says so.
        else:
            accepted = _acceptable(finding, config.acceptable_duplicates)
            if accepted is not None:
                finding = replace(
                    finding, suppression=Suppression(SuppressionKind.ACCEPTABLE, accepted.reason)
                )
        out.append(finding)
    for (path, line), comment in comments.items():
        if comment.tool is not None:
            continue
        if config.enabled("SX005") and not comment.reason:
            named = ", ".join(comment.rule_ids)
            out.append(_note(
                "SX005", path, line,
                f"`ssot: ignore[{named}]` gives no reason, so it suppresses nothing",
                f"say why after the bracket: `# ssot: ignore[{named}] <reason>`",
            ))
        for rule_id in comment.rule_ids:
            if (path, line, rule_id) in used or not config.enabled("SX006"):
                continue
            known = rule_id in _RULES_BY_ID
            out.append(_note(
                "SX006", path, line,
                f"`ssot: ignore[{rule_id}]` suppresses nothing on this line"
                if known else f"`ssot: ignore[{rule_id}]` names no known rule",
                "delete it" if known else "use a rule id from the README's rule table",
            ))
    return out + refused


def _acceptable(finding: Finding, entries: Sequence[AcceptableDuplicate]
                ) -> AcceptableDuplicate | None:
    if not finding.rule.startswith(("SS", "DU")):
        return None
    for entry in entries:
        if entry.rules and finding.rule not in entry.rules:
            continue
        if entry.names and finding.subject not in entry.names:
            continue
        if entry.paths:
            places = [finding.path, *(r.path for r in finding.related)]
            if not (paths.matches(finding.path, entry.paths)
                    and all(paths.matches(p, entry.paths) for p in places)):
                continue
        return entry
    return None


_EMPTY_EVIDENCE = {
    Principle.NO_SILENT_FAILURES: "no new silent failures",
    Principle.SINGLE_SOURCE_OF_TRUTH: "no second definition of an existing name or value",
    Principle.SEARCH_FIRST: "nothing new that already exists",
    Principle.NO_DUPLICATE_LOGIC: "no copied blocks",
    Principle.CONFIGURATION_SSOT: "no configuration read outside the config modules",
    Principle.ISOLATION: "no new shared mutable state",
    Principle.REAL_TESTING: "no mocks in real-service tests",
    Principle.TESTED: "every new public function is named by a test",
    Principle.AUDIT_COVERAGE: "every changed Python file was audited",
}


def _checklist(findings: Sequence[Finding], config: AuditConfig) -> tuple[ChecklistRow, ...]:
    checked = {rule.principle for rule in ALL_RULES
               if config.enabled(rule.id, opt_in=rule.opt_in)}
    by_principle: dict[Principle, list[Finding]] = defaultdict(list)
    for finding in findings:
        by_principle[finding.principle].append(finding)
    rows = []
    for principle in Principle:
        row_findings = by_principle.get(principle, [])
        if principle is Principle.AUDIT_COVERAGE and not row_findings:
            continue
        if principle not in checked and not row_findings:
            continue
        rows.append(_row(principle, row_findings))
    return tuple(rows)


def _with_positive_evidence(rows: tuple[ChecklistRow, ...], project: Project,
                            analyses: Sequence[FileAnalysis]) -> tuple[ChecklistRow, ...]:
    """Each row with what the change did right under its principle (`evidence`), the
    first `POSITIVE_KEPT` and the count."""
    found = positive_evidence(project.request.changes, {a.path: a.uses for a in analyses},
                              project.facts, project.config,
                              frozenset(row.principle for row in rows))
    return tuple(replace(row, positive=tuple(found[row.principle][:POSITIVE_KEPT]),
                         positive_total=len(found[row.principle])) for row in rows)


def _with_code(findings: Sequence[Finding], changes: Sequence[FileChange]) -> list[Finding]:
    """Each finding in a changed file with its flagged lines as written (at most
    `FLAGGED_LINES_KEPT`), for the reports to quote."""
    texts = {c.path: c.head for c in changes if c.head is not None}
    lines: dict[str, list[str]] = {}
    out = []
    for finding in findings:
        data = texts.get(finding.path)
        if data is None or finding.line < 1:
            out.append(finding)
            continue
        if finding.path not in lines:
            lines[finding.path] = data.decode("utf-8", "replace").splitlines()
        end = min(max(finding.line, finding.end_line), finding.line + FLAGGED_LINES_KEPT - 1)
        out.append(replace(finding, code=tuple(lines[finding.path][finding.line - 1:end])))
    return out


def _row(principle: Principle, findings: Sequence[Finding]) -> ChecklistRow:
    """The row's status; its counts and places are the row's own (`ChecklistRow`), which
    the renderers write out."""
    return ChecklistRow(principle=principle, status=Status.PASS,
                        quiet_evidence=_EMPTY_EVIDENCE[principle]).recounted(tuple(findings))

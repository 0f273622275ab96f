"""What a rule is. Two kinds, because the work has two shapes:

- `FileRule` looks at one parsed file. The engine walks each syntax tree once and hands
  every rule the nodes of the types it asked for (a batched pass, like libcst's
  `visit_batched`), so adding a rule adds no parse and no walk.
- Cross-file rules (duplicates, "this already exists") are plain functions over per-file
  facts, run once per audit after every file was read; they produce `Finding`s directly.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import ClassVar

from analyzers.config import AuditConfig
from analyzers.model import Finding, Principle, Related, Severity
from analyzers.source import ParsedFile

Located = ast.stmt | ast.expr | ast.excepthandler
CODE_SECTIONS = frozenset({"Example", "Use instead"})
"""Docstring sections that hold code, not prose."""


@dataclass(frozen=True, slots=True)
class Hit:
    """A rule's raw result; the engine turns it into a `Finding`."""

    node: Located
    message: str
    suggestion: str
    related: tuple[Related, ...] = ()
    line: int | None = None
    """Overrides the node's first line (e.g. the `finally:` keyword, which has no node)."""


class RuleMeta:
    """The permanent identity of a rule. Ids are never reused once retired."""

    id: ClassVar[str]
    name: ClassVar[str]
    """kebab-case, naming the pattern that is flagged."""
    principle: ClassVar[Principle]
    severity: ClassVar[Severity]
    opt_in: ClassVar[bool] = False
    """Runs only when a repository names it (`AuditConfig.enabled`): a rule whose
    precision is not yet measured."""

    @classmethod
    def section(cls, title: str) -> str:
        """One section of the docstring (e.g. "What it does"), as one line of text."""
        lines = (cls.__doc__ or "").strip().splitlines()
        out: list[str] = []
        for line in lines:
            if out and not line.strip():
                break
            if out:
                out.append(line.strip())
            elif line.strip().lower().rstrip(":?") == title.lower().rstrip(":?"):
                out.append("")
        return " ".join(out).strip()

    @classmethod
    def summary(cls) -> str:
        return cls.section("What it does") or cls.name

    @classmethod
    def finding(
        cls,
        path: str,
        line: int,
        message: str,
        *,
        column: int = 1,
        end_line: int | None = None,
        suggestion: str | None = None,
        related: Sequence[Related] = (),
        subject: str | None = None,
        severity: Severity | None = None,
    ) -> Finding:
        """The one way a finding is made, by every rule and note: the rule's identity,
        its default severity unless the rule computed another (the Rule of Two), and its
        docstring's *Use instead* unless it says something more specific. The engine
        then applies the config's severities, the suppressions and the diff-only filter
        to every finding alike."""
        return Finding(
            rule=cls.id,
            name=cls.name,
            principle=cls.principle,
            severity=severity or cls.severity,
            path=path,
            line=line,
            column=column,
            end_line=max(line, end_line or line),
            message=message,
            suggestion=cls.section("Use instead") if suggestion is None else suggestion,
            related=tuple(related),
            subject=subject,
        )

    @classmethod
    def sections(cls) -> list[tuple[str, str]]:
        """The docstring as (title, body) pairs in order ("What it does", "Why is this
        bad?", "Example", …), each body dedented, code kept line by line."""
        found: list[tuple[str, list[str]]] = []
        for line in inspect.cleandoc(cls.__doc__ or "").splitlines():
            if line and not line[0].isspace() and line.rstrip().endswith((":", "?")):
                found.append((line.strip().removesuffix(":"), []))
            elif found:
                found[-1][1].append(line)
        return [(title, textwrap.dedent("\n".join(body)).strip()) for title, body in found]

    @classmethod
    def default_level(cls) -> str:
        """"error by default", or for an opt-in rule "off by default, a warning when on"."""
        if cls.opt_in:
            return f"off by default, {cls.severity.value} when turned on"
        return f"{cls.severity.value} by default"

    @classmethod
    def documentation(cls) -> str:
        """The rule's documentation as plain text (`ssot-bot rule ID`, SARIF's help.text)."""
        parts = [f"{cls.id} {cls.name} ({cls.default_level()}; {cls.principle.value})"]
        for title, body in cls.sections():
            parts.append(f"{title}{'' if title.endswith('?') else ':'}\n"
                         + textwrap.indent(body, "    "))
        return "\n\n".join(parts)

    @classmethod
    def documentation_markdown(cls) -> str:
        """The same as markdown: prose as paragraphs, examples as Python code blocks."""
        parts = [f"**{cls.id} `{cls.name}`** ({cls.default_level()}; "
                 f"{cls.principle.value})"]
        for title, body in cls.sections():
            if title in CODE_SECTIONS:
                parts.append(f"**{title}**\n\n```python\n{body}\n```")
            else:
                parts.append(f"**{title}**\n\n{' '.join(body.split())}")
        return "\n\n".join(parts)


class FileRule(RuleMeta, ABC):
    node_types: ClassVar[tuple[type[ast.AST], ...]]

    def __init__(self, config: AuditConfig) -> None:
        self.config = config

    @abstractmethod
    def check(self, node: ast.AST, file: ParsedFile) -> Iterator[Hit]:
        """Yield a hit for each problem at `node` (one of `node_types`)."""

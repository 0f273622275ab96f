"""SS201, DU303, SS202, SS203: a top-level definition or constant that exists elsewhere
becomes an import of the existing one (`from pkg.mod import name [as new_name]`), so the
module keeps its name and its callers keep working."""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m

from analyzers.fixes import ImportInstead
from analyzers.fixes.imports import NoFix, add_from_import
from analyzers.fixes.locate import TopStatement


def import_instead(module: cst.Module, target: TopStatement, plan: ImportInstead
                   ) -> cst.Module:
    body = list(module.body)
    if target.positions[body[target.index]].start.line != plan.line:
        raise NoFix(f"`{plan.name}` is not a top-level statement at line {plan.line}")
    if not _binds_only(body[target.index], plan.name):
        raise NoFix(f"the statement at line {plan.line} does more than bind `{plan.name}`")
    del body[target.index]
    alias = None if plan.imported == plan.name else plan.name
    return add_from_import(module.with_changes(body=body), plan.module, plan.imported, alias)


def _binds_only(statement: cst.BaseStatement, name: str) -> bool:
    """A `def`/`class` of `name`, or `NAME = value` / `NAME: T = value` alone on its line."""
    if isinstance(statement, cst.FunctionDef | cst.ClassDef):
        return statement.name.value == name
    return m.matches(statement, m.SimpleStatementLine(body=[
        m.Assign(targets=[m.AssignTarget(target=m.Name(name))])
        | m.AnnAssign(target=m.Name(name), value=m.DoNotCare())
    ]))

"""DU3xx rules on small multi-file repositories.

Each folder under tests/fixtures/duplicates is a repository, laid out as for the SS2xx
fixtures: a file whose first line is `# changed` is new in the change, a file `X.py`
beside an `X.py.base` was modified (its changed lines are the difference), every other
file is context, and a `pyproject.toml` is the audited repo's config. A line of a
changed file that ends with `# DUnnn warning`, `# DUnnn error` or `# DUnnn accepted`
(matched by an `acceptable-duplicates` entry) is where exactly that finding must start;
no other DU finding may be reported.
"""

from __future__ import annotations

import pickle
import random
import re
from dataclasses import replace
from pathlib import Path

import pytest

from analyzers import AuditRequest, AuditResult, ChangeStatus, FileChange, Finding, audit
from analyzers.alignment import Alphabet
from analyzers.duplicates import RULES
from analyzers.duplicates.matching import (
    CHAIN_STEP_COST,
    GAP,
    MAX_CHAIN,
    Budget,
    FunctionIndex,
    Query,
    Thresholds,
    _chains,
    _Code,
    changed_tokens,
    find_clones,
)
from analyzers.duplicates.tokens import (
    FAMILY,
    K_GRAM,
    CloneFacts,
    CloneKeys,
    clone_keys,
    extract_clone_facts,
    region_lines,
    region_size,
)
from analyzers.engine import FactsCache
from analyzers.model import Mode, Severity
from analyzers.source import ParsedFile, parse
from tests.fixture_repos import request_for

FIXTURES = Path(__file__).parent / "fixtures" / "duplicates"
CASES = sorted(p for p in FIXTURES.iterdir() if p.is_dir())
# Every finding on a line is marked, whatever its family (`# DU303 error SS204 warning`):
# a construct reported twice, by two families, cannot pass unseen.
EXPECTATION = re.compile(r"#\s*((?:[A-Z]{2}\d{3}\s+(?:error|warning|notice|accepted)\s*)+)$")
MARK = re.compile(r"([A-Z]{2}\d{3})\s+(error|warning|notice|accepted)")


def expected(request: AuditRequest) -> set[tuple[str, int, str, str]]:
    marks: set[tuple[str, int, str, str]] = set()
    for change in request.changes:
        assert change.head is not None
        for number, line in enumerate(change.head.decode().splitlines(), 1):
            match = EXPECTATION.search(line)
            if match:
                marks.update((change.path, number, rule, level)
                             for rule, level in MARK.findall(match.group(1)))
    return marks


def found(result: AuditResult) -> set[tuple[str, int, str, str]]:
    return {
        (f.path, f.line, f.rule, "accepted" if f.suppressed else f.severity.value)
        for f in result.findings
    }


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_case_flags_exactly_the_marked_lines(case: Path) -> None:
    request = request_for(case)
    assert found(audit(request)) == expected(request)


def test_every_duplicate_rule_has_a_positive_case() -> None:
    marked = {rule for case in CASES for _, _, rule, _ in expected(request_for(case))}
    assert {rule.id for rule in RULES} <= marked


def test_finding_lists_every_copy_with_its_clone_type() -> None:
    result = audit(request_for(FIXTURES / "rule_of_two_third_copy_is_an_error"))
    (finding,) = [f for f in result.findings if f.rule.startswith("DU")]
    assert sorted(r.path for r in finding.related) == ["lib/orders.py", "lib/quotes.py"]
    assert all("type-" in r.message for r in finding.related)
    assert "lines" in finding.message and "tokens" in finding.message


def test_near_miss_shows_its_similarity() -> None:
    result = audit(request_for(FIXTURES / "du302_near_miss"))
    (finding,) = [f for f in result.findings if f.rule == "DU302"]
    assert re.search(r"\b\d{2}% similar", finding.message)
    assert "type-3" in finding.message


def test_duplicated_function_names_the_function_to_call() -> None:
    result = audit(request_for(FIXTURES / "du303_function_copy"))
    (finding,) = [f for f in result.findings if f.rule == "DU303"]
    assert finding.subject == "basket_total"
    assert "`from orders import order_total`" in finding.suggestion


def _only_finding(case: str, rule: str) -> Finding:
    (finding,) = [f for f in audit(request_for(FIXTURES / case)).findings if f.rule == rule]
    return finding


def test_method_copy_anchors_at_its_def_and_counts_the_lines_shown() -> None:
    finding = _only_finding("du303_identical_sibling_method", "DU303")
    assert (finding.line, finding.end_line) == (11, 14)
    assert "(4 lines," in finding.message
    assert [(r.path, r.line) for r in finding.related] == [("lib/shells.py", 12)]
    assert "lines 12-15" in finding.related[0].message


def test_identical_method_of_a_sibling_class_moves_to_the_base_class() -> None:
    finding = _only_finding("du303_identical_sibling_method", "DU303")
    assert "common base class `Shell`" in finding.suggestion


def test_copy_pasted_right_after_its_original_is_found_at_its_def() -> None:
    finding = _only_finding("adjacent_renamed_copy", "DU303")
    assert (finding.line, finding.end_line) == (16, 25)
    assert finding.subject == "load_teams"
    assert finding.suggestion.startswith("call `load_users`")


def test_module_in_a_folder_that_is_not_an_identifier_is_not_offered_as_an_import() -> None:
    finding = _only_finding("du303_not_importable", "DU303")
    assert "from typing-examples" not in finding.suggestion
    assert "not importable (`typing-examples` is not a Python identifier)" in finding.suggestion


def test_exact_method_inside_a_near_miss_class_is_reported_on_its_own() -> None:
    finding = _only_finding("du303_exact_method_in_similar_classes", "DU303")
    assert finding.subject == "check_state"
    assert "common base class `Capture`" in finding.suggestion


def test_suggested_import_drops_the_source_root_and_names_the_package() -> None:
    helper = (b"def polygon_area(points):\n    area = 0.0\n"
              b"    for (x1, y1), (x2, y2) in zip(points, points[1:] + points[:1]):\n"
              b"        area += x1 * y2 - x2 * y1\n    return abs(area) / 2\n")
    copy = helper.replace(b"polygon_area", b"shoelace").replace(b"area", b"total")
    change = FileChange("app/geometry.py", ChangeStatus.ADDED, copy)
    result = audit(AuditRequest(changes=(change,), context={"src/shapes/area.py": helper,
                                                            "src/shapes/__init__.py": b""}))
    (finding,) = [f for f in result.findings if f.rule == "DU303"]
    assert "`from shapes.area import polygon_area`" in finding.suggestion


def test_whole_tree_audit_reports_a_pair_once_at_the_later_definition() -> None:
    source = (FIXTURES / "du303_function_copy" / "lib" / "orders.py").read_bytes()
    renamed = source.replace(b"order_total", b"invoice_total")
    changes = (FileChange("billing/__init__.py", ChangeStatus.ADDED, b""),
               FileChange("billing/invoice.py", ChangeStatus.ADDED, renamed),
               FileChange("shop/__init__.py", ChangeStatus.ADDED, b""),
               FileChange("shop/orders.py", ChangeStatus.ADDED, source))
    result = audit(AuditRequest(changes=changes, mode=Mode.ALL))
    (finding,) = [f for f in result.findings if f.rule.startswith("DU")]
    assert (finding.path, finding.rule) == ("shop/orders.py", "DU303")
    assert [r.path for r in finding.related] == ["billing/invoice.py"]


def _parsed(path: str, data: bytes) -> ParsedFile:
    parsed = parse(path, data)
    assert isinstance(parsed, ParsedFile)
    return parsed


def test_facts_do_not_depend_on_the_path_and_pickle() -> None:
    data = (FIXTURES / "du301_exact_copy" / "lib" / "orders.py").read_bytes()
    here = extract_clone_facts(_parsed("lib/orders.py", data))
    there = extract_clone_facts(_parsed("elsewhere/copy.py", data))
    assert here == there
    assert pickle.loads(pickle.dumps(here)) == here


def test_unchanged_context_file_is_fingerprinted_once() -> None:
    request = request_for(FIXTURES / "rule_of_two_third_copy_is_an_error")
    cache: FactsCache = {}
    cold = audit(request, facts_cache=cache)
    # Blob ids are 20 bytes; the changed files' analyses are cached under longer keys.
    first_facts = {key: facts[FAMILY] for key, facts in cache.items() if len(key) == 20}
    assert len(first_facts) == len(request.context)
    warm = audit(request, facts_cache=cache)
    assert {key: facts[FAMILY] for key, facts in cache.items() if len(key) == 20} == first_facts
    assert all(cache[key][FAMILY] is facts for key, facts in first_facts.items())
    assert found(warm) == found(cold)


def test_only_the_edited_context_file_is_fingerprinted_again() -> None:
    request = request_for(FIXTURES / "rule_of_two_third_copy_is_an_error")
    cache: FactsCache = {}
    audit(request, facts_cache=cache)
    before = dict(cache)
    edited = dict(request.context)
    edited["lib/quotes.py"] += b"\nEXTRA = 1\n"
    audit(AuditRequest(request.changes, context=edited), facts_cache=cache)
    assert len(cache) == len(before) + 1
    assert all(cache[key] is facts for key, facts in before.items())


def test_copy_among_hundreds_of_copies_in_one_file_is_found() -> None:
    function = ("def total_{n}(prices, rate, discounts):\n    total = 0\n"
                "    for price in prices:\n        total += price * rate\n"
                "    for name, amount in discounts.items():\n"
                "        if name.startswith('vip') and total > amount:\n"
                "            total -= amount * 2\n    if total > 100:\n"
                "        total -= 10\n    return round(total, 2)\n\n")
    context = {"lib/many.py": "".join(function.format(n=n) for n in range(200)).encode()}
    change = FileChange("app/new.py", ChangeStatus.ADDED, function.format(n="new").encode())
    result = audit(AuditRequest(changes=(change,), context=context))
    (finding,) = [f for f in result.findings if f.rule.startswith("DU")]
    assert {r.path for r in finding.related} == {"lib/many.py"}
    assert len(finding.related) > 1
    assert "at least 64 copies already" in finding.message


def test_alignment_stops_at_its_budget_and_says_so() -> None:
    """Alignment costs the product of the windows' lengths; a change alike to many
    files would run into the App's time limit, so matching stops at a budget."""
    from analyzers.duplicates.matching import Budget, Query, Thresholds, changed_tokens, find_clones
    from analyzers.duplicates.tokens import extract_clone_facts
    from analyzers.source import ParsedFile, parse

    def facts_of(number: int):  # type: ignore[no-untyped-def]
        body = "".join(f"    total_{k} = compute(request, {k}) + value\n" for k in range(12))
        parsed = parse(f"m{number}.py", f"def handler_{number}(request, value):\n{body}"
                       f"    return total_0\n".encode())
        assert isinstance(parsed, ParsedFile)
        return extract_clone_facts(parsed)

    files = {f"gen/m{n}.py": facts_of(n) for n in range(4)}
    query = Query("gen/m0.py", files["gen/m0.py"], changed_tokens(files["gen/m0.py"], None))
    thresholds = Thresholds(50, 6, 0.8)
    ample = Budget.for_queries([query])
    [found] = find_clones([query], _keyed(files), files, thresholds, ample)
    assert {c.other_path for c in found} == {"gen/m1.py", "gen/m2.py", "gen/m3.py"}
    assert not ample.exhausted
    scant = Budget(total=1, left=1)
    [found] = find_clones([query], _keyed(files), files, thresholds, scant)
    assert found == [] and scant.exhausted


def test_a_method_pasted_twice_into_one_class_is_reported_not_a_crash() -> None:
    """Two same-name methods in one class are no siblings with a shared base: the later
    one replaces the earlier, and the advice says so (this used to raise in `_reuse`)."""
    from analyzers import AuditRequest, ChangeStatus, FileChange, audit
    from tests.fixture_repos import changed_lines

    method = ("    def load(self, path):\n        with open(path) as handle:\n"
              "            rows = [line.split(',') for line in handle]\n"
              "        totals = {}\n        for name, amount in rows:\n"
              "            totals[name] = totals.get(name, 0) + float(amount)\n"
              "        return sorted(totals.items())\n")
    tail = "\n    def other(self):\n        return 1\n"
    base = "class Loader:\n" + method + tail
    head = "class Loader:\n" + method + "\n" + method + tail
    change = FileChange("app/m.py", ChangeStatus.MODIFIED, head.encode(), base.encode(),
                        changed_lines(base, head))
    findings = audit(AuditRequest(changes=(change,))).findings
    assert [f.rule for f in findings] == ["DU303"]
    assert "`Loader` defines `load` twice" in findings[0].suggestion


def test_the_configs_severity_beats_the_rule_of_two() -> None:
    request = request_for(FIXTURES / "du301_exact_copy")
    assert {f.severity for f in audit(request).findings if f.rule == "DU301"} == {
        Severity.NOTICE}
    raised = replace(request, config_text='[tool.ssot]\nseverity = { DU301 = "warning" }\n')
    assert {f.severity for f in audit(raised).findings if f.rule == "DU301"} == {
        Severity.WARNING}


def test_class_pasted_under_a_new_name_is_one_finding_at_its_class_line() -> None:
    finding = _only_finding("adjacent_renamed_class_copy", "DU301")
    assert (finding.line, finding.end_line) == (34, 57)
    assert finding.message.startswith("24 lines,")
    assert [(r.path, r.line) for r in finding.related] == [("pkg/errors.py", 8)]
    assert "lines 8-31" in finding.related[0].message
    assert finding.suggestion.startswith("derive one class from the other")


def test_short_method_copied_into_another_class_is_a_definition() -> None:
    finding = _only_finding("du303_short_method_copy", "DU303")
    assert (finding.line, finding.end_line) == (11, 14)
    assert "(4 lines," in finding.message
    assert [(r.path, r.line) for r in finding.related] == [("pkg/client.py", 11)]
    assert "reuse `Client.auth_header`" in finding.suggestion


def test_small_function_pasted_twice_is_found_whatever_fingerprints_it_shares() -> None:
    """Two statements, fewer tokens than a fingerprinted run: found by its shape."""
    from tests.fixture_repos import changed_lines

    function = ("def create_app(asgi):\n    app_cls = web.AsyncApp if asgi else web.App\n"
                "    return app_cls()\n")
    tail = "\n\ndef make_app(asgi=False):\n    app = create_app(asgi)\n    return app\n"
    base = "import web\n\n\n" + function + tail
    head = "import web\n\n\n" + function + "\n\n" + function + tail
    change = FileChange("app/factory.py", ChangeStatus.MODIFIED, head.encode(), base.encode(),
                        changed_lines(base, head))
    (finding,) = [f for f in audit(AuditRequest(changes=(change,))).findings
                  if f.rule.startswith("DU")]
    assert finding.rule == "DU303"
    assert {finding.line, finding.related[0].line} == {4, 9}
    assert finding.suggestion.startswith("this module defines `create_app` twice")


def test_copy_that_imports_something_else_is_not_called_identical() -> None:
    block = ("    totals = {}\n    for row in rows:\n"
             "        key = row.get('name', 'unknown')\n"
             "        totals[key] = totals.get(key, 0) + row['amount']\n"
             "    ranked = sorted(totals.items(), key=lambda item: item[1], reverse=True)\n"
             "    text = json.dumps(ranked[:limit])\n"
             "    if len(text) > 1000:\n        text = text[:1000]\n")
    original = f"def report(rows, limit):\n    import json\n{block}    return text\n"
    copy = original.replace("import json", "import simplejson as json").replace(
        "def report", "def digest")
    change = FileChange("app/digest.py", ChangeStatus.ADDED, copy.encode())
    result = audit(AuditRequest(changes=(change,), context={"lib/report.py": original.encode()}))
    (finding,) = [f for f in result.findings if f.rule.startswith("DU")]
    assert "identical up to renamed names, literals and imports" in finding.message
    assert "type-1" not in finding.message
    same = audit(AuditRequest(changes=(FileChange("app/digest.py", ChangeStatus.ADDED,
                                                  original.replace("def report", "def digest")
                                                  .encode()),),
                              context={"lib/report.py": original.encode()}))
    (finding,) = [f for f in same.findings if f.rule.startswith("DU")]
    assert "type-2" in finding.message  # renamed function; its imports are the same


def test_a_copy_in_another_file_is_never_the_other_branch_of_a_version_switch() -> None:
    # The copy's lines in lib/codecs.py (15-21) fall inside the `else` branch's lines of
    # app/compat.py (14-23), but only a copy in app/compat.py itself can be that branch.
    block = ("for name, codec in modern_codecs().items():\n"
             "    if name.startswith('_'):\n        continue\n"
             "    aliases = [alias.lower() for alias in codec.aliases]\n"
             "    CODECS[name.lower()] = (codec.encode, codec.decode, aliases)\n"
             "    for alias in aliases:\n"
             "        CODECS.setdefault(alias, CODECS[name.lower()])\n")
    indented = "".join("    " + line for line in block.splitlines(keepends=True))
    legacy = "".join(f"    CODECS['legacy_{n}'] = legacy_codec({n}, strict={n % 2 == 0})\n"
                     for n in range(10))
    compat = ('"""Codecs per interpreter version."""\nimport sys\n\nCODECS = {}\n'
              "if sys.version_info >= (3, 11):\n" + indented + "else:\n" + legacy)
    registry = ('"""The codec registry.\n' + "\n" * 9 + '"""\n\n'
                "def register(modern_codecs):\n    CODECS = {}\n" + indented
                + "    return CODECS\n")
    assert compat.splitlines()[13].startswith("    CODECS['legacy_0']")
    assert registry.splitlines()[14].startswith("    for name, codec")
    change = FileChange("app/compat.py", ChangeStatus.ADDED, compat.encode())
    result = audit(AuditRequest(changes=(change,), context={"lib/codecs.py": registry.encode()}))
    (finding,) = [f for f in result.findings if f.rule.startswith("DU")]
    assert (finding.path, finding.line) == ("app/compat.py", 6)
    assert finding.related[0].path == "lib/codecs.py"


def test_whole_tree_audit_lists_every_other_copy() -> None:
    helper = ("def summarize(rows, limit):\n    totals = {}\n    for row in rows:\n"
              "        key = row.get('name', 'unknown')\n"
              "        totals[key] = totals.get(key, 0) + row['amount']\n"
              "    ranked = sorted(totals.items(), key=lambda item: item[1], reverse=True)\n"
              "    text = json.dumps(ranked[:limit])\n"
              "    if len(text) > 1000:\n        text = text[:1000]\n    return text\n")
    files = {"pkg/__init__.py": b""}
    for name in ("alpha", "beta", "gamma"):
        files[f"pkg/{name}.py"] = ("import json\n\n\n"
                                   + helper.replace("summarize", f"{name}_summary")).encode()
    changes = tuple(FileChange(p, ChangeStatus.ADDED, d) for p, d in files.items())
    result = audit(AuditRequest(changes=changes, mode=Mode.ALL))
    (finding,) = [f for f in result.findings if f.rule.startswith("DU")]
    assert finding.path == "pkg/gamma.py"
    assert sorted(r.path for r in finding.related) == ["pkg/alpha.py", "pkg/beta.py"]
    assert all("lines 4-13" in r.message for r in finding.related)


def test_class_of_small_methods_pasted_under_a_new_name_is_an_error() -> None:
    """Each method is under the block thresholds; the class is one copy, a second
    definition from the first copy on."""
    from tests.fixture_repos import changed_lines

    original = '''class NoSuchOption(UsageError):
    def __init__(self, option_name, message=None, possibilities=None, ctx=None):
        if message is None:
            message = "No such option {name!r}.".format(name=option_name)
        super().__init__(message, ctx)
        if possibilities:
            possibilities = close_matches(option_name, possibilities)
        self.possibilities = possibilities

    def format_message(self):
        if not self.possibilities:
            return self.message
        return f"{self.message} {show_possibilities(self.possibilities)}"
'''
    copy = original.replace("NoSuchOption", "NoSuchCommand").replace(
        "option_name", "command_name")
    base = "class UsageError(Exception):\n    pass\n\n\n" + original
    head = base + "\n\n" + copy
    change = FileChange("cli/errors.py", ChangeStatus.MODIFIED, head.encode(), base.encode(),
                        changed_lines(base, head))
    (finding,) = [f for f in audit(AuditRequest(changes=(change,))).findings
                  if f.rule.startswith("DU")]
    assert (finding.rule, finding.severity, finding.line) == ("DU301", Severity.ERROR, 20)
    assert finding.related[0].line == 5
    # With its own message it is another error type; its identical method is a copy.
    head = base + "\n\n" + copy.replace("such option", "such command")
    change = FileChange("cli/errors.py", ChangeStatus.MODIFIED, head.encode(), base.encode(),
                        changed_lines(base, head))
    (finding,) = [f for f in audit(AuditRequest(changes=(change,))).findings
                  if f.rule.startswith("DU")]
    assert (finding.rule, finding.subject, finding.severity) == (
        "DU303", "format_message", Severity.ERROR)
    assert [r.line for r in finding.related] == [14]


def test_tests_that_set_other_attributes_are_other_tests() -> None:
    """`resp.text = ...` and `resp.data = ...` are left out of the stream as plain
    assignments, but they are what the two tests check."""
    first = ("def test_text(make_response):\n    resp = make_response()\n"
             "    resp.text = b'data'\n    assert resp.render_body() == b'data'\n")
    second = first.replace("test_text", "test_data").replace("resp.text", "resp.data")
    change = FileChange("tests/test_body.py", ChangeStatus.ADDED,
                        ("# changed\n\n\n" + first + "\n\n" + second).encode())
    assert [f for f in audit(AuditRequest(changes=(change,))).findings
            if f.rule.startswith("DU")] == []
    same = FileChange("tests/test_body.py", ChangeStatus.ADDED,
                      ("# changed\n\n\n" + first + "\n\n"
                       + first.replace("test_text", "test_text_again")).encode())
    assert [f.rule for f in audit(AuditRequest(changes=(same,))).findings
            if f.rule.startswith("DU")] == ["DU303"]


def test_identical_test_methods_of_two_test_classes_are_two_cases() -> None:
    method = ("    def test_body(self):\n        source = statement(3, self.source)\n"
              "        assert str(source) == '    raise IndexError(1)'\n")
    text = ("class TestTry:\n    source = 'try'\n\n" + method.replace("test_body", "test_except")
            + "\n\nclass TestFinally:\n    source = 'finally'\n\n"
            + method.replace("test_body", "test_finally"))
    change = FileChange("tests/test_source.py", ChangeStatus.ADDED, text.encode())
    assert [f for f in audit(AuditRequest(changes=(change,))).findings
            if f.rule.startswith("DU")] == []


def test_a_regions_size_from_the_running_sums_is_the_one_summed_over_its_lines() -> None:
    # Token lines go back after a decorator's `def`, at the end of a block and in a
    # conditional expression over lines: a region's lines are found between its ends.
    source = (b"@decorate(\n    option=1)\ndef handler(request):\n"
              b"    value = (request.first\n             if request.ready\n"
              b"             else request.second)\n"
              b"    for item in value:\n        if item:\n            total = item\n"
              b"    return {\n        'a': total,\n        'b': value,\n    }\n")
    facts = extract_clone_facts(_parsed("handlers.py", source))
    lines = facts.lines
    assert any(lines[at] > lines[at + 1] for at in range(len(lines) - 1))
    code = _Code(facts, Alphabet())
    for first in range(len(lines)):
        for last in range(first, len(lines) + 2):
            assert code.region(first, last) == (region_size(facts, first, last),
                                                 region_lines(facts, first, last)), (first, last)


def test_the_function_index_answers_what_scanning_every_function_answers() -> None:
    source = (b"def outer(a):\n    def inner(b):\n        def innermost(c):\n"
              b"            return c + 1\n        return innermost(b) * 2\n"
              b"    def sibling(d):\n        return d - 1\n    return inner(a) + sibling(a)\n\n"
              b"class Shape:\n    def area(self):\n        return self.width * self.height\n\n"
              b"    def scaled(self, k):\n        def grow(v):\n            return v * k\n"
              b"        return grow(self.area())\n\n\ndef last(x):\n    return x\n")
    facts = extract_clone_facts(_parsed("shapes.py", source))
    functions, index = facts.functions, FunctionIndex(facts.functions)
    assert len(functions) == 8
    assert all(index.at(f.first, f.last) is f for f in functions)
    assert index.at(functions[0].first, functions[0].last + 1) is None
    for first in range(len(facts.kinds)):
        holders = [f for f in functions if f.first <= first <= f.last]
        assert index.holders(first) == holders
        for last in range(first, len(facts.kinds)):
            around = [f for f in functions if f.first <= first and last <= f.last]
            assert index.innermost_function(first, last) == min(
                around, key=lambda f: f.last - f.first, default=None)
            assert index.starting_in(first, last) == [
                f for f in functions if first <= f.first <= last]


def _keyed(files: dict[str, CloneFacts]) -> list[tuple[str, CloneKeys]]:
    return [(path, clone_keys(facts)) for path, facts in files.items()]


def _whole_tree_audit() -> tuple[dict[str, CloneFacts], list[Query], Thresholds]:
    """The files of `_tree_with_copies`, each a query whose every token is changed (as in
    `--all`), and the default thresholds."""
    files = _tree_with_copies()
    queries = [Query(path, facts, changed_tokens(facts, None)) for path, facts in files.items()]
    return files, queries, Thresholds(50, 6, 0.8)


def _tree_with_copies() -> dict[str, CloneFacts]:
    """Every duplicates fixture's files, each also copied under another name with its
    names renamed: many clones, across many files."""
    files: dict[str, CloneFacts] = {}
    for source in sorted(FIXTURES.rglob("*.py")):
        data = source.read_bytes()
        path = str(source.relative_to(FIXTURES))
        files[path] = extract_clone_facts(_parsed(path, data))
        renamed = re.sub(rb"\btotal\b", b"amount", data)
        files["copies/" + path] = extract_clone_facts(_parsed(path, renamed))
    return files


def test_whole_tree_matching_in_a_process_pool_finds_what_one_process_finds() -> None:
    from concurrent.futures import ProcessPoolExecutor

    files, queries, thresholds = _whole_tree_audit()
    alone = Budget.for_queries(queries)
    expected = find_clones(queries, _keyed(files), files, thresholds, alone)
    assert sum(map(len, expected)) > len(files) // 2
    pooled = Budget.for_queries(queries)
    with ProcessPoolExecutor(2) as pool:
        got = find_clones(queries, _keyed(files), files, thresholds, pooled, pool.map, 2,
                          parallel_from_tokens=1)
    assert got == expected
    assert (pooled.left, pooled.exhausted) == (alone.left, alone.exhausted)


def test_what_the_budget_skips_does_not_depend_on_the_processes() -> None:
    files, queries, thresholds = _whole_tree_audit()
    ample = Budget.for_queries(queries)
    find_clones(queries, _keyed(files), files, thresholds, ample)
    half = (ample.total - ample.left) // 2  # each share fits in it, all of them do not
    alone, shared = Budget(half, half), Budget(half, half)
    expected = find_clones(queries, _keyed(files), files, thresholds, alone)
    got = find_clones(queries, _keyed(files), files, thresholds, shared, map, 2,
                      parallel_from_tokens=1)
    assert alone.exhausted and shared.exhausted
    assert got == expected


def _chains_by_scanning(seeds: list[tuple[int, int]], budget: Budget
                        ) -> list[list[tuple[int, int]]]:
    """The chaining rule read literally: each hit looks at every open chain."""
    open_chains: list[list[tuple[int, int]]] = []
    done: list[list[tuple[int, int]]] = []
    for mine, theirs in sorted(seeds):
        if not budget.spend(CHAIN_STEP_COST * (len(open_chains) + 1)):
            break
        best: list[tuple[int, int]] | None = None
        best_shift = GAP + 1
        still_open = []
        for chain in open_chains:
            last_mine, last_theirs = chain[-1]
            if mine - last_mine > GAP + K_GRAM or mine - chain[0][0] > MAX_CHAIN:
                done.append(chain)
                continue
            still_open.append(chain)
            shift = abs((theirs - mine) - (last_theirs - last_mine))
            if 0 <= theirs - last_theirs <= GAP + K_GRAM and shift < best_shift:
                best, best_shift = chain, shift
        open_chains = still_open
        if best is None:
            open_chains.append([(mine, theirs)])
        else:
            best.append((mine, theirs))
    return done + open_chains


@pytest.mark.parametrize("seed", range(4))
def test_chains_are_the_literal_scans(seed: int) -> None:
    """Chaining through sorted open chains and a heap of deadlines gives the chains (and
    their order, which decides ties between clones) and the budget spent of looking at
    every open chain for every hit, with and without running out of budget."""
    rng = random.Random(seed)
    for _ in range(300):
        seeds = []
        for _copy in range(rng.randint(1, 6)):  # a few copies at their own diagonals
            shift, at = rng.randint(-300, 300), rng.randint(0, 2500)
            for _hit in range(rng.randint(1, 40)):
                at += rng.randint(0, GAP + K_GRAM + 5)
                shift += rng.choice((0, 0, 0, 1, -1, GAP // 2, -GAP))
                seeds.append((at, max(0, at + shift)))
        seeds += [(rng.randint(0, 3000), rng.randint(0, 3000)) for _ in range(rng.randint(0, 30))]
        total = rng.choice((10**12, rng.randint(0, 20_000)))
        literal, fast = Budget(total, total), Budget(total, total)
        assert _chains(list(seeds), fast) == _chains_by_scanning(list(seeds), literal)
        assert (fast.left, fast.exhausted) == (literal.left, literal.exhausted)

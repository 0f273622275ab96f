"""The facts store: keyed by git blob id, read per file, shared by processes, and the
CLI and the App using it so that unchanged files are neither read nor indexed again."""

from __future__ import annotations

import dataclasses
import json
import pickle
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest

from analyzers import AuditRequest, ChangeStatus, FileChange, audit
from analyzers.config import AuditConfig
from analyzers.duplicates.tokens import FunctionSpan, extract_clone_facts
from analyzers.engine import FactsCache, FileJob, blob_id, index_file
from analyzers.model import Blob, PicklesAsArguments
from analyzers.source import ParseFailure, parse
from analyzers.ssot.index import Definition, ImportRef
from bot.local.facts_store import KEEP_RUNS, FactsStore
from tests.conftest import MakeBot
from tests.fake_github import FakeGitHub
from tests.gitrepo import GitRepo

MEAN = ("def mean(items):\n    \"\"\"The average.\"\"\"\n    total = sum(items)\n"
        "    count = len(items)\n    return total / count\n")
TOTAL = "def total(items):\n    return sum(items)\n"
OTHER = "".join(f"LIMIT_{n} = {n * 7919 % 1000}\n" for n in range(300))
"""Long enough that its blob's header inflates without reaching the end of the stream."""


def _facts_of(text: str) -> dict[str, object]:
    return dict(index_file(FileJob("any.py", text.encode(), None, AuditConfig())).facts)


def _copy_of_mean_added() -> AuditRequest:
    head = f"{TOTAL}\n\n{MEAN}".encode()
    return AuditRequest(changes=(FileChange("app/util.py", ChangeStatus.MODIFIED, head,
                                            TOTAL.encode(), frozenset(range(3, 10))),))


def test_blob_id_is_gits_object_id(tmp_path: Path) -> None:
    source = tmp_path / "mean.py"
    source.write_text(MEAN)
    git = subprocess.run(["git", "hash-object", str(source)], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert blob_id(MEAN.encode()).hex() == git


def test_facts_cached_by_blob_id_are_used_without_the_contents() -> None:
    """A context file named only by its blob id is audited from the cache: the copy is
    found in a file whose contents the request never held."""
    blob = Blob(blob_id(MEAN.encode()).hex(), len(MEAN))
    cache: FactsCache = {bytes.fromhex(blob.id): _facts_of(MEAN)}
    request = _copy_of_mean_added()
    result = audit(AuditRequest(request.changes, context={"app/__init__.py": b""},
                                context_blobs={"app/numbers.py": blob}), facts_cache=cache)
    assert [(f.rule, [r.path for r in f.related]) for f in result.findings] == [
        ("DU303", ["app/numbers.py"])]
    assert result.stats.context_files == 2


def test_a_changed_blob_is_indexed_again_and_a_lost_one_is_said() -> None:
    """Facts belong to a blob id: other contents at the same path are indexed afresh,
    and a file with neither contents nor cached facts is named in the notes."""
    stale: FactsCache = {blob_id(MEAN.encode()): _facts_of(MEAN)}
    request = _copy_of_mean_added()
    edited = audit(AuditRequest(request.changes, context={
        "app/__init__.py": b"", "app/numbers.py": TOTAL.encode()}), facts_cache=stale)
    assert [f.rule for f in edited.findings] == []
    assert blob_id(TOTAL.encode()) in stale
    lost = Blob(blob_id(b"x = 1\n").hex(), 6)
    result = audit(AuditRequest(request.changes, context_blobs={"app/lost.py": lost}),
                   facts_cache={})
    assert result.notes == ("1 context file(s) could not be read (e.g. `app/lost.py`); "
                            "the cross-file checks did not see them.",)


def test_store_reads_each_file_on_demand_and_keeps_what_recent_runs_used(
        tmp_path: Path) -> None:
    first, second = blob_id(MEAN.encode()), blob_id(TOTAL.encode())
    with closing(FactsStore.for_code(tmp_path)) as store:
        store[first] = _facts_of(MEAN)
        store[second] = _facts_of(TOTAL)
        store.save()
    with closing(FactsStore.for_code(tmp_path)) as reopened:
        assert first in reopened
        assert reopened[first] == _facts_of(MEAN)
        reopened.save()  # this run used only `first`
    for _ in range(KEEP_RUNS):
        with closing(FactsStore.for_code(tmp_path)) as again:
            assert again[first] == _facts_of(MEAN)
            again.save()
    with closing(FactsStore.for_code(tmp_path)) as last:
        assert second not in last
        assert first in last


def test_store_of_older_code_is_deleted_and_a_broken_one_costs_only_speed(
        tmp_path: Path) -> None:
    old = tmp_path / "facts-0123456789abcdef.sqlite"
    old.write_bytes(b"older code's facts")
    with closing(FactsStore.for_code(tmp_path)) as store:
        assert not old.exists()
        store.path.write_bytes(b"not a database")
        key = blob_id(MEAN.encode())
        assert key not in store
        store[key] = _facts_of(MEAN)
        store.save()  # logged, not raised
    with closing(sqlite3.connect(store.path)) as database, \
            pytest.raises(sqlite3.DatabaseError):
        database.execute("SELECT 1 FROM facts")


def _repo_with_a_copy_of_mean(tmp_path: Path) -> tuple[GitRepo, list[str]]:
    """A repository whose branch `feature` copies `mean` into app/util.py, and the CLI
    audit of that branch (JSON report, exit 0)."""
    repo = GitRepo(tmp_path / "repo")
    repo.commit("base", {"app/__init__.py": "", "app/numbers.py": MEAN, "app/util.py": TOTAL,
                         "app/other.py": OTHER})
    repo.git("checkout", "-q", "-b", "feature")
    repo.commit("copy", {"app/util.py": f"{TOTAL}\n\n{MEAN}"})
    return repo, [str(Path(sys.executable).parent / "ssot-bot"), "audit", "--repo",
                  str(repo.root), "--base", "main", "--head", "feature", "--format", "json",
                  "--exit-zero"]


def test_warm_cli_audit_reads_no_unchanged_blob(tmp_path: Path) -> None:
    """The second audit takes an unchanged file's facts from the cache by blob id: the
    end of that file's blob is corrupted in between, so `git ls-tree --long` still tells
    its size (from the object's header) but reading it fails the audit."""
    repo, command = _repo_with_a_copy_of_mean(tmp_path)
    cold = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    other = repo.git("rev-parse", "feature:app/other.py").strip()
    loose = repo.root / ".git" / "objects" / other[:2] / other[2:]
    loose.chmod(0o644)
    damaged = bytearray(loose.read_bytes())
    damaged[-2:] = bytes(b ^ 0xFF for b in damaged[-2:])  # zlib's checksum
    loose.write_bytes(bytes(damaged))
    assert subprocess.run(["git", "cat-file", "blob", other], cwd=repo.root,
                          capture_output=True).returncode != 0
    warm = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    assert [(f["rule"], [r["path"] for r in f["related"]])
            for f in json.loads(warm)["findings"]] == [("DU303", ["app/numbers.py"])]
    assert json.loads(warm)["findings"] == json.loads(cold)["findings"]
    assert json.loads(warm)["stats"]["context_files"] == 3


@pytest.mark.asyncio
async def test_app_audit_processes_share_one_store_per_repository(
        make_bot: MakeBot, github: FakeGitHub, tmp_path: Path) -> None:
    """The first pull request's audit process fills the repository's store; a fresh
    App (new audit processes, nothing in memory) audits the next pull request from it.
    The store is tampered with in between, so only facts read from it can explain the
    finding: an empty file of the base holding a copy of `mean`."""
    facts_dir = tmp_path / "facts"
    first = await make_bot(facts_dir=facts_dir)
    await first.deliver("pull_request", github.pull_request_payload(1, "opened"))
    await first.settle()
    [directory] = [p for p in facts_dir.iterdir() if p.is_dir()]
    empty = blob_id(b"")
    with closing(FactsStore.for_code(directory)) as store:
        assert empty in store  # app/__init__.py, a context file of PR 1, by its blob id
        store[empty] = _facts_of(MEAN)
        store.save()
    github.push("copy", {"app/util.py": f"{TOTAL}\n\n{MEAN}"})
    github.open_pull(2, "copy")
    second = await make_bot(facts_dir=facts_dir)
    await second.deliver("pull_request", github.pull_request_payload(2, "opened"))
    await second.settle()
    [run] = github.runs_for(github.sha("copy"))
    [copy] = [a for a in run.annotations if a["title"].startswith("DU303")]
    assert copy["path"] == "app/util.py"
    assert "app/__init__.py" in copy["message"]


def test_a_changed_files_analysis_is_reused_only_for_the_same_inputs() -> None:
    """An audit run again takes each changed file's analysis from the cache; a change of
    its contents, its lines or the config is a different key, never a stale answer."""
    cache: FactsCache = {}
    request = _copy_of_mean_added()
    first = audit(request, facts_cache=cache)
    stored = [key for key in cache if key.startswith(b"file:")]
    assert len(stored) == 1
    again = audit(request, facts_cache=cache)
    assert again.findings == first.findings
    assert [key for key in cache if key.startswith(b"file:")] == stored

    silenced = audit(AuditRequest(request.changes, config_text='[tool.ssot]\nignore = ["DU"]\n'),
                     facts_cache=cache)
    assert "DU303" not in {f.rule for f in silenced.findings}
    fewer = (FileChange("app/util.py", ChangeStatus.MODIFIED, request.changes[0].head,
                        TOTAL.encode(), frozenset({1})),)
    assert audit(AuditRequest(fewer), facts_cache=cache).findings == audit(
        AuditRequest(fewer)).findings
    assert len([key for key in cache if key.startswith(b"file:")]) == 3


def test_the_facts_that_pickle_as_arguments_come_back_equal() -> None:
    for kind in (FunctionSpan, Definition, ImportRef):
        assert issubclass(kind, PicklesAsArguments)
        assert all(f.init for f in dataclasses.fields(kind)), kind
    parsed = parse("app/x.py", b"import os\nfrom a import b as c\n\n\nclass K(c):\n"
                               b"    def m(self, x):\n        return os.path.join(x, 'y')\n")
    assert not isinstance(parsed, ParseFailure)
    facts = {**_facts_of("import os\nfrom a import b as c\n\n\ndef f(x):\n    return x\n"),
             "clones": extract_clone_facts(parsed)}
    assert pickle.loads(pickle.dumps(facts)) == facts


def _corrupt(store_dir: Path, data: bytes, family: str) -> None:
    """Overwrite one family of the stored facts of the blob with these contents."""
    [path] = store_dir.glob("facts-*.sqlite")
    with closing(sqlite3.connect(path)) as database, database:
        changed = database.execute("UPDATE facts SET data = ? WHERE blob = ? AND family = ?",
                                   (b"not a pickle", blob_id(data), family)).rowcount
    assert changed == 1


def test_warm_cli_audit_reads_whole_clone_facts_only_of_files_like_the_change(
        tmp_path: Path) -> None:
    """The duplicates check reads every file's small clone keys, the full clone facts only
    of files sharing a fingerprint or a function shape with the change: an unrelated
    file's corrupted facts go unread (no warning, same findings); a related file's are
    said, and that file is indexed again by the next audit."""
    repo, command = _repo_with_a_copy_of_mean(tmp_path)

    def run() -> tuple[list[tuple[str, list[str]]], str]:
        done = subprocess.run(command, capture_output=True, text=True, check=True)
        return [(f["rule"], [r["path"] for r in f["related"]])
                for f in json.loads(done.stdout)["findings"]], done.stderr

    cold, _ = run()
    assert cold == [("DU303", ["app/numbers.py"])]
    store_dir = repo.root / ".git" / "ssot-bot"
    _corrupt(store_dir, OTHER.encode(), "duplicates")
    assert run() == (cold, "")
    _corrupt(store_dir, MEAN.encode(), "duplicates")
    findings, said = run()
    assert "unreadable duplicates facts of blob" in said
    assert ("DU303", ["app/numbers.py"]) not in findings
    assert run() == (cold, "")

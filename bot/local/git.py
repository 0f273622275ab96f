"""The local front end's only window on a repository: the git command line.

Invariant: every git failure becomes a `GitError` whose message says what to do; no
traceback reaches the user, and git never runs a pager, an external diff or a hook.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from analyzers.diff import FileDiff, parse_git_diff
from analyzers.model import Blob

STAGED = ":staged"
"""Pseudo-ref for the index (what `git commit` would record), for pre-commit hooks."""
WORKTREE = ":worktree"
"""Pseudo-ref for the working tree: tracked files as they are on disk, like ruff and mypy
see them."""
PSEUDO_REFS = (STAGED, WORKTREE)


class GitError(Exception):
    """A git problem the user can act on; the message says how."""


@dataclass(frozen=True, slots=True)
class Repo:
    root: Path

    @classmethod
    def open(cls, path: Path) -> Repo:
        if not path.exists():
            raise GitError(f"{path} does not exist; pass --repo with a git checkout")
        try:
            top = _run(["git", "rev-parse", "--show-toplevel"], path)
        except GitError:
            raise GitError(
                f"{path} is not a git repository; run inside a checkout or pass --repo PATH"
            ) from None
        return cls(Path(top.decode().strip()))

    def git(self, *args: str, stdin: bytes | None = None) -> bytes:
        return _run(["git", "--no-pager", "-c", "core.quotepath=off", *args], self.root, stdin)

    def resolve(self, ref: str) -> str:
        try:
            answer = self.git("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
            return answer.decode().strip()
        except GitError:
            raise GitError(
                f"unknown ref {ref!r}; check the name with `git log --oneline -1 {ref}`"
            ) from None

    def head_or_empty_tree(self) -> str:
        """HEAD, or the empty tree in a repository with no commit yet (first commit)."""
        head = self._answer("rev-parse", "--verify", "--quiet", "HEAD^{commit}")
        if head:
            return head
        return self.git("hash-object", "-t", "tree", "--stdin", stdin=b"").decode().strip()

    def default_branch(self) -> str | None:
        """origin's HEAD, else the first of main/master that exists."""
        remote_head = self._answer("symbolic-ref", "--quiet", "refs/remotes/origin/HEAD")
        if remote_head:
            return remote_head.removeprefix("refs/remotes/")
        for name in ("main", "master", "origin/main", "origin/master"):
            if self._answer("rev-parse", "--verify", "--quiet", f"{name}^{{commit}}"):
                return name
        return None

    def _answer(self, *args: str) -> str | None:
        """git's output, or None where git says no (a question, not a failure)."""
        try:
            return self.git(*args).decode().strip()
        except GitError:
            return None

    def has_commit(self, sha: str) -> bool:
        """Whether the clone holds that commit (a shallow or single-branch one may not)."""
        return self._answer("cat-file", "-e", f"{sha}^{{commit}}") is not None

    def commit_of(self, ref: str) -> str:
        """The commit `ref` names; for the index or the working tree, the one they sit
        on (the empty tree before the first commit)."""
        return self.head_or_empty_tree() if ref in PSEUDO_REFS else self.resolve(ref)

    def merge_base(self, first: str, second: str) -> str:
        try:
            return self.git("merge-base", first, second).decode().strip()
        except GitError:
            if self._answer("rev-parse", "--is-shallow-repository") == "true":
                raise GitError(
                    f"this clone is shallow and its history does not reach the merge-base of "
                    f"{first[:12]} and {second[:12]}; fetch the history (`git fetch "
                    "--unshallow`, or `fetch-depth: 0` with actions/checkout)"
                ) from None
            raise GitError(
                f"{first} and {second} share no history; pass --base explicitly"
            ) from None

    def remote_url(self) -> str | None:
        """origin's URL, if the repository has one."""
        return self._answer("remote", "get-url", "origin") or None

    def git_dir(self) -> Path:
        """The directory git keeps its own files in (shared by worktrees)."""
        common = self.git("rev-parse", "--git-common-dir").decode().strip()
        return (self.root / common).resolve()

    def diff(self, base: str, head: str) -> list[FileDiff]:
        args = ["diff", "-M", "--no-color", "--no-ext-diff", "--no-textconv"]
        if head == STAGED:
            revisions = ["--cached", base]
        elif head == WORKTREE:
            revisions = [base]  # one commit: git compares it with the working tree
        else:
            revisions = [base, head]
        raw = self.git(*args, "--raw", "-z", *revisions, "--")
        patch = self.git(*args, "-U0", *revisions, "--").decode("utf-8", "replace")
        try:
            return parse_git_diff(raw, patch)
        except ValueError as exc:
            raise GitError(f"cannot read the diff of {base}..{head}: {exc}") from None

    def python_files(self, ref: str) -> dict[str, int]:
        """Path -> size in bytes of every `.py` blob at `ref` (or in the index, or on
        disk for the tracked files of the working tree)."""
        if ref == WORKTREE:
            tracked = self.git("ls-files", "--cached", "-z").split(b"\0")
            sizes = {}
            for entry in tracked:
                name = entry.decode("utf-8", "replace")
                on_disk = self.root / name
                if name.endswith(".py") and on_disk.is_file():
                    sizes[name] = on_disk.stat().st_size
            return sizes
        if ref == STAGED:
            out = self.git("ls-files", "--stage", "-z")
            paths = [entry.split(b"\t", 1)[1].decode("utf-8", "replace")
                     for entry in out.split(b"\0") if entry]
            sizes = self._sizes([f":{p}" for p in paths if p.endswith(".py")])
            return {p: sizes.get(f":{p}", 0) for p in paths if p.endswith(".py")}
        return {path: blob.size for path, blob in self.python_blobs(ref).items()}

    def python_blobs(self, ref: str) -> dict[str, Blob]:
        """Path -> blob id and size of the `.py` files at `ref` (or in the index) whose
        contents are that blob; for the working tree, the tracked files git does not see
        modified on disk (their sizes as on disk). No file is read."""
        if ref not in PSEUDO_REFS:
            out = self.git("ls-tree", "-r", "-z", "--long", ref)
            blobs: dict[str, Blob] = {}
            for entry in out.split(b"\0"):
                meta, _, path = entry.partition(b"\t")
                fields = meta.split()
                name = path.decode("utf-8", "replace")
                if len(fields) == 4 and fields[1] == b"blob" and name.endswith(".py") \
                        and fields[3].isdigit():
                    blobs[name] = Blob(fields[2].decode(), int(fields[3]))
            return blobs
        staged: dict[str, str] = {}
        for entry in self.git("ls-files", "--stage", "-z").split(b"\0"):
            meta, _, path = entry.partition(b"\t")
            fields = meta.split()
            name = path.decode("utf-8", "replace")
            if len(fields) == 3 and fields[2] == b"0" and name.endswith(".py"):
                staged[name] = fields[1].decode()
        if ref == STAGED:
            sizes = self._sizes(list(staged.values()))
            return {p: Blob(sha, sizes[sha]) for p, sha in staged.items() if sha in sizes}
        modified = {entry.decode("utf-8", "replace") for entry in
                    self.git("diff-files", "--name-only", "-z").split(b"\0") if entry}
        on_disk = self.python_files(WORKTREE)
        return {p: Blob(sha, on_disk[p]) for p, sha in staged.items()
                if p not in modified and p in on_disk}

    def read(self, ref: str, paths: list[str]) -> dict[str, bytes]:
        """Contents of `paths` at `ref` (or in the index), in one `git cat-file` call.
        Paths missing at that ref are left out."""
        if ref == WORKTREE:
            return self._read_worktree(paths)
        specs = [f":{p}" if ref == STAGED else f"{ref}:{p}" for p in paths]
        if not specs:
            return {}
        if any("\n" in spec for spec in specs):
            # NUL-separated input needs git 2.38; only names with a newline need it.
            out = self.git("cat-file", "--batch", "-z", stdin=b"\0".join(
                spec.encode() for spec in specs) + b"\0")
        else:
            out = self.git("cat-file", "--batch", stdin="\n".join(specs).encode() + b"\n")
        contents: dict[str, bytes] = {}
        position = 0
        for path in paths:
            header_end = out.index(b"\n", position)
            header = out[position:header_end].split()
            position = header_end + 1
            if header[-1] == b"missing" or len(header) < 3:
                continue
            size = int(header[2])
            contents[path] = out[position:position + size]
            position += size + 1
        return contents

    def _read_worktree(self, paths: list[str]) -> dict[str, bytes]:
        """Files as they are on disk; a missing or unreadable one is left out (a changed
        Python file left out is reported as not audited, SX009)."""
        contents = {}
        for name in paths:
            try:
                contents[name] = (self.root / name).read_bytes()
            except OSError:
                continue  # absent at head: the caller says so for the files it needs
        return contents

    def _sizes(self, specs: list[str]) -> dict[str, int]:
        if not specs:
            return {}
        out = self.git("cat-file", "--batch-check", stdin="\n".join(specs).encode() + b"\n")
        sizes = {}
        for spec, line in zip(specs, out.decode().splitlines(), strict=False):
            parts = line.split()
            if len(parts) == 3 and parts[2].isdigit():
                sizes[spec] = int(parts[2])
        return sizes


def _run(args: list[str], cwd: Path, stdin: bytes | None = None) -> bytes:
    try:
        done = subprocess.run(
            args,
            cwd=cwd,
            input=stdin,
            capture_output=True,
            check=False,
        )
    except FileNotFoundError:
        raise GitError("git is not installed or not on PATH; install git") from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GitError(message[-1] if message else f"{args[1]} failed")
    return done.stdout



class LazyContents(Mapping[str, bytes]):
    """Contents of `paths` at `ref`, read from git when first asked for: the context of a
    local audit, of which the engine reads only the files whose facts are not cached
    (`preloaded`, read in one batch beforehand) and the few the fix planner opens. A path
    git cannot read is missing (KeyError), like a path `Repo.read` leaves out."""

    def __init__(self, repo: Repo, ref: str, paths: list[str],
                 preloaded: Mapping[str, bytes]) -> None:
        self._repo = repo
        self._ref = ref
        self._paths = dict.fromkeys(paths)
        self._loaded = {p: preloaded[p] for p in paths if p in preloaded}
        self.preloaded = len(self._loaded)
        """How many files were read beforehand: the ones the audit has to index."""

    def __getitem__(self, path: str) -> bytes:
        if path not in self._loaded:
            if path not in self._paths:
                raise KeyError(path)
            self._loaded.update(self._repo.read(self._ref, [path]))
        return self._loaded[path]

    def __iter__(self) -> Iterator[str]:
        return iter(self._paths)

    def __len__(self) -> int:
        return len(self._paths)

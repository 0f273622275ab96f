"""GitHub's REST operations: `GitHubApp` is one per process (credentials, caches of
immutable objects and ETags, the sticky comments' ids) and hands out an `Installation`
per installation id, with one method per operation the bot performs."""

from __future__ import annotations

import asyncio
import base64
import logging
import time
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

import aiohttp
import cachetools
from gidgethub import BadRequest, sansio

from bot.github.credentials import AppCredentials, Credentials, SharedCache
from bot.github.links import blob_url, web_url
from bot.github.payloads import (
    Comment,
    NewReviewComment,
    PullFile,
    PullRequest,
    ReviewComment,
    is_json_int,
)
from bot.github.transport import (
    ArchiveTooLargeError,
    CreatedMeanwhileError,
    GitHubClient,
    LookBeforeResend,
)
from bot.report import CHECK_NAME, CheckRunOutput
from bot.settings import Settings

logger = logging.getLogger(__name__)

ANNOTATIONS_PER_REQUEST = 50
"""GitHub's limit per create/update check-run request."""
MAX_PULL_FILES = 3000
"""GitHub lists at most this many files of a pull request."""
PER_PAGE = 100
RERUN_ACTION = {
    "label": "Re-run",
    "description": "Audit this commit again",
    "identifier": "rerun",
}
WRITE_PERMISSIONS = frozenset({"admin", "write"})
"""Values of the collaborator-permission endpoint's `permission` that may ask for a
re-audit."""
_PRESENT, _ABSENT = b"+", b"-"
"""How the object cache tells a file at a commit (`_PRESENT` + its bytes, so an empty
file is not taken for a missing one) from no file there."""
Conclusion = Literal["success", "failure", "neutral", "cancelled"]
"""`neutral` passes a required check; `cancelled` and `failure` block the merge."""


class GitHubApp:
    """One per process: credentials, caches and a client per installation."""

    def __init__(self, session: aiohttp.ClientSession, settings: Settings,
                 shared: SharedCache | None = None, credentials: Credentials | None = None
                 ) -> None:
        self.settings = settings
        self.credentials: Credentials = credentials or AppCredentials(session, settings, shared)
        self._session = session
        self._shared = shared
        self._installations: cachetools.LRUCache[int, Installation] = cachetools.LRUCache(4096)
        self.etags: cachetools.LRUCache[str, Any] = cachetools.LRUCache(4096)
        """gidgethub's conditional-request cache: URL -> (etag, last-modified, data, next)."""
        self.objects: cachetools.LRUCache[tuple[str, ...], bytes] = cachetools.LRUCache(
            settings.cache_bytes, getsizeof=len
        )
        """Immutable bytes by (kind, repo, sha[, path]): blobs, tarballs, files at a sha."""
        self.comment_ids: cachetools.LRUCache[tuple[str, int], int] = cachetools.LRUCache(4096)

    async def cached_object(self, key: tuple[str, ...]) -> bytes | None:
        """An immutable object from this process's cache, else from the shared one."""
        found = self.objects.get(key)
        if found is None and self._shared is not None:
            found = await self._shared.object(key)
            if found is not None:
                self.objects[key] = found
        return found

    async def keep_object(self, key: tuple[str, ...], data: bytes) -> None:
        self.objects[key] = data
        if self._shared is not None:
            await self._shared.keep_object(key, data)

    def installation(self, installation: int) -> Installation:
        found = self._installations.get(installation)
        if found is None:
            found = self._installations[installation] = Installation(self, installation)
        return found

    def client(self, installation: int, limiter: asyncio.Semaphore, *, conditional: bool,
               look_before_resend: LookBeforeResend | None = None) -> GitHubClient:
        async def authorization() -> str:
            return f"token {await self.credentials.token(installation)}"

        return GitHubClient(
            self._session, self.settings, authorization=authorization,
            unauthorized=lambda _headers: self.credentials.forget_token(installation),
            limiter=limiter, cache=self.etags if conditional else None,
            look_before_resend=look_before_resend,
        )


class Installation:
    """The operations the bot performs with one installation's token."""

    def __init__(self, app: GitHubApp, installation: int) -> None:
        self.app = app
        self.id = installation
        limiter = asyncio.Semaphore(app.settings.concurrency_per_installation)
        self._api = app.client(installation, limiter, conditional=True)
        """For GETs of things that change (PRs, lists): ETags make repeats free."""
        self._raw = app.client(installation, limiter, conditional=False)
        """For writes and immutable objects, which the bot caches by sha itself."""
        self._limiter = limiter

    # pull requests

    async def pull(self, repo: str, number: int) -> PullRequest:
        return PullRequest.from_json(await self._api.getitem(f"/repos/{repo}/pulls/{number}"))

    async def open_pulls_with_head(self, repo: str, sha: str) -> list[PullRequest]:
        """Open PRs whose head is `sha`; works for forks, whose check events list none."""
        found = []
        async for data in self._api.getiter(f"/repos/{repo}/pulls?state=open&per_page={PER_PAGE}"):
            if data["head"]["sha"] == sha:
                found.append(PullRequest.from_json(data))
        return found

    async def pull_files(self, repo: str, number: int) -> list[PullFile]:
        files: list[PullFile] = []
        url = f"/repos/{repo}/pulls/{number}/files?per_page={PER_PAGE}"
        async for data in self._api.getiter(url):
            files.append(PullFile.from_json(data))
            if len(files) >= MAX_PULL_FILES:
                break
        return files

    # contents

    async def blob(self, repo: str, sha: str) -> bytes:
        key = ("blob", repo, sha)
        found = await self.app.cached_object(key)
        if found is None:
            data = await self._raw.getitem(f"/repos/{repo}/git/blobs/{sha}")
            found = base64.b64decode(data["content"]) if data.get("content") else b""
            await self.app.keep_object(key, found)
        return found

    async def blob_sizes(self, repo: str, sha: str) -> dict[str, int]:
        """Path -> size in bytes of every file at commit `sha`, from its recursive tree,
        so a file can be judged by its size before it is downloaded. GitHub truncates
        very large trees; the files it left out are simply not in the answer."""
        data = await self._raw.getitem(f"/repos/{repo}/git/trees/{sha}?recursive=1")
        return {str(entry["path"]): int(entry["size"]) for entry in data.get("tree") or ()
                if entry.get("type") == "blob" and is_json_int(entry.get("size"))}

    async def file_at(self, repo: str, path: str, sha: str) -> bytes | None:
        """A file's bytes at a commit (b"" for an empty file), None if there is no such
        file. Absence is cached too: commits never change."""
        key = ("contents", repo, sha, path)
        found = await self.app.cached_object(key)
        if found is None:
            url = f"/repos/{repo}/contents/{urllib.parse.quote(path)}?ref={sha}"
            try:
                data = await self._raw.getitem(url)
            except BadRequest as exc:
                if exc.status_code != 404:
                    raise
                data = None
            if isinstance(data, dict) and data.get("type") == "file":
                found = _PRESENT + base64.b64decode(data.get("content") or "")
            else:
                found = _ABSENT
            await self.app.keep_object(key, found)
        return found[1:] if found[:1] == _PRESENT else None

    async def first_file_at(self, repo: str, paths: Sequence[str], sha: str
                            ) -> tuple[str, bytes] | None:
        for path in paths:
            data = await self.file_at(repo, path, sha)
            if data is not None:
                return path, data
        return None

    async def archive(self, repo: str, sha: str) -> bytes | None:
        """The gzipped tarball of the repository at `sha`; None when over the size cap."""
        key = ("tarball", repo, sha)
        found = await self.app.cached_object(key)
        if found is None:
            try:
                found = await self._raw.get_bytes(
                    f"/repos/{repo}/tarball/{sha}", accept=sansio.accept_format(),
                    max_bytes=self.app.settings.max_archive_bytes,
                )
            except ArchiveTooLargeError as exc:
                logger.warning("tarball too large", extra={"repo": repo, "reason": str(exc)})
                return None
            await self.app.keep_object(key, found)
        return found

    # permissions and reactions

    async def permission(self, repo: str, user: str) -> str | None:
        """The user's base permission on the repo (admin, write, read or none; maintain
        counts as write, triage as read, a custom role as its base), None if not a
        collaborator. `role_name` is ignored: a custom role's name grants nothing."""
        try:
            data = await self._api.getitem(
                f"/repos/{repo}/collaborators/{urllib.parse.quote(user)}/permission"
            )
        except BadRequest as exc:
            if exc.status_code == 404:
                return None
            raise
        return str(data.get("permission") or "") or None

    async def react(self, repo: str, comment_id: int, content: str) -> None:
        await self._raw.post(f"/repos/{repo}/issues/comments/{comment_id}/reactions",
                             data={"content": content})

    # check runs

    async def our_check_run(self, repo: str, head_sha: str) -> tuple[int, bool] | None:
        """(id, completed) of the newest `SSOT audit` check run this App has on `head_sha`."""
        found = await self._raw.getitem(
            f"/repos/{repo}/commits/{head_sha}/check-runs?filter=latest"
            f"&check_name={urllib.parse.quote(CHECK_NAME)}&app_id={self.app.settings.app_id}"
        )
        for run in found.get("check_runs") or ():
            if run.get("name") == CHECK_NAME and run.get("head_sha") == head_sha:
                return int(run["id"]), run.get("status") == "completed"
        return None

    async def start_check_run(self, repo: str, head_sha: str, *, resume: bool = False) -> int:
        """Our check run on `head_sha`, created `in_progress`. With `resume` (a job taken
        over from a dead worker), the newest one this App already has there is reused, so
        a retried audit still ends with one check run."""
        found = await self.our_check_run(repo, head_sha) if resume else None
        if found is not None:
            return found[0]

        async def created_meanwhile() -> int | None:
            # In progress: a completed one on this head is an earlier audit's.
            run = await self.our_check_run(repo, head_sha)
            return run[0] if run is not None and not run[1] else None

        return await self._create(f"/repos/{repo}/check-runs", {
            "name": CHECK_NAME,
            "head_sha": head_sha,
            "status": "in_progress",
            "started_at": _now_iso(),
        }, created_meanwhile)

    async def complete_check_run(self, repo: str, check_run: int, conclusion: Conclusion,
                                 output: CheckRunOutput) -> int:
        """Conclude a check run with every annotation (up to `max_annotations`), 50 per
        request; the last request completes it, so it never shows half its annotations
        as final. Returns the number of requests made."""
        annotations = output.annotations[: self.app.settings.max_annotations]
        batches = [annotations[i : i + ANNOTATIONS_PER_REQUEST]
                   for i in range(0, len(annotations), ANNOTATIONS_PER_REQUEST)] or [[]]
        url = f"/repos/{repo}/check-runs/{check_run}"
        title = output.title[:255]
        summary = _clip(output.summary)
        sent = 0
        for batch in batches[:-1]:
            sent += len(batch)
            await self._update_check_run(url, {
                "output": {"title": title, "summary": summary, "annotations": batch},
            }, sent)
        final: dict[str, Any] = {"title": title, "summary": summary}
        if output.text:
            final["text"] = _clip(output.text)
        if batches[-1]:
            final["annotations"] = batches[-1]
        await self._update_check_run(url, {
            "status": "completed",
            "conclusion": conclusion,
            "completed_at": _now_iso(),
            "output": final,
            "actions": [RERUN_ACTION],
        }, sent + len(batches[-1]))
        return len(batches)

    async def _update_check_run(self, url: str, data: Mapping[str, Any],
                                annotations_after: int) -> None:
        """PATCH a check run that should then hold `annotations_after` annotations.
        GitHub appends every update's annotations, so an update whose answer was lost is
        not resent blindly: when the run already holds that many, the update was
        applied (an update without annotations is safe to resend)."""
        async def applied_meanwhile() -> int | None:
            run = await self._raw.getitem(url)
            count = run.get("output", {}).get("annotations_count", 0)
            return count if annotations_after and count >= annotations_after else None

        updater = self.app.client(self.id, self._limiter, conditional=False,
                                  look_before_resend=applied_meanwhile)
        try:
            await updater.patch(url, data=data)
        except CreatedMeanwhileError:
            return

    # the sticky comment

    async def upsert_comment(self, repo: str, number: int, body: str, marker: str) -> int:
        """Edit our comment (found by `marker`) in place, or create it once."""
        edited = await self.edit_comment(repo, number, body, marker)
        if edited is not None:
            return edited

        async def created_meanwhile() -> int | None:
            found = await self.find_comment(repo, number, marker)
            return found.id if found is not None else None

        comment_id = await self._create(f"/repos/{repo}/issues/{number}/comments",
                                        {"body": body}, created_meanwhile)
        self.app.comment_ids[(repo, number)] = comment_id
        return comment_id

    async def edit_comment(self, repo: str, number: int, body: str, marker: str) -> int | None:
        """Edit our comment (found by `marker`) in place if the pull request has one; its
        id, or None when it has none (nothing is created)."""
        key = (repo, number)
        known = self.app.comment_ids.get(key)
        if known is not None:
            try:
                await self._raw.patch(f"/repos/{repo}/issues/comments/{known}",
                                      data={"body": body})
                return known
            except BadRequest as exc:
                if exc.status_code != 404:
                    raise
                del self.app.comment_ids[key]  # deleted by someone; look again
        existing = await self.find_comment(repo, number, marker)
        if existing is None:
            return None
        await self._raw.patch(f"/repos/{repo}/issues/comments/{existing.id}",
                              data={"body": body})
        self.app.comment_ids[key] = existing.id
        return existing.id

    async def find_comment(self, repo: str, number: int, marker: str) -> Comment | None:
        """Our sticky comment: it starts with `marker` AND this App posted it (GitHub
        names our App id in `performed_via_github_app`, or its author is our bot user).
        Anyone who can comment can copy the marker; neither of those facts can be
        forged, so a planted look-alike is never edited into a report its author can
        then rewrite."""
        url = f"/repos/{repo}/issues/{number}/comments?per_page={PER_PAGE}"
        async for data in self._api.getiter(url):
            body = str(data.get("body") or "")
            if body.startswith(marker) and await self._posted_by_us(data):
                return Comment(int(data["id"]), body)
        return None

    async def _posted_by_us(self, comment: Mapping[str, Any]) -> bool:
        app = comment.get("performed_via_github_app")
        if isinstance(app, Mapping) and str(app.get("id")) == self.app.settings.app_id:
            return True
        user = comment.get("user")
        return (isinstance(user, Mapping) and user.get("type") == "Bot"
                and user.get("login") == await self.app.credentials.bot_login())

    # the review

    async def review_comments(self, repo: str, number: int) -> list[ReviewComment]:
        """Every inline review comment of the pull request (replies included), each
        marked with whether this App posted it."""
        found = []
        async for data in self._api.getiter(
                f"/repos/{repo}/pulls/{number}/comments?per_page={PER_PAGE}"):
            reply = data.get("in_reply_to_id")
            found.append(ReviewComment(int(data["id"]), str(data.get("body") or ""),
                                       int(reply) if is_json_int(reply) else None,
                                       await self._posted_by_us(data)))
        return found

    async def create_review(self, repo: str, number: int, commit_id: str, body: str,
                            comments: Sequence[NewReviewComment]) -> int:
        """Post one review (event COMMENT) with its inline comments; GitHub takes all of
        them or, for one anchor outside the diff, none (422). `body` starts with a marker
        naming `commit_id`, so a retry after a lost answer finds the review instead of
        posting it twice."""

        async def created_meanwhile() -> int | None:
            url = f"/repos/{repo}/pulls/{number}/reviews?per_page={PER_PAGE}"
            async for review in self._raw.getiter(url):
                if str(review.get("body") or "").startswith(body.partition("\n")[0]) \
                        and await self._posted_by_us(review):
                    return int(review["id"])
            return None

        return await self._create(f"/repos/{repo}/pulls/{number}/reviews", {
            "commit_id": commit_id,
            "body": body,
            "event": "COMMENT",
            "comments": [comment.to_json() for comment in comments],
        }, created_meanwhile)

    async def edit_review_comment(self, repo: str, comment_id: int, body: str) -> None:
        await self._raw.patch(f"/repos/{repo}/pulls/comments/{comment_id}",
                              data={"body": body})

    async def delete_review_comment(self, repo: str, comment_id: int) -> None:
        """Delete one of our inline comments; one already gone is no error."""
        try:
            await self._raw.delete(f"/repos/{repo}/pulls/comments/{comment_id}")
        except BadRequest as exc:
            if exc.status_code != 404:
                raise

    def blob_url(self, repo: str, sha: str) -> Callable[[str, int], str]:
        return blob_url(web_url(self.app.settings.api_url), repo, sha)

    async def _create(self, url: str, data: Mapping[str, Any],
                      created_meanwhile: LookBeforeResend) -> int:
        """POST `data` to create something; its id. Never creates it twice: after an
        answer that leaves open whether GitHub did it (a 5xx, a dropped connection, a
        timeout), the client's one retry loop calls `created_meanwhile` before posting
        again (and after the last attempt, so that nothing GitHub created is left
        unfinished)."""
        creator = self.app.client(self.id, self._limiter, conditional=False,
                                  look_before_resend=created_meanwhile)
        try:
            created = await creator.post(url, data=data)
        except CreatedMeanwhileError as found:
            return found.created_id
        return int(created["id"])


def _clip(text: str, limit: int = 65_535) -> str:
    if len(text) <= limit:
        return text
    cut = "\n\n… (cut to fit GitHub's limit)"
    return text[: limit - len(cut)] + cut


def _now_iso() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


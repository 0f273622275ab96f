"""A local GitHub for the App's tests and benchmarks: real HTTP, a real git repository.

`FakeGitHub` serves the REST operations the bot calls from a temporary git repository
(created with the git CLI), shaped like GitHub's own examples in the REST OpenAPI
description (`rest-api-subset.json`): each response is GitHub's example with the fields
that matter replaced by the repository's real data. It enforces what GitHub enforces
(App JWT rules, token expiry, 50 annotations per request, output and comment sizes),
answers conditional GETs with 304, paginates with `Link`, and records every request.
Tests script faults (`fail`), lost answers (`lose_answer`) and pauses (`hold`) instead
of patching the bot.

It also builds webhook payloads from GitHub's example payloads (`webhook-examples/`),
which the contract test validates against GitHub's schemas, and serves the App manifest
flow: the new-App pages a manifest form posts to (a confirmation form that sends the
browser back to the manifest's `redirect_url` with `?code=…&state=…`) and the
conversion of that code into an App with a fresh key and webhook secret.
"""

from __future__ import annotations

import asyncio
import base64
import copy
import email.utils
import functools
import hashlib
import html
import json
import os
import re
import secrets
import subprocess
import time
import urllib.parse
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt
from aiohttp import web
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.gitrepo import GitRepo

SPEC_DIR_VARIABLE = "SSOT_GITHUB_SPEC_DIR"
DEFAULT_SPEC_DIR = Path(__file__).resolve().parent / "github"
"""GitHub's examples, schemas and REST description, vendored (see its README)."""
OWNER, NAME = "octo-org", "octo-repo"
REPO = f"{OWNER}/{NAME}"
FORK = "contributor/octo-repo"
INSTALLATION_ID = 4242
APP_SLUG = "ssot-bot"
APP_BOT_USER = f"{APP_SLUG}[bot]"


def spec_dir() -> Path:
    """Where GitHub's examples, schemas and OpenAPI subset are: the vendored copy, or
    `SSOT_GITHUB_SPEC_DIR` to try a newer one."""
    configured = os.environ.get(SPEC_DIR_VARIABLE)
    return Path(configured) if configured else DEFAULT_SPEC_DIR


def app_key_pair() -> tuple[str, str]:
    """A new App key: (private PEM, public PEM), as GitHub hands out and checks them."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return private, public


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any
    status: int = 0

    @property
    def operation(self) -> str:
        return f"{self.method} {self.path}"


@dataclass
class Fault:
    method: str
    path: re.Pattern[str]
    status: int
    headers: dict[str, str]
    body: dict[str, Any]
    times: int


@dataclass
class LostAnswer:
    method: str
    path: re.Pattern[str]
    status: int | None
    """What arrives instead of GitHub's answer; None: the connection drops."""
    times: int


@dataclass
class Hold:
    method: str
    path: re.Pattern[str]
    reached: asyncio.Event = field(default_factory=asyncio.Event)
    released: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass
class Pull:
    number: int
    head_ref: str
    base_ref: str
    author: str
    draft: bool = False
    state: str = "open"
    head_repo: str = REPO
    unlisted_files: int = 0
    """Changed files beyond GitHub's 3,000-file listing cap (counted, never listed)."""
    shaless: frozenset[str] = frozenset()
    """Changed files listed with `"sha": null` (GitHub does so for some large or
    submodule entries): their contents cannot be fetched by blob."""
    patchless: frozenset[str] = frozenset()
    """Changed files listed without a `patch` (GitHub leaves it out of large diffs)."""


@dataclass
class CheckRun:
    id: int
    head_sha: str
    name: str
    status: str
    conclusion: str | None = None
    output: dict[str, Any] = field(default_factory=dict)
    actions: list[dict[str, Any]] = field(default_factory=list)
    annotations: list[dict[str, Any]] = field(default_factory=list)
    updates: int = 0


@dataclass
class IssueComment:
    id: int
    number: int
    body: str
    user: str
    app_id: str | None = None
    """The App whose installation token created it (GitHub's `performed_via_github_app`)."""


@dataclass
class Review:
    id: int
    number: int
    commit_id: str
    body: str
    event: str
    user: str
    app_id: str | None


@dataclass
class ReviewComment:
    id: int
    number: int
    review_id: int | None
    path: str
    line: int
    start_line: int | None
    body: str
    user: str
    app_id: str | None = None
    in_reply_to: int | None = None


@dataclass
class ManifestSubmission:
    """A manifest posted to a new-App page, waiting for the user's confirmation."""

    id: int
    manifest: dict[str, Any]
    state: str | None
    org: str | None


@dataclass
class ManifestApp:
    """An App made by the manifest flow, with the secrets the conversion hands out."""

    id: int
    slug: str
    manifest: dict[str, Any]
    org: str | None
    pem: str
    webhook_secret: str
    client_secret: str
    converted: bool = False


MANIFEST_REQUIRED = ("name", "url", "redirect_url")
"""What GitHub's new-App page refuses a manifest without (`hook_attributes.url` too,
when the manifest has hook attributes)."""


class FakeGitHub:
    def __init__(self, repo: GitRepo, *, app_id: str, public_key: str, spec: Path) -> None:
        self.repo = repo
        self.app_id = app_id
        self.public_key = public_key
        self.examples = _examples(spec)
        self.webhook_examples = spec / "webhook-examples"
        self.url = ""
        self.requests: list[RecordedRequest] = []
        self.pulls: dict[int, Pull] = {}
        self.check_runs: dict[int, CheckRun] = {}
        self.comments: dict[int, IssueComment] = {}
        self.reactions: list[tuple[int, str]] = []
        self.reviews: dict[int, Review] = {}
        self.review_comments: dict[int, ReviewComment] = {}
        self.roles: dict[str, str] = {}
        self.custom_roles: dict[str, str] = {}
        """Organisation roles of our own: name -> the base permission (read, write...)."""
        self.clock_skew = 0.0
        self.token_lifetime = 3600.0
        self.tokens: dict[str, float] = {}
        self.tokens_minted = 0
        self.faults: list[Fault] = []
        self.lost_answers: list[LostAnswer] = []
        self.holds: list[Hold] = []
        self.rate_limit_remaining = 5000
        """GitHub's `x-ratelimit-remaining`: one less per authenticated REST answer."""
        self.manifest_submissions: dict[int, ManifestSubmission] = {}
        self.manifest_codes: dict[str, ManifestApp] = {}
        """One-time codes of the manifest flow -> the App each makes."""
        self._ids = iter(range(1000, 10**9))

    # --- scripting ---------------------------------------------------------------

    def open_pull(self, number: int, head_ref: str, *, base_ref: str = "main",
                  author: str = "octocat", draft: bool = False, fork: bool = False) -> Pull:
        pull = Pull(number, head_ref, base_ref, author, draft,
                    head_repo=FORK if fork else REPO)
        self.pulls[number] = pull
        return pull

    def fail(self, method: str, path: str, status: int, *, times: int = 1,
             headers: Mapping[str, str] | None = None, message: str = "Server Error") -> None:
        """Answer the next `times` requests matching `method` and the `path` regex with
        `status` (GitHub's error body shape)."""
        self.faults.append(Fault(method, re.compile(path), status, dict(headers or {}),
                                 {"message": message,
                                  "documentation_url": "https://docs.github.com/rest"}, times))

    def lose_answer(self, method: str, path: str, *, status: int | None = 502,
                    times: int = 1) -> None:
        """GitHub does the work of the next `times` requests matching, then the answer
        is lost: `status` arrives instead (a proxy giving up on a slow GitHub), or with
        None the connection drops."""
        self.lost_answers.append(LostAnswer(method, re.compile(path), status, times))

    def hold(self, method: str, path: str) -> Hold:
        """Requests matching wait until the hold is released."""
        hold = Hold(method, re.compile(path))
        self.holds.append(hold)
        return hold

    def revoke_tokens(self) -> None:
        self.tokens.clear()

    def add_comment(self, number: int, body: str, user: str = "someone", *,
                    app_id: str | None = None) -> IssueComment:
        """A comment by `user`; with `app_id`, one that App posted (its bot user)."""
        comment = IssueComment(next(self._ids), number, body, user, app_id)
        self.comments[comment.id] = comment
        return comment

    def push(self, branch: str, files: Mapping[str, str | bytes], *, start: str = "main"
             ) -> str:
        """Commit `files` on `branch` (created from `start` if new); the new head sha."""
        exists = self.repo.git("branch", "--list", branch)
        self.repo.git("checkout", "-q", *((branch,) if exists else ("-b", branch, start)))
        try:
            return self.repo.commit(f"update {branch}", dict(files))
        finally:
            self.repo.git("checkout", "-q", "main")

    def sha(self, ref: str) -> str:
        return self.repo.git("rev-parse", ref)

    def writes(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.method != "GET"]

    def runs_for(self, sha: str) -> list[CheckRun]:
        return [run for run in self.check_runs.values() if run.head_sha == sha]

    def comments_on(self, number: int) -> list[IssueComment]:
        return [c for c in self.comments.values() if c.number == number]

    def reviews_on(self, number: int) -> list[Review]:
        return [r for r in self.reviews.values() if r.number == number]

    def review_comments_on(self, number: int) -> list[ReviewComment]:
        return [c for c in self.review_comments.values() if c.number == number]

    def reply(self, comment_id: int, body: str, user: str = "octocat") -> ReviewComment:
        """A reply by `user` in the thread that review comment `comment_id` starts."""
        first = self.review_comments[comment_id]
        reply = ReviewComment(next(self._ids), first.number, None, first.path, first.line,
                              first.start_line, body, user, in_reply_to=comment_id)
        self.review_comments[reply.id] = reply
        return reply

    # --- webhook payloads (GitHub's examples, with this repository's facts) --------

    def example_payload(self, event: str, name: str) -> dict[str, Any]:
        payload: dict[str, Any] = json.loads((self.webhook_examples / event / name).read_text())
        if "repository" in payload:
            payload["repository"]["full_name"] = REPO
            payload["repository"]["name"] = NAME
            payload["repository"]["owner"]["login"] = OWNER
        if "installation" in payload:
            payload["installation"]["id"] = INSTALLATION_ID
        else:
            payload["installation"] = {"id": INSTALLATION_ID,
                                       "node_id": "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uNDI0Mg=="}
        return payload

    def pull_request_payload(self, number: int, action: str) -> dict[str, Any]:
        name = {"opened": "opened.payload.json", "reopened": "reopened.payload.json",
                "synchronize": "synchronize.payload.json",
                "ready_for_review": "ready_for_review.with-installation.payload.json",
                "closed": "closed.payload.json"}[action]
        payload = self.example_payload("pull_request", name)
        pull, data = self.pulls[number], payload["pull_request"]
        payload["number"] = data["number"] = number
        data["state"] = "closed" if action == "closed" else pull.state
        data["draft"] = pull.draft
        data["user"]["login"] = pull.author
        data["head"]["ref"], data["head"]["sha"] = pull.head_ref, self.sha(pull.head_ref)
        data["base"]["ref"], data["base"]["sha"] = pull.base_ref, self.sha(pull.base_ref)
        data["base"]["repo"]["full_name"] = REPO
        data["head"]["repo"]["full_name"] = pull.head_repo
        return payload

    def comment_payload(self, number: int, body: str, user: str,
                        *, user_type: str = "User") -> dict[str, Any]:
        payload = self.example_payload("issue_comment", "created.with-installation.payload.json")
        issue, comment = payload["issue"], payload["comment"]
        issue["number"] = number
        issue["user"]["login"] = self.pulls[number].author
        issue["pull_request"] = {
            "url": f"https://api.github.com/repos/{REPO}/pulls/{number}",
            "html_url": f"https://github.com/{REPO}/pull/{number}",
            "diff_url": f"https://github.com/{REPO}/pull/{number}.diff",
            "patch_url": f"https://github.com/{REPO}/pull/{number}.patch",
            "merged_at": None,
        }
        comment["id"] = self.add_comment(number, body, user).id
        comment["body"] = body
        comment["user"]["login"] = user
        comment["user"]["type"] = user_type
        return payload

    def check_run_payload(self, action: str, head_sha: str, numbers: list[int],
                          *, name: str = "SSOT audit", identifier: str = "rerun"
                          ) -> dict[str, Any]:
        file = {"rerequested": "rerequested.payload.json",
                "requested_action": "requested_action.payload.json"}[action]
        payload = self.example_payload("check_run", file)
        run = payload["check_run"]
        run["name"] = name
        run["head_sha"] = run["check_suite"]["head_sha"] = head_sha
        run["pull_requests"] = [self._check_pull(n, head_sha) for n in numbers]
        if action == "requested_action":
            payload["requested_action"] = {"identifier": identifier}
        return payload

    def check_suite_payload(self, action: str, head_sha: str, numbers: list[int]
                            ) -> dict[str, Any]:
        payload = self.example_payload("check_suite", f"{action}.payload.json")
        suite = payload["check_suite"]
        suite["head_sha"] = suite["after"] = head_sha
        suite["pull_requests"] = [self._check_pull(n, head_sha) for n in numbers]
        return payload

    def _check_pull(self, number: int, head_sha: str) -> dict[str, Any]:
        pull = self.pulls[number]
        repo = {"id": 1, "url": f"https://api.github.com/repos/{REPO}", "name": NAME}
        return {
            "url": f"https://api.github.com/repos/{REPO}/pulls/{number}", "id": number,
            "number": number,
            "head": {"ref": pull.head_ref, "sha": head_sha, "repo": repo},
            "base": {"ref": pull.base_ref, "sha": self.sha(pull.base_ref), "repo": repo},
        }

    # --- the server --------------------------------------------------------------

    def app(self) -> web.Application:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        return app

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        body: Any = None
        if raw and request.content_type == "application/json":
            body = json.loads(raw)
        elif raw and request.content_type == "application/x-www-form-urlencoded":
            body = dict(urllib.parse.parse_qsl(raw.decode()))
        record = RecordedRequest(request.method, request.path, dict(request.query),
                                 {k.lower(): v for k, v in request.headers.items()}, body)
        self.requests.append(record)
        for hold in self.holds:
            if hold.method == request.method and hold.path.search(request.path):
                hold.reached.set()
                await hold.released.wait()
        response = self._fault(request)
        if response is None:
            response = self._authorize(request) or self._route(request, body)
            lost = self._lost_answer(request)
            if lost is not None:
                if lost.status is None:
                    assert request.transport is not None, "the request is being answered"
                    request.transport.abort()
                    raise web.HTTPInternalServerError  # never reaches the closed connection
                response = _error(lost.status, "Bad Gateway")
        if "authorization" in record.headers and "x-ratelimit-remaining" not in response.headers:
            self.rate_limit_remaining -= 1
            response.headers["x-ratelimit-remaining"] = str(self.rate_limit_remaining)
        record.status = response.status
        return response

    def _lost_answer(self, request: web.Request) -> LostAnswer | None:
        for lost in self.lost_answers:
            if lost.times and lost.method == request.method and lost.path.search(request.path):
                lost.times -= 1
                return lost
        return None

    def _fault(self, request: web.Request) -> web.Response | None:
        for fault in self.faults:
            if fault.times and fault.method == request.method and fault.path.search(request.path):
                fault.times -= 1
                return web.json_response(fault.body, status=fault.status, headers=fault.headers)
        return None

    def _authorize(self, request: web.Request) -> web.Response | None:
        header = request.headers.get("Authorization", "")
        if request.path == "/app" or request.path.startswith("/app/"):
            scheme, _, token = header.partition(" ")
            if scheme.lower() != "bearer" or not self._valid_jwt(token):
                response = _error(401, "'Expiration time' claim ('exp') is too far in the "
                                       "future or 'Issued at' claim ('iat') is in the future")
                response.headers["Date"] = email.utils.formatdate(self.now(), usegmt=True)
                return response
            return None
        if request.path.startswith("/_codeload/"):
            return None  # the redirect target carries its own short-lived token
        if WEB_PAGE.match(request.path) or request.path.startswith("/app-manifests/"):
            return None  # the browser's pages; a conversion's code is its own credential
        scheme, _, token = header.partition(" ")
        expires = self.tokens.get(token)
        if scheme.lower() != "token" or expires is None or expires < time.time():
            return _error(401, "Bad credentials")
        return None

    def _valid_jwt(self, token: str) -> bool:
        try:
            claims = jwt.decode(token, self.public_key, algorithms=["RS256"], options={
                "require": ["iat", "exp", "iss"], "verify_exp": False, "verify_iat": False})
        except jwt.PyJWTError:
            return False
        now = self.now()
        # GitHub's rules, by GitHub's clock: issued in the past, not expired, expiring at
        # most 10 minutes ahead.
        return (str(claims["iss"]) == self.app_id and claims["iat"] <= now < claims["exp"]
                and claims["exp"] - now <= 600)

    def now(self) -> float:
        """GitHub's clock, which may differ from ours by `clock_skew` seconds."""
        return time.time() + self.clock_skew

    def _route(self, request: web.Request, body: Any) -> web.Response:
        path, method = request.path, request.method
        prefix = f"/repos/{REPO}"
        routes: list[tuple[str, str, Any]] = [
            ("POST", r"^/app/installations/(\d+)/access_tokens$", self._access_token),
            ("GET", r"^/app$", self._get_app),
            ("GET", rf"^{prefix}/pulls$", self._list_pulls),
            ("GET", rf"^{prefix}/pulls/(\d+)$", self._get_pull),
            ("GET", rf"^{prefix}/pulls/(\d+)/files$", self._list_files),
            ("GET", rf"^{prefix}/git/blobs/([0-9a-f]+)$", self._get_blob),
            ("GET", rf"^{prefix}/git/trees/([0-9a-f]+)$", self._get_tree),
            ("GET", rf"^{prefix}/contents/(.+)$", self._get_content),
            ("GET", rf"^{prefix}/tarball/(.+)$", self._tarball_redirect),
            ("GET", r"^/_codeload/([0-9a-f]+)$", self._tarball),
            ("POST", rf"^{prefix}/check-runs$", self._create_check_run),
            ("PATCH", rf"^{prefix}/check-runs/(\d+)$", self._update_check_run),
            ("GET", rf"^{prefix}/commits/([0-9a-f]+)/check-runs$", self._list_check_runs),
            ("GET", rf"^{prefix}/issues/(\d+)/comments$", self._list_comments),
            ("POST", rf"^{prefix}/issues/(\d+)/comments$", self._create_comment),
            ("PATCH", rf"^{prefix}/issues/comments/(\d+)$", self._update_comment),
            ("POST", rf"^{prefix}/issues/comments/(\d+)/reactions$", self._react),
            ("GET", rf"^{prefix}/collaborators/([^/]+)/permission$", self._permission),
            ("GET", rf"^{prefix}/pulls/(\d+)/reviews$", self._list_reviews),
            ("POST", rf"^{prefix}/pulls/(\d+)/reviews$", self._create_review),
            ("GET", rf"^{prefix}/pulls/(\d+)/comments$", self._list_review_comments),
            ("PATCH", rf"^{prefix}/pulls/comments/(\d+)$", self._update_review_comment),
            ("DELETE", rf"^{prefix}/pulls/comments/(\d+)$", self._delete_review_comment),
            ("POST", r"^/settings/apps/new$", self._new_app_page),
            ("POST", r"^/organizations/([^/]+)/settings/apps/new$", self._new_app_page),
            ("POST", r"^/settings/apps/new/confirm$", self._confirm_new_app),
            ("POST", r"^/app-manifests/([^/]+)/conversions$", self._convert_manifest),
        ]
        for route_method, pattern, handler in routes:
            match = re.match(pattern, path)
            if match and route_method == method:
                response: web.Response = handler(request, body, *match.groups())
                return response
        return _error(404, "Not Found")

    # --- operations ----------------------------------------------------------------

    def _access_token(self, _request: web.Request, _body: Any, installation: str
                      ) -> web.Response:
        if int(installation) != INSTALLATION_ID:
            return _error(404, "Not Found")
        token = f"ghs_{uuid.uuid4().hex}"
        expires = time.time() + self.token_lifetime
        self.tokens[token] = expires
        self.tokens_minted += 1
        data = self._example("installation-token")
        data["token"] = token
        data["expires_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(expires))
        return web.json_response(data, status=201)

    def _get_app(self, request: web.Request, _body: Any) -> web.Response:
        data = self._example("integration")
        data.update(id=int(self.app_id), slug=APP_SLUG)
        return self._json(request, data)

    def _example(self, name: str) -> Any:
        """A fresh copy of one of GitHub's example responses."""
        return copy.deepcopy(self.examples[name])

    def _pull_json(self, pull: Pull) -> dict[str, Any]:
        data: dict[str, Any] = self._example("pull-request")
        head_sha, base_sha = self.sha(pull.head_ref), self.sha(pull.base_ref)
        data.update(number=pull.number, state=pull.state, draft=pull.draft,
                    html_url=f"https://github.com/{REPO}/pull/{pull.number}",
                    url=f"{self.url}/repos/{REPO}/pulls/{pull.number}",
                    changed_files=len(self._diff(base_sha, head_sha)) + pull.unlisted_files)
        data["user"]["login"] = pull.author
        data["head"].update(ref=pull.head_ref, sha=head_sha, label=f"{pull.author}:{pull.head_ref}")
        data["head"]["repo"]["full_name"] = pull.head_repo
        data["base"].update(ref=pull.base_ref, sha=base_sha)
        data["base"]["repo"]["full_name"] = REPO
        return data

    def _get_pull(self, request: web.Request, _body: Any, number: str) -> web.Response:
        pull = self.pulls.get(int(number))
        if pull is None:
            return _error(404, "Not Found")
        return self._json(request, self._pull_json(pull))

    def _list_pulls(self, request: web.Request, _body: Any) -> web.Response:
        pulls = [self._pull_json(p) for p in self.pulls.values() if p.state == "open"]
        return self._page(request, pulls)

    def _diff(self, base: str, head: str) -> list[tuple[str, str, str | None]]:
        """(status letter, path, old path) of `base...head`, renames detected."""
        # -z: paths as they are (no C quoting of newlines, quotes or non-ASCII), as
        # GitHub lists them.
        out = _git_bytes(self.repo, "diff", "-z", "--name-status", "-M", f"{base}...{head}")
        fields = out.decode("utf-8", "surrogateescape").split("\0")[:-1]
        entries: list[tuple[str, str, str | None]] = []
        while fields:
            letter = fields.pop(0)
            if letter.startswith("R"):
                old, new = fields.pop(0), fields.pop(0)
                entries.append(("R", new, old))
            else:
                entries.append((letter[0], fields.pop(0), None))
        return entries

    def _hunks(self, base: str, head: str, path: str, old: str | None) -> str:
        """GitHub's `patch` of one file: its hunks, without the header lines."""
        patch = self.repo.git("diff", "-M", f"{base}...{head}", "--", *(
            [old, path] if old else [path]))
        return patch[patch.find("@@"):] if "@@" in patch else ""

    def _list_files(self, request: web.Request, _body: Any, number: str) -> web.Response:
        pull = self.pulls[int(number)]
        base, head = self.sha(pull.base_ref), self.sha(pull.head_ref)
        statuses = {"A": "added", "M": "modified", "D": "removed", "R": "renamed"}
        files = []
        for letter, path, old in self._diff(base, head)[:3000]:
            entry = self._example("diff-entry-items")[0]
            hunks = self._hunks(base, head, path, old)
            added = sum(1 for x in hunks.splitlines() if x.startswith("+"))
            removed = sum(1 for x in hunks.splitlines() if x.startswith("-"))
            entry.update(
                filename=path, status=statuses[letter], additions=added, deletions=removed,
                changes=added + removed, patch=hunks,
                sha=self.repo.git("rev-parse", f"{head}:{path}") if letter != "D"
                else self.repo.git("rev-parse", f"{base}:{path}"),
                blob_url=f"https://github.com/{REPO}/blob/{head}/{path}",
                raw_url=f"https://github.com/{REPO}/raw/{head}/{path}",
                contents_url=f"{self.url}/repos/{REPO}/contents/{path}?ref={head}",
            )
            if path in pull.shaless:
                entry["sha"] = None
            if path in pull.patchless:
                del entry["patch"]
            if old:
                entry["previous_filename"] = old
            files.append(entry)
        return self._page(request, files)

    def _get_blob(self, request: web.Request, _body: Any, sha: str) -> web.Response:
        try:
            content = _git_bytes(self.repo, "cat-file", "blob", sha)
        except subprocess.CalledProcessError:
            return _error(404, "Not Found")
        data = self._example("blob")
        data.update(content=base64.b64encode(content).decode(), encoding="base64", sha=sha,
                    size=len(content), url=f"{self.url}/repos/{REPO}/git/blobs/{sha}")
        return self._json(request, data)

    def _get_tree(self, request: web.Request, _body: Any, sha: str) -> web.Response:
        """The commit's tree; with `recursive`, every blob with its size, as GitHub."""
        args = ["ls-tree", "-l", "-z", *(["-r"] if request.query.get("recursive") else []), sha]
        try:
            out = _git_bytes(self.repo, *args)
        except subprocess.CalledProcessError:
            return _error(404, "Not Found")
        entries = []
        for record in out.decode("utf-8", "surrogateescape").split("\0")[:-1]:
            info, _, path = record.partition("\t")
            mode, kind, blob, size = info.split()
            entry: dict[str, Any] = {"path": path, "mode": mode, "type": kind, "sha": blob,
                                     "url": f"{self.url}/repos/{REPO}/git/blobs/{blob}"}
            if kind == "blob":
                entry["size"] = int(size)
            entries.append(entry)
        data = self._example("git-tree-response-recursively-retrieving-a-tree")
        data.update(sha=sha, tree=entries, truncated=False,
                    url=f"{self.url}/repos/{REPO}/git/trees/{sha}")
        return self._json(request, data)

    def _get_content(self, request: web.Request, _body: Any, path: str) -> web.Response:
        ref = request.query.get("ref", "main")
        try:
            content = _git_bytes(self.repo, "show", f"{ref}:{path}")
        except subprocess.CalledProcessError:
            return _error(404, "Not Found")
        data = self._example("content-file-response-if-content-is-a-file")
        data.update(type="file", encoding="base64", size=len(content), name=path.rsplit("/")[-1],
                    path=path, content=base64.b64encode(content).decode(),
                    sha=self.repo.git("rev-parse", f"{ref}:{path}"))
        return self._json(request, data)

    def _tarball_redirect(self, _request: web.Request, _body: Any, ref: str) -> web.Response:
        # Like GitHub: a redirect to a short-lived download URL on another path.
        return web.Response(status=302,
                            headers={"Location": f"{self.url}/_codeload/{self.sha(ref)}"})

    def _tarball(self, _request: web.Request, _body: Any, sha: str) -> web.Response:
        archive = _git_bytes(self.repo, "archive", "--format=tar.gz",
                             f"--prefix={OWNER}-{NAME}-{sha[:7]}/", sha)
        return web.Response(body=archive, content_type="application/x-gzip")

    def _create_check_run(self, _request: web.Request, body: Any) -> web.Response:
        problem = _check_output_problem(body)
        if problem:
            return _error(422, problem)
        run = CheckRun(next(self._ids), body["head_sha"], body["name"],
                       body.get("status", "queued"), body.get("conclusion"))
        self.check_runs[run.id] = run
        self._apply(run, body)
        return web.json_response(self._check_run_json(run), status=201)

    def _update_check_run(self, _request: web.Request, body: Any, run_id: str) -> web.Response:
        run = self.check_runs.get(int(run_id))
        if run is None:
            return _error(404, "Not Found")
        problem = _check_output_problem(body)
        if problem:
            return _error(422, problem)
        if body.get("status") == "completed" and not body.get("conclusion"):
            return _error(422, "conclusion is required when status is completed")
        run.updates += 1
        self._apply(run, body)
        return web.json_response(self._check_run_json(run))

    def _list_check_runs(self, request: web.Request, _body: Any, sha: str) -> web.Response:
        """Newest first; `filter=latest` keeps the newest per name, as GitHub does."""
        runs = sorted(self.runs_for(sha), key=lambda run: run.id, reverse=True)
        name = request.query.get("check_name")
        runs = [run for run in runs if name is None or run.name == name]
        if request.query.get("filter", "latest") == "latest":
            runs = [run for n, run in enumerate(runs)
                    if run.name not in {r.name for r in runs[:n]}]
        return self._json(request, {"total_count": len(runs),
                                    "check_runs": [self._check_run_json(r) for r in runs]})

    def _apply(self, run: CheckRun, body: Mapping[str, Any]) -> None:
        if "status" in body:
            run.status = body["status"]
        if body.get("conclusion"):
            run.conclusion, run.status = body["conclusion"], "completed"
        output = dict(body.get("output") or {})
        run.annotations.extend(output.pop("annotations", []))
        run.output.update(output)
        if "actions" in body:
            run.actions = list(body["actions"])

    def _check_run_json(self, run: CheckRun) -> dict[str, Any]:
        data: dict[str, Any] = self._example("check-run")
        data.update(id=run.id, head_sha=run.head_sha, name=run.name, status=run.status,
                    conclusion=run.conclusion,
                    url=f"{self.url}/repos/{REPO}/check-runs/{run.id}")
        data["output"].update(title=run.output.get("title"), summary=run.output.get("summary"),
                              text=run.output.get("text"),
                              annotations_count=len(run.annotations))
        return data

    def _list_comments(self, request: web.Request, _body: Any, number: str) -> web.Response:
        return self._page(request, [self._comment_json(c) for c in self.comments_on(int(number))])

    def _create_comment(self, _request: web.Request, body: Any, number: str) -> web.Response:
        if len(body.get("body", "")) > 65536:
            return _error(422, "Body is too long (maximum is 65536 characters)")
        comment = self.add_comment(int(number), body["body"], APP_BOT_USER, app_id=self.app_id)
        return web.json_response(self._comment_json(comment), status=201)

    def _update_comment(self, _request: web.Request, body: Any, comment_id: str) -> web.Response:
        comment = self.comments.get(int(comment_id))
        if comment is None:
            return _error(404, "Not Found")
        if len(body.get("body", "")) > 65536:
            return _error(422, "Body is too long (maximum is 65536 characters)")
        comment.body = body["body"]
        return web.json_response(self._comment_json(comment))

    def _comment_json(self, comment: IssueComment) -> dict[str, Any]:
        data: dict[str, Any] = self._example("issue-comment")
        data.update(id=comment.id, body=comment.body,
                    url=f"{self.url}/repos/{REPO}/issues/comments/{comment.id}")
        self._author(data, comment.user, comment.app_id)
        return data

    def _react(self, _request: web.Request, body: Any, comment_id: str) -> web.Response:
        self.reactions.append((int(comment_id), body["content"]))
        data = self._example("reaction")
        data["content"] = body["content"]
        return web.json_response(data, status=201)

    def _permission(self, request: web.Request, _body: Any, user: str) -> web.Response:
        role = self.roles.get(user)
        if role is None:
            return _error(404, "Not Found")
        data = self._example(
            "repository-collaborator-permission-response-if-user-has-admin-permissions")
        # Like GitHub: `permission` is the base permission (maintain -> write,
        # triage -> read, a custom role -> the base it was built on).
        legacy = {"maintain": "write", "triage": "read", **self.custom_roles}.get(role, role)
        data.update(permission=legacy, role_name=role)
        data["user"]["login"] = user
        return self._json(request, data)

    def _review_anchor_problem(self, pull: Pull, comment: Mapping[str, Any]) -> str | None:
        """What GitHub says of an inline comment whose place is not in the diff: `line`
        (and `start_line`, in the same hunk) on the head side of one hunk of the file."""
        base, head = self.sha(pull.base_ref), self.sha(pull.head_ref)
        files = {path: old for _, path, old in self._diff(base, head)}
        if comment.get("path") not in files:
            return "pull_request_review_thread.path is invalid"
        if comment.get("side", "RIGHT") != "RIGHT" or "position" in comment:
            return "this fake takes `line` on the RIGHT side only"
        ranges = []
        for header in re.finditer(r"^@@ -\S+ \+(\d+)(?:,(\d+))? @@", self._hunks(
                base, head, comment["path"], files[comment["path"]]), re.MULTILINE):
            start, count = int(header[1]), int(header[2] or 1)
            ranges.append(range(start, start + count))
        line, start_line = comment.get("line"), comment.get("start_line", comment.get("line"))
        hunk = next((r for r in ranges if line in r), None)
        if hunk is None:
            return "pull_request_review_thread.line must be part of the diff"
        if start_line not in hunk or start_line > line:
            return "pull_request_review_thread.start_line must be part of the same hunk as the line"
        return None

    def _create_review(self, _request: web.Request, body: Any, number: str) -> web.Response:
        pull = self.pulls.get(int(number))
        if pull is None:
            return _error(404, "Not Found")
        if body.get("event") in ("COMMENT", "REQUEST_CHANGES") and not body.get("body"):
            return _error(422, "body is required for a COMMENT review")
        for comment in body.get("comments") or []:
            problem = self._review_anchor_problem(pull, comment)
            if problem:  # like GitHub: one bad anchor, and nothing of the review is kept
                return web.json_response({"message": "Unprocessable Entity",
                                          "errors": [problem], "status": "422"}, status=422)
        review = Review(next(self._ids), pull.number,
                        body.get("commit_id") or self.sha(pull.head_ref), body.get("body", ""),
                        body.get("event", "PENDING"), APP_BOT_USER, self.app_id)
        self.reviews[review.id] = review
        for comment in body.get("comments") or []:
            stored = ReviewComment(next(self._ids), pull.number, review.id, comment["path"],
                                   comment["line"], comment.get("start_line"),
                                   comment["body"], APP_BOT_USER, self.app_id)
            self.review_comments[stored.id] = stored
        return web.json_response(self._review_json(review), status=200)

    def _list_reviews(self, request: web.Request, _body: Any, number: str) -> web.Response:
        return self._page(request, [self._review_json(r) for r in self.reviews_on(int(number))])

    def _review_json(self, review: Review) -> dict[str, Any]:
        data: dict[str, Any] = self._example("pull-request-review")
        data.update(id=review.id, body=review.body, commit_id=review.commit_id,
                    state="COMMENTED" if review.event == "COMMENT" else review.event)
        self._author(data, review.user, review.app_id)
        return data

    def _list_review_comments(self, request: web.Request, _body: Any, number: str
                              ) -> web.Response:
        return self._page(request, [self._review_comment_json(c)
                                    for c in self.review_comments_on(int(number))])

    def _update_review_comment(self, _request: web.Request, body: Any, comment_id: str
                               ) -> web.Response:
        comment = self.review_comments.get(int(comment_id))
        if comment is None:
            return _error(404, "Not Found")
        comment.body = body["body"]
        return web.json_response(self._review_comment_json(comment))

    def _delete_review_comment(self, _request: web.Request, _body: Any, comment_id: str
                               ) -> web.Response:
        if self.review_comments.pop(int(comment_id), None) is None:
            return _error(404, "Not Found")
        return web.Response(status=204)

    def _review_comment_json(self, comment: ReviewComment) -> dict[str, Any]:
        data: dict[str, Any] = self._example("pull-request-review-comment")
        data.update(id=comment.id, body=comment.body, path=comment.path, line=comment.line,
                    start_line=comment.start_line, side="RIGHT",
                    start_side="RIGHT" if comment.start_line else None,
                    pull_request_review_id=comment.review_id,
                    in_reply_to_id=comment.in_reply_to)
        if comment.in_reply_to is None:
            del data["in_reply_to_id"]  # GitHub leaves it out of a thread's first comment
        self._author(data, comment.user, comment.app_id)
        return data

    def _author(self, data: dict[str, Any], user: str, app_id: str | None) -> None:
        """Like GitHub: what is made with an installation token names its App, and its
        author is the App's bot user."""
        data["user"]["login"] = user
        data["user"]["type"] = "Bot" if user.endswith("[bot]") else "User"
        if app_id is not None:
            app = self._example("integration")
            app.update(id=int(app_id), slug=APP_SLUG)
            data["performed_via_github_app"] = app
        else:
            data["performed_via_github_app"] = None

    # --- the App manifest flow --------------------------------------------------------

    def _new_app_page(self, request: web.Request, body: Any, org: str | None = None
                      ) -> web.Response:
        """GitHub's new-App page for a posted manifest: the App it would make and a
        button to create it."""
        try:
            manifest = json.loads((body or {}).get("manifest", ""))
        except ValueError:
            return _web_page(422, "Invalid manifest", "<p>The manifest is not JSON.</p>")
        problem = _manifest_problem(manifest)
        if problem:
            return _web_page(422, "Invalid manifest", f"<p>{html.escape(problem)}</p>")
        submission = ManifestSubmission(next(self._ids), manifest, request.query.get("state"),
                                        org)
        self.manifest_submissions[submission.id] = submission
        owner = html.escape(org) if org else "your account"
        return _web_page(200, "Create GitHub App", f"""
<p>Create <strong>{html.escape(str(manifest["name"]))}</strong> for {owner}?</p>
<form method="post" action="/settings/apps/new/confirm">
  <input type="hidden" name="submission" value="{submission.id}">
  <button type="submit" id="create">Create GitHub App for {owner}</button>
</form>""")

    def _confirm_new_app(self, _request: web.Request, body: Any) -> web.Response:
        """Creating the App: a one-time code, and the browser sent to `redirect_url`."""
        submission = self.manifest_submissions.pop(int((body or {}).get("submission", 0)),
                                                   None)
        if submission is None:
            return _web_page(404, "Not Found", "<p>No such manifest.</p>")
        name = str(submission.manifest["name"])
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        app = ManifestApp(
            next(self._ids), re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-"),
            submission.manifest, submission.org,
            key.private_bytes(serialization.Encoding.PEM,
                              serialization.PrivateFormat.TraditionalOpenSSL,
                              serialization.NoEncryption()).decode(),
            secrets.token_hex(20), secrets.token_hex(20))
        code = secrets.token_hex(10)
        self.manifest_codes[code] = app
        query = {"code": code, **({"state": submission.state} if submission.state else {})}
        target = f"{submission.manifest['redirect_url']}?{urllib.parse.urlencode(query)}"
        return web.Response(status=302, headers={"Location": target})

    def _convert_manifest(self, _request: web.Request, _body: Any, code: str) -> web.Response:
        app = self.manifest_codes.get(code)
        if app is None or app.converted:
            return _error(404, "Not Found")
        app.converted = True
        data = self._example("integration-from-manifest")
        data.update(id=app.id, slug=app.slug, name=app.manifest["name"],
                    html_url=f"{self.url}/apps/{app.slug}", pem=app.pem,
                    webhook_secret=app.webhook_secret, client_secret=app.client_secret,
                    external_url=app.manifest["url"])
        data["owner"]["login"] = app.org or "octocat"
        return web.json_response(data, status=201)

    # --- HTTP manners --------------------------------------------------------------

    def _json(self, request: web.Request, data: Any, headers: Mapping[str, str] | None = None
              ) -> web.Response:
        text = json.dumps(data)
        etag = f'W/"{hashlib.sha1(text.encode()).hexdigest()}"'
        all_headers = {"ETag": etag, **(headers or {})}
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers=all_headers)
        return web.Response(text=text, content_type="application/json", headers=all_headers)

    def _page(self, request: web.Request, items: list[Any]) -> web.Response:
        per_page = min(int(request.query.get("per_page", "30")), 100)
        page = int(request.query.get("page", "1"))
        chunk = items[(page - 1) * per_page : page * per_page]
        headers = {}
        if page * per_page < len(items):
            query = dict(request.query, page=str(page + 1), per_page=str(per_page))
            url = request.url.with_query(query)
            headers["Link"] = f'<{self.url}{url.path_qs}>; rel="next"'
        return self._json(request, chunk, headers)


@functools.cache
def _examples(spec: Path) -> dict[str, Any]:
    """GitHub's example responses by name (read once; responses are deep copies)."""
    rest = json.loads((spec / "rest-api-subset.json").read_text())
    return {name: value["value"] for name, value in rest["components"]["examples"].items()}


WEB_PAGE = re.compile(r"^(/organizations/[^/]+)?/settings/apps/new(/confirm)?$")
"""GitHub's web pages the fake serves (the manifest flow's), not REST operations."""


def _manifest_problem(manifest: Any) -> str | None:
    if not isinstance(manifest, dict):
        return "The manifest is not an object."
    missing = [key for key in MANIFEST_REQUIRED if not isinstance(manifest.get(key), str)]
    hooks = manifest.get("hook_attributes")
    if isinstance(hooks, dict) and not isinstance(hooks.get("url"), str):
        missing.append("hook_attributes.url")
    if missing:
        return f"Missing: {', '.join(missing)}."
    if not str(manifest["redirect_url"]).startswith(("https://", "http://")):
        return "redirect_url must be an http(s) URL."
    return None


def _web_page(status: int, title: str, body: str) -> web.Response:
    return web.Response(status=status, content_type="text/html", text=(
        f"<!doctype html><html><head><title>{title}</title></head>"
        f"<body><h1>{title}</h1>{body}</body></html>"))


def _error(status: int, message: str) -> web.Response:
    return web.json_response(
        {"message": message, "documentation_url": "https://docs.github.com/rest"}, status=status
    )


def _check_output_problem(body: Mapping[str, Any]) -> str | None:
    """What GitHub's Checks API would reject in a create/update body."""
    output = body.get("output") or {}
    if len(output.get("annotations") or []) > 50:
        return "annotations: at most 50 per request"
    for key in ("summary", "text"):
        if len(output.get(key) or "") > 65535:
            return f"output.{key} is too long (maximum is 65535 characters)"
    for note in output.get("annotations") or []:
        if len(note.get("title") or "") > 255 or len(
                (note.get("message") or "").encode()) > 64 * 1024:
            return "annotation title or message is too long"
    if output and not output.get("title"):
        return "output.title is required"
    return None


def _git_bytes(repo: GitRepo, *args: str) -> bytes:
    return subprocess.run(["git", *args], cwd=repo.root, capture_output=True,
                          check=True).stdout

"""The JSON shapes the bot reads from GitHub (webhook payloads and REST answers, each
parsed once into a frozen dataclass), the review comments it writes, and `check_payload`,
which refuses at intake what the handlers could not read."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from analyzers.model import ChangeStatus


@dataclass(frozen=True, slots=True)
class PullRequest:
    repo: str
    """`owner/name` of the base repository (where checks and comments go)."""
    number: int
    state: str
    draft: bool
    author: str
    head_sha: str
    base_sha: str
    head_repo: str | None
    """`owner/name` of the head repository; another one for fork PRs, None if deleted."""
    changed_files: int
    html_url: str

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PullRequest:
        head_repo = data["head"].get("repo") or {}
        return cls(
            repo=data["base"]["repo"]["full_name"],
            number=int(data["number"]),
            state=str(data.get("state", "open")),
            draft=bool(data.get("draft", False)),
            author=str(data["user"]["login"]),
            head_sha=str(data["head"]["sha"]),
            base_sha=str(data["base"]["sha"]),
            head_repo=head_repo.get("full_name"),
            changed_files=int(data.get("changed_files") or 0),
            html_url=str(data.get("html_url", "")),
        )


_FILE_STATUS = {
    "added": ChangeStatus.ADDED,
    "copied": ChangeStatus.ADDED,
    "removed": ChangeStatus.DELETED,
    "renamed": ChangeStatus.RENAMED,
}


@dataclass(frozen=True, slots=True)
class PullFile:
    path: str
    status: ChangeStatus
    blob_sha: str | None
    """The file's blob at head; None when removed."""
    patch: str | None
    """The unified diff hunks; GitHub leaves it out for binary and very large diffs."""
    old_path: str | None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PullFile:
        status = _FILE_STATUS.get(str(data.get("status")), ChangeStatus.MODIFIED)
        return cls(
            path=str(data["filename"]),
            status=status,
            blob_sha=None if status is ChangeStatus.DELETED else data.get("sha"),
            patch=data.get("patch"),
            old_path=data.get("previous_filename"),
        )


@dataclass(frozen=True, slots=True)
class Comment:
    id: int
    body: str


@dataclass(frozen=True, slots=True)
class ReviewComment:
    """An inline comment of a pull request review, as listed."""

    id: int
    body: str
    in_reply_to: int | None
    """The thread's first comment, for a reply; None for a thread's first comment."""
    ours: bool
    """Posted by this App (judged by `rest.Installation`, as for the sticky comment)."""


@dataclass(frozen=True, slots=True)
class NewReviewComment:
    """An inline comment to post with a review, on the head side of the diff: on `line`,
    or on `start_line`..`line` (one hunk)."""

    path: str
    line: int
    start_line: int | None
    body: str

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"path": self.path, "line": self.line, "side": "RIGHT",
                                "body": self.body}
        if self.start_line is not None:
            data.update(start_line=self.start_line, start_side="RIGHT")
        return data


@dataclass(frozen=True, slots=True)
class CommentEvent:
    """An `issue_comment` delivery, reduced to what a command needs."""

    repo: str
    number: int
    on_pull_request: bool
    comment_id: int
    body: str
    commenter: str
    commenter_is_bot: bool
    author: str
    """Who opened the issue or pull request."""

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> CommentEvent:
        issue, comment = payload["issue"], payload["comment"]
        return cls(
            repo=str(payload["repository"]["full_name"]),
            number=int(issue["number"]),
            on_pull_request=bool(issue.get("pull_request")),
            comment_id=int(comment["id"]),
            body=str(comment.get("body") or ""),
            commenter=str(comment["user"]["login"]),
            commenter_is_bot=comment["user"].get("type") == "Bot",
            author=str(issue["user"]["login"]),
        )


@dataclass(frozen=True, slots=True)
class CheckEvent:
    """A `check_run` or `check_suite` delivery: which head, which PRs it names."""

    repo: str
    head_sha: str
    pull_numbers: tuple[int, ...]
    """Empty for fork PRs: GitHub lists only PRs whose head is in the same repository."""
    check_name: str | None
    requested_action: str | None

    @classmethod
    def from_payload(cls, event: str, payload: Mapping[str, Any]) -> CheckEvent:
        body = payload[event]
        return cls(
            repo=str(payload["repository"]["full_name"]),
            head_sha=str(body["head_sha"]),
            pull_numbers=tuple(int(p["number"]) for p in body.get("pull_requests") or ()),
            check_name=body.get("name"),
            requested_action=(payload.get("requested_action") or {}).get("identifier"),
        )


@dataclass(frozen=True, slots=True)
class InstallationChange:
    """An `installation` or `installation_repositories` delivery."""

    action: str
    account: str | None
    added: tuple[str, ...]
    removed: tuple[str, ...]

    @classmethod
    def from_payload(cls, event: str, payload: Mapping[str, Any]) -> InstallationChange:
        account = (payload.get("installation") or {}).get("account") or {}
        if event == "installation":
            added = payload.get("repositories") or () if payload.get("action") == "created" else ()
            removed: Any = ()
        else:
            added = payload.get("repositories_added") or ()
            removed = payload.get("repositories_removed") or ()
        return cls(
            action=str(payload.get("action")),
            account=account.get("login"),
            added=tuple(str(r["full_name"]) for r in added),
            removed=tuple(str(r["full_name"]) for r in removed),
        )


class MalformedPayloadError(ValueError):
    """A signed delivery whose JSON does not have the shape GitHub documents. The
    message names the part, never its content."""


def check_payload(event: str, payload: Any) -> None:
    """Raise `MalformedPayloadError` unless `payload` has the shape the handlers of
    `event` read: the envelope (`action` a string, `installation.id` an integer,
    `repository.full_name` a string) and the event's own object, parsed here the way the
    handler will parse it. So a payload a handler cannot read is refused at intake (400)
    instead of failing later in the background."""
    if not isinstance(payload, Mapping):
        raise MalformedPayloadError("the payload is not a JSON object")
    if not isinstance(payload.get("action", ""), str):
        raise MalformedPayloadError("action is not a string")
    installation = payload.get("installation")
    if installation is not None and not (
            isinstance(installation, Mapping) and is_json_int(installation.get("id"))):
        raise MalformedPayloadError("installation.id is not an integer")
    repository = payload.get("repository")
    if repository is not None and not (
            isinstance(repository, Mapping) and isinstance(repository.get("full_name"), str)):
        raise MalformedPayloadError("repository.full_name is not a string")
    parse = _PAYLOAD_PARSERS.get(event)
    if parse is None:
        return
    try:
        parse(payload)
    except (KeyError, TypeError, ValueError, AttributeError, IndexError):
        raise MalformedPayloadError(f"the {event} payload lacks a field its handler "
                                    "reads, or has one of the wrong type") from None


def is_json_int(value: object) -> bool:
    """An integer in decoded JSON (where `True` is no integer)."""
    return isinstance(value, int) and not isinstance(value, bool)


def installation_id(payload: Mapping[str, Any]) -> int | None:
    """The installation a webhook delivery belongs to, when it says (an integer, as
    `check_payload` made sure)."""
    installation = payload.get("installation")
    value = installation.get("id") if isinstance(installation, Mapping) else None
    return value if is_json_int(value) else None


def repository_name(payload: Mapping[str, Any]) -> str | None:
    repository = payload.get("repository")
    name = repository.get("full_name") if isinstance(repository, Mapping) else None
    return name if isinstance(name, str) and name else None


_PAYLOAD_PARSERS: dict[str, Callable[[Mapping[str, Any]], object]] = {
    "pull_request": lambda payload: PullRequest.from_json(payload["pull_request"]),
    "issue_comment": CommentEvent.from_payload,
    "check_run": lambda payload: CheckEvent.from_payload("check_run", payload),
    "check_suite": lambda payload: CheckEvent.from_payload("check_suite", payload),
    "installation": lambda payload: InstallationChange.from_payload("installation", payload),
    "installation_repositories": lambda payload: InstallationChange.from_payload(
        "installation_repositories", payload),
}
"""How each handled event's payload is read (the handlers use the same parsers)."""
HANDLED_EVENTS = frozenset({*_PAYLOAD_PARSERS, "ping"})
"""The events the App reads (the manifest subscribes to them; `ping` comes with a new
webhook)."""

"""The bot against GitHub's own descriptions: the webhook payloads the tests deliver
validate against GitHub's payload schemas (octokit/webhooks), and every request body the
bot sends validates against GitHub's REST OpenAPI description (both vendored in
`tests/github/`)."""

from __future__ import annotations

import json
import re
from typing import Any

import jsonschema
import pytest
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4, DRAFT7

from tests.conftest import BASE_FILES, MakeBot
from tests.fake_github import FakeGitHub, spec_dir

SPEC = spec_dir()

OUTSIDE_SUBSET = {
    ("GET", "/repos/{owner}/{repo}/pulls"),
    # "List pull requests", to find fork PRs by head sha; not in the shared subset.
}


def payload_schema(event: str, action: str) -> jsonschema.protocols.Validator:
    root = SPEC / "webhook-schemas"
    resources = [
        (path.relative_to(root).as_posix(),
         Resource.from_contents(json.loads(path.read_text()), default_specification=DRAFT7))
        for path in root.rglob("*.schema.json")
    ]
    registry: Registry[Any] = Registry().with_resources(resources)
    schema = json.loads((root / event / f"{action}.schema.json").read_text())
    return jsonschema.Draft7Validator(schema, registry=registry)


def build_payloads(github: FakeGitHub) -> list[tuple[str, str, dict[str, Any]]]:
    head = github.sha("feature")
    github.open_pull(2, "feature", fork=True)
    return [
        *(("pull_request", action, github.pull_request_payload(1, action))
          for action in ("opened", "reopened", "synchronize", "ready_for_review", "closed")),
        ("issue_comment", "created", github.comment_payload(1, "/ssot recheck", "octocat")),
        ("check_run", "rerequested", github.check_run_payload("rerequested", head, [])),
        ("check_run", "requested_action",
         github.check_run_payload("requested_action", head, [1])),
        ("check_suite", "requested", github.check_suite_payload("requested", head, [1])),
        ("check_suite", "rerequested", github.check_suite_payload("rerequested", head, [])),
        ("installation", "created",
         github.example_payload("installation", "created.payload.json")),
        ("installation_repositories", "added",
         github.example_payload("installation_repositories", "added.payload.json")),
    ]


@pytest.mark.asyncio
async def test_webhook_payload_builders_match_githubs_schemas(github: FakeGitHub) -> None:
    for event, action, payload in build_payloads(github):
        errors = sorted(payload_schema(event, action).iter_errors(payload), key=str)
        assert errors == [], f"{event}.{action}: {errors[0].message if errors else ''}"


def rest_operations() -> tuple[dict[str, Any], list[tuple[str, re.Pattern[str], str]]]:
    spec = json.loads((SPEC / "rest-api-subset.json").read_text())
    operations: list[tuple[str, re.Pattern[str], str]] = []
    for template, item in spec["paths"].items():
        pattern = re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$")
        operations.extend((method.upper(), pattern, template) for method in item
                          if method != "parameters")
    return spec, operations


@pytest.mark.asyncio
async def test_every_request_the_bot_sends_matches_githubs_rest_description(
        make_bot: MakeBot, github: FakeGitHub) -> None:
    bot = await make_bot(max_annotations=60)
    many = "".join(f"\n\ndef load_{n}(path):\n    try:\n        return int(path)\n"
                   "    except:\n        return None\n" for n in range(55))
    github.push("feature", {"app/many.py": many, "app/util.py": BASE_FILES["app/util.py"]})
    github.lose_answer("POST", r"/pulls/1/reviews$")  # the retry looks for the review first
    await bot.deliver("pull_request", github.pull_request_payload(1, "opened"))
    await bot.settle()
    head = github.sha("feature")
    first, second = github.review_comments_on(1)[:2]
    github.reply(first.id, "Thanks, fixing it.")
    github.push("feature", {"app/many.py": many.replace(
        "def load_0(path):\n    try:\n        return int(path)\n    except:\n        return None\n",
        "").replace(
        "def load_1(path):\n    try:\n        return int(path)\n    except:\n        return None\n",
        "")})
    await bot.deliver("pull_request", github.pull_request_payload(1, "synchronize"))
    await bot.settle()
    assert "Resolved at" in github.review_comments[first.id].body
    assert second.id not in github.review_comments
    # One review per head: the second posts the findings the first push's cap left out.
    assert [r.commit_id for r in github.reviews_on(1)] == [head, github.sha("feature")]
    github.roles["reviewer"] = "maintain"
    await bot.deliver("issue_comment", github.comment_payload(1, "/ssot recheck", "reviewer"))
    await bot.settle()
    github.open_pull(2, "feature", fork=True)
    await bot.deliver("check_run", github.check_run_payload(
        "rerequested", github.sha("feature"), []))
    await bot.settle()

    spec, operations = rest_operations()
    registry: Registry[Any] = Registry().with_resource(
        "", Resource.from_contents(spec, default_specification=DRAFT4))
    seen = set()
    for request in github.requests:
        if request.path.startswith("/_codeload/"):
            continue  # the tarball's redirect target, not an API operation
        matches = [(m, template) for m, pattern, template in operations
                   if m == request.method and pattern.match(request.path)]
        if not matches:
            known = {(m, t) for m, t in OUTSIDE_SUBSET
                     if re.match("^" + re.sub(r"\{[^}]+\}", "[^/]+", t) + "$", request.path)}
            assert known, f"{request.operation} is not in GitHub's REST description subset"
            continue
        method, template = matches[0]
        seen.add(f"{method} {template}")
        operation = spec["paths"][template][method.lower()]
        body_spec = operation.get("requestBody")
        if request.body is None:
            assert not (body_spec or {}).get("required"), f"{request.operation} needs a body"
            continue
        assert body_spec is not None, f"{request.operation} takes no body"
        schema = body_spec["content"]["application/json"]["schema"]
        validator = jsonschema.Draft4Validator(schema, registry=registry)
        errors = list(validator.iter_errors(request.body))
        assert errors == [], f"{request.operation}: {errors[0].message if errors else ''}"
    assert {
        "POST /app/installations/{installation_id}/access_tokens",
        "POST /repos/{owner}/{repo}/check-runs",
        "PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}",
        "POST /repos/{owner}/{repo}/issues/{issue_number}/comments",
        "PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}",
        "POST /repos/{owner}/{repo}/issues/comments/{comment_id}/reactions",
        "GET /repos/{owner}/{repo}/collaborators/{username}/permission",
        "GET /repos/{owner}/{repo}/git/blobs/{file_sha}",
        "GET /repos/{owner}/{repo}/tarball/{ref}",
        "POST /repos/{owner}/{repo}/pulls/{pull_number}/reviews",
        "GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews",
        "GET /repos/{owner}/{repo}/pulls/{pull_number}/comments",
        "PATCH /repos/{owner}/{repo}/pulls/comments/{comment_id}",
        "DELETE /repos/{owner}/{repo}/pulls/comments/{comment_id}",
    } <= seen

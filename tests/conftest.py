"""The one shared fixture for the GitHub App's tests: a fake GitHub on a real git
repository, and the bot's app talking to it over real HTTP."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import shutil
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from pytest_aiohttp import AiohttpClient

from bot.app.server import BOT, Bot, create_app
from bot.settings import Settings
from tests.fake_github import FakeGitHub, app_key_pair, spec_dir
from tests.gitrepo import GitRepo

pytest_plugins = ["tests.no_skips"]

APP_ID = "12345"
WEBHOOK_SECRET = "It's a Secret to Everybody"
BASE_FILES = {
    "pyproject.toml": '[project]\nname = "octo"\n\n[tool.ssot]\n',
    "app/__init__.py": "",
    "app/util.py": "def total(items):\n    return sum(items)\n",
}
SWALLOWING = (
    "\n\ndef load(path):\n"
    "    try:\n"
    "        with open(path) as handle:\n"
    "            return handle.read()\n"
    "    except:\n"
    "        return None\n"
)


@pytest.fixture(scope="session")
def app_key() -> tuple[str, str]:
    """(private PEM, public PEM) of the test App."""
    return app_key_pair()


@pytest.fixture(scope="session")
def template_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`main` with a small package, and `feature`, which adds a swallowed exception
    (a NO-GO). Built once; each test gets a copy."""
    repo = GitRepo(tmp_path_factory.mktemp("template") / "repo")
    base_files: dict[str, str | bytes] = dict(BASE_FILES)
    repo.commit("base", base_files)
    repo.git("checkout", "-q", "-b", "feature")
    repo.commit("add load", {"app/util.py": BASE_FILES["app/util.py"] + SWALLOWING})
    repo.git("checkout", "-q", "main")
    return repo.root


class CopiedRepo(GitRepo):
    """A copy of an initialised repository: no `git init` again."""

    def __init__(self, template: Path, root: Path) -> None:
        shutil.copytree(template, root)
        self.root = root


@pytest_asyncio.fixture
async def github(tmp_path: Path, app_key: tuple[str, str],
                 template_repo: Path) -> AsyncIterator[FakeGitHub]:
    """A fake GitHub serving a copy of `template_repo`, with PR #1 from `feature`."""
    spec = spec_dir()
    repo = CopiedRepo(template_repo, tmp_path / "repo")
    fake = FakeGitHub(repo, app_id=APP_ID, public_key=app_key[1], spec=spec)
    fake.open_pull(1, "feature")
    server = TestServer(fake.app())
    await server.start_server()
    fake.url = str(server.make_url("")).rstrip("/")
    yield fake
    await server.close()


def settings_for(github: FakeGitHub, private_key: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "app_id": APP_ID, "private_key": private_key, "webhook_secret": WEBHOOK_SECRET,
        "api_url": github.url, "request_timeout": 10.0, "max_attempts": 4,
        "backoff_base": 0.5, "time_scale": 0.001, "audit_processes": 1,
        "concurrent_audits": 2, "shutdown_grace": 5.0,
    }
    values.update(overrides)
    return Settings(**values)


class BotClient:
    """The bot's app under test, plus how GitHub would talk to it."""

    def __init__(self, client: TestClient[web.Request, web.Application],
                 github: FakeGitHub) -> None:
        self.client = client
        self.github = github

    @property
    def bot(self) -> Bot:
        return self.client.app[BOT]

    async def deliver(self, event: str, payload: Any, *, delivery: str | None = None,
                      secret: str = WEBHOOK_SECRET, signature: str | None = None,
                      body: bytes | None = None) -> int:
        data = json.dumps(payload).encode() if body is None else body
        digest = hmac.new(secret.encode(), data, hashlib.sha256).hexdigest()
        headers = {
            "Content-Type": "application/json",
            "X-GitHub-Event": event,
            "X-GitHub-Delivery": delivery or str(uuid.uuid4()),
            "User-Agent": "GitHub-Hookshot/test",
        }
        if signature != "":
            headers["X-Hub-Signature-256"] = signature or f"sha256={digest}"
        response = await self.client.post("/webhook", data=io.BytesIO(data), headers=headers)
        await response.read()
        return response.status

    async def settle(self) -> None:
        """Wait for every background handler and audit to finish."""
        await self.bot.drain()


MakeBot = Callable[..., Awaitable[BotClient]]


@pytest_asyncio.fixture
async def make_bot(github: FakeGitHub, app_key: tuple[str, str],
                   aiohttp_client: AiohttpClient) -> MakeBot:
    async def make(**overrides: Any) -> BotClient:
        app = create_app(settings_for(github, app_key[0], **overrides))
        return BotClient(await aiohttp_client(app), github)
    return make


@pytest_asyncio.fixture
async def bot(make_bot: MakeBot) -> BotClient:
    return await make_bot()

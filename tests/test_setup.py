"""`ssot-bot setup`: the App manifest flow in a real browser (headless Chromium driven by
Selenium) against the fake GitHub, and the set-up page's refusals over HTTP."""

from __future__ import annotations

import asyncio
import json
import os
import re
import stat
import sys
import tempfile
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from pytest_aiohttp import AiohttpClient
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from bot.app.setup import (
    ENV_FILE_MODE,
    EnvFileError,
    SetupFlow,
    check_env_file,
    create_setup_app,
    write_env_file,
)
from bot.cli import main
from bot.github.manifest import manifest_file, read_manifest
from bot.settings import SetupSettings, from_environment, setup_from_environment
from tests.fake_github import FakeGitHub, ManifestApp

PUBLIC_URL = "https://ssot.example.test"
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
"""Debian's `chromium` and `chromium-driver` (scripts/test installs them)."""


def read_env_file(path: Path) -> dict[str, str]:
    """The env file as docker's `--env-file` reads it: NAME=value, one a line."""
    return dict(line.split("=", 1) for line in path.read_text().splitlines())


def secrets_of(app: ManifestApp) -> list[str]:
    """What must appear nowhere but the env file: the webhook and client secrets and
    every line of the key's body."""
    body = [line for line in app.pem.splitlines() if line and "PRIVATE KEY" not in line]
    return [app.webhook_secret, app.client_secret, *body]


@pytest.fixture
def browser() -> Iterator[webdriver.Chrome]:
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    with tempfile.TemporaryDirectory(prefix="chromium-") as profile:
        for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                     "--no-first-run", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync",
                     "--disable-dev-shm-usage", f"--user-data-dir={profile}"):
            options.add_argument(flag)
        driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
        try:
            yield driver
        finally:
            driver.quit()


def register_in_browser(driver: webdriver.Chrome, page: str) -> list[str]:
    """Click through the flow as a user would; every page's HTML, in order."""
    wait = WebDriverWait(driver, 30)
    seen = []
    driver.get(page)
    seen.append(driver.page_source)
    driver.find_element(By.ID, "register").click()
    wait.until(expected_conditions.presence_of_element_located((By.ID, "create")))
    seen.append(driver.page_source)
    driver.find_element(By.ID, "create").click()
    wait.until(expected_conditions.presence_of_element_located((By.ID, "install")))
    seen.append(driver.page_source)
    return seen


@pytest.mark.asyncio
async def test_the_browser_registers_the_app_and_its_credentials_reach_only_the_env_file(
        github: FakeGitHub, browser: webdriver.Chrome, tmp_path: Path) -> None:
    env_file = tmp_path / "ssot.env"
    process = await asyncio.create_subprocess_exec(
        Path(sys.executable).parent / "ssot-bot", "setup", "--url", PUBLIC_URL,
        "--env-file", str(env_file), "--port", "0",
        env={**os.environ, "GITHUB_URL": github.url, "GITHUB_API_URL": github.url},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    assert process.stdout is not None
    first = (await asyncio.wait_for(process.stdout.readline(), 30)).decode()
    found = re.search(r"Open (http://\S+) in your browser", first)
    assert found, first
    pages = await asyncio.to_thread(register_in_browser, browser, found.group(1))
    out, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0, err.decode()[-2000:]

    [app] = github.manifest_codes.values()
    assert app.converted
    [posted] = [r for r in github.requests if r.operation == "POST /settings/apps/new"]
    manifest = json.loads(posted.body["manifest"])
    assert manifest["hook_attributes"]["url"] == f"{PUBLIC_URL}/webhook"
    assert manifest["redirect_url"] == urllib.parse.urljoin(found.group(1), "/callback")
    assert manifest["default_permissions"] == read_manifest()["default_permissions"]
    assert len(posted.query["state"]) >= 32
    assert [r.operation for r in github.requests if "conversions" in r.path] == [
        f"POST /app-manifests/{next(iter(github.manifest_codes))}/conversions"]

    assert stat.S_IMODE(env_file.stat().st_mode) == ENV_FILE_MODE
    written = read_env_file(env_file)
    assert written["GITHUB_APP_ID"] == str(app.id)
    assert written["GITHUB_WEBHOOK_SECRET"] == app.webhook_secret
    assert written["GITHUB_API_URL"] == github.url
    settings = from_environment(written)  # what `ssot-bot serve` reads from it
    assert settings.private_key.strip() == app.pem.strip()
    assert settings.app_id == str(app.id)

    install = f"{github.url}/apps/{app.slug}/installations/new"
    assert f'href="{install}"' in pages[-1]
    assert install in out.decode()
    for text in [*pages, out.decode(), err.decode()]:
        for secret in secrets_of(app):
            assert secret not in text


async def code_from_fake(github: FakeGitHub, manifest: dict[str, Any], state: str) -> str:
    """The manifest posted and confirmed on the fake's pages: the code GitHub sends back."""
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{github.url}/settings/apps/new", params={"state": state},
                                data={"manifest": json.dumps(manifest)}) as page:
            submission = re.search(r'name="submission" value="(\d+)"', await page.text())
        assert submission
        async with session.post(f"{github.url}/settings/apps/new/confirm",
                                data={"submission": submission.group(1)},
                                allow_redirects=False) as confirmed:
            location = confirmed.headers["Location"]
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(location).query)
    assert query["state"] == [state]
    return query["code"][0]


def flow_for(github: FakeGitHub, env_file: Path, **overrides: Any) -> SetupFlow:
    return SetupFlow(SetupSettings(web_url=github.url, api_url=github.url), read_manifest(),
                     env_file, overrides.pop("public_url", PUBLIC_URL), **overrides)


def filled(flow: SetupFlow) -> dict[str, Any]:
    return {**flow.manifest, "hook_attributes": {"url": f"{PUBLIC_URL}/webhook"},
            "redirect_url": "http://localhost/callback"}


@pytest.mark.asyncio
async def test_a_callback_with_another_state_is_refused_and_nothing_is_converted(
        github: FakeGitHub, aiohttp_client: AiohttpClient, tmp_path: Path) -> None:
    flow = flow_for(github, tmp_path / "ssot.env")
    client = await aiohttp_client(create_setup_app(flow))
    code = await code_from_fake(github, filled(flow), "forged-state")
    response = await client.get("/callback", params={"code": code, "state": "forged-state"},
                                allow_redirects=False)
    assert response.status == 400
    assert "does not carry the state this page sent" in await response.text()
    missing = await client.get("/callback", params={"code": code}, allow_redirects=False)
    assert missing.status == 400
    assert not any("conversions" in r.path for r in github.requests)
    assert not (tmp_path / "ssot.env").exists()
    # The right state still works afterwards, once.
    done = await client.get("/callback", params={"code": code, "state": flow.state},
                            allow_redirects=False)
    assert done.status == 303 and done.headers["Location"] == "/done"
    again = await client.get("/callback", params={"code": code, "state": flow.state},
                             allow_redirects=False)
    assert again.status == 303
    assert len([r for r in github.requests if "conversions" in r.path]) == 1


@pytest.mark.asyncio
async def test_a_failed_conversion_says_what_github_answered_and_writes_nothing(
        github: FakeGitHub, aiohttp_client: AiohttpClient, tmp_path: Path) -> None:
    flow = flow_for(github, tmp_path / "ssot.env")
    client = await aiohttp_client(create_setup_app(flow))
    response = await client.get("/callback", params={"code": "expired", "state": flow.state})
    assert response.status == 502
    assert "GitHub answered 404: Not Found" in await response.text()
    assert not (tmp_path / "ssot.env").exists()
    assert flow.registered is None


@pytest.mark.asyncio
async def test_an_unwritable_env_file_is_reported_without_the_secrets(
        github: FakeGitHub, aiohttp_client: AiohttpClient, tmp_path: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    flow = flow_for(github, tmp_path / "gone" / "ssot.env")
    client = await aiohttp_client(create_setup_app(flow))
    code = await code_from_fake(github, filled(flow), flow.state)
    response = await client.get("/callback", params={"code": code, "state": flow.state})
    text = await response.text()
    [app] = github.manifest_codes.values()
    assert response.status == 500
    assert f"GitHub created the App {app.slug}" in text
    assert "cannot be written" in text and "delete the App" in text
    for secret in secrets_of(app):
        assert secret not in text and secret not in caplog.text


@pytest.mark.asyncio
async def test_the_page_escapes_what_it_shows_and_asks_again_for_a_bad_url(
        github: FakeGitHub, aiohttp_client: AiohttpClient, tmp_path: Path) -> None:
    flow = flow_for(github, tmp_path / "<b>.env", public_url=None, org='"><script>x</script>')
    client = await aiohttp_client(create_setup_app(flow))
    asked = await client.get("/")
    assert asked.status == 200 and 'name="url"' in await asked.text()
    bad = await client.get("/", params={"url": "javascript:alert(1)"})
    assert bad.status == 400 and "must start with https://" in await bad.text()
    page = await (await client.get("/", params={"url": PUBLIC_URL})).text()
    assert "<script>" not in page and "<b>" not in page
    assert "&lt;script&gt;" in page and "&lt;b&gt;.env" in page
    org = urllib.parse.quote('"><script>x</script>', safe="")
    assert f"{github.url}/organizations/{org}/settings/apps/new?state=".replace(
        "&", "&amp;") in page


def test_the_env_file_is_created_0600_and_never_over_one_without_force(
        tmp_path: Path) -> None:
    path = tmp_path / "ssot.env"
    write_env_file(path, {"GITHUB_APP_ID": "1"})
    assert stat.S_IMODE(path.stat().st_mode) == ENV_FILE_MODE
    with pytest.raises(EnvFileError, match="exists"):
        write_env_file(path, {"GITHUB_APP_ID": "2"})
    with pytest.raises(EnvFileError, match="exists"):
        check_env_file(path, force=False)
    path.chmod(0o644)
    write_env_file(path, {"GITHUB_APP_ID": "3"}, force=True)
    assert path.read_text() == "GITHUB_APP_ID=3\n"
    assert stat.S_IMODE(path.stat().st_mode) == ENV_FILE_MODE
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ssot.env"]
    with pytest.raises(EnvFileError, match="folder does not exist"):
        check_env_file(tmp_path / "missing" / "ssot.env", force=False)


def test_setup_refuses_an_existing_env_file_before_serving(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "ssot.env").write_text("GITHUB_APP_ID=1\n")
    assert main(["setup", "--env-file", str(tmp_path / "ssot.env"), "--port", "0"]) == 2
    assert "exists (run with --force to replace it)" in capsys.readouterr().err


def test_github_enterprise_server_is_one_setting_away() -> None:
    server = setup_from_environment({"GITHUB_URL": "https://ghe.example.test/"})
    assert server == SetupSettings("https://ghe.example.test",
                                   "https://ghe.example.test/api/v3")
    public = setup_from_environment({})
    assert public.api_url.startswith("https://api.") and public.web_url.startswith("https://")
    assert manifest_file().name == "app.yaml"

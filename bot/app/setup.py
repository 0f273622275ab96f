"""`ssot-bot setup`: register the GitHub App from the browser (GitHub's manifest flow).

A page on this machine (`create_setup_app`) shows a "Register the GitHub App" button: a
form that posts the manifest (`app.yaml` with this deployment's public URL) to GitHub's
new-App page with a random `state`. GitHub sends the browser back to `/callback` with a
one-time code; the page checks the state, has GitHub convert the code
(`github.manifest.convert`) and writes the App's id, private key and webhook secret to
the env file `ssot-bot serve` reads, then shows where to install the App.

Invariant: the secrets GitHub answers with go to the env file only (created mode 0600,
never over an existing file unless `--force`): never to a page, a log line or the
terminal. Every value shown on a page is HTML-escaped.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hmac
import html
import json
import logging
import os
import secrets
import sys
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from bot import PRODUCT
from bot.app import logs
from bot.github.manifest import (
    ConversionError,
    ManifestError,
    RegisteredApp,
    convert,
    filled_manifest,
    install_url,
    new_app_url,
    read_manifest,
)
from bot.github.transport import USER_AGENT
from bot.settings import (
    EXIT_BAD_SETTINGS,
    SettingsError,
    SetupSettings,
    environment_for,
    setup_from_environment,
)

logger = logging.getLogger(__name__)

CALLBACK = "/callback"
DONE = "/done"
ENV_FILE_MODE = 0o600


class EnvFileError(Exception):
    """The env file cannot be written; the message says why (never its contents)."""


@dataclass
class SetupFlow:
    """One registration: its settings, the state GitHub must echo, and the result."""

    settings: SetupSettings
    manifest: dict[str, Any]
    env_file: Path
    public_url: str | None
    org: str | None = None
    force: bool = False
    state: str = field(default_factory=lambda: secrets.token_urlsafe(32), repr=False)
    registered: RegisteredApp | None = None
    finished: asyncio.Event = field(default_factory=asyncio.Event)
    """Set once the done page has been shown: `setup` then stops."""


FLOW = web.AppKey("flow", SetupFlow)
SESSION = web.AppKey("session", aiohttp.ClientSession)


def create_setup_app(flow: SetupFlow) -> web.Application:
    app = web.Application()
    app[FLOW] = flow
    app.cleanup_ctx.append(_session)
    app.router.add_get("/", start_page)
    app.router.add_get(CALLBACK, callback)
    app.router.add_get(DONE, done_page)
    return app


async def _session(app: web.Application) -> AsyncIterator[None]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30),
                                     headers={"user-agent": USER_AGENT}) as session:
        app[SESSION] = session
        yield


async def start_page(request: web.Request) -> web.Response:
    """The public URL (asked for when `--url` was not given), then the button."""
    flow = request.app[FLOW]
    if flow.registered is not None:
        raise web.HTTPSeeOther(DONE)
    public_url = flow.public_url or request.query.get("url", "").strip()
    if not public_url.startswith(("https://", "http://")):
        return _page("Register the GitHub App", 200 if not public_url else 400, f"""
<p>Where will <code>{PRODUCT} serve</code> be reachable from GitHub? GitHub sends the
webhooks to this address's <code>/webhook</code>.</p>
{_problem("The public URL must start with https:// (or http://).") if public_url else ""}
<form method="get" action="/">
  <label>Public URL <input name="url" type="url" required
    placeholder="https://ssot-bot.example.com" size="40"></label>
  <button type="submit">Continue</button>
</form>""")
    redirect = str(request.url.origin().with_path(CALLBACK))
    manifest = filled_manifest(flow.manifest, public_url=public_url, redirect_url=redirect)
    target = new_app_url(flow.settings.web_url, flow.state, org=flow.org)
    owner = f"the organisation {_e(flow.org)}" if flow.org else "your account"
    return _page("Register the GitHub App", 200, f"""
<p>This registers <strong>{_e(str(manifest["name"]))}</strong> on
<code>{_e(flow.settings.web_url)}</code> for {owner}, sending webhooks to
<code>{_e(manifest["hook_attributes"]["url"])}</code>. GitHub shows the App before it is
created; its id, private key and webhook secret are then saved to
<code>{_e(str(flow.env_file))}</code> (readable by you only).</p>
<form method="post" action="{_e(target)}">
  <input type="hidden" name="manifest" value="{_e(json.dumps(manifest))}">
  <button type="submit" id="register">Register the GitHub App</button>
</form>""")


async def callback(request: web.Request) -> web.Response:
    """Where GitHub sends the browser back: state checked, code converted, file written."""
    flow = request.app[FLOW]
    if flow.registered is not None:
        raise web.HTTPSeeOther(DONE)
    state, code = request.query.get("state", ""), request.query.get("code", "")
    if not hmac.compare_digest(state.encode(), flow.state.encode()):
        logger.warning("setup callback refused: state does not match")
        return _page("Not this set-up's answer", 400, _problem(
            "This answer does not carry the state this page sent (a stale tab, or a link "
            "someone else made). Nothing was saved.") + _again())
    if not code:
        return _page("No code from GitHub", 400, _problem(
            "GitHub's answer carries no code. Nothing was saved.") + _again())
    try:
        registered = await convert(request.app[SESSION], flow.settings.api_url, code)
    except ConversionError as exc:
        logger.warning("setup: conversion failed", extra={"reason": str(exc)})
        return _page("GitHub did not create the App", 502, _problem(
            f"Asking GitHub for the new App's credentials failed: {exc}. The code is good "
            "once, for an hour.") + _again())
    try:
        write_env_file(flow.env_file, environment_for(
            app_id=registered.id, private_key=registered.pem,
            webhook_secret=registered.webhook_secret, api_url=flow.settings.api_url),
            force=flow.force)
    except EnvFileError as exc:
        logger.error("setup: env file not written", extra={
            "app_id": registered.id, "env_file": str(flow.env_file), "reason": str(exc)})
        return _page("The App's credentials were not saved", 500, _problem(
            f"GitHub created the App {registered.slug}, but {exc}. GitHub shows its "
            "private key only once: delete the App (its settings page, Advanced) and run "
            f"{PRODUCT} setup again.") + f'<p><a href="{_e(registered.html_url)}">'
            f"{_e(registered.html_url)}</a></p>")
    flow.registered = registered
    logger.info("setup: App registered", extra={
        "app_id": registered.id, "slug": registered.slug, "env_file": str(flow.env_file)})
    raise web.HTTPSeeOther(DONE)


async def done_page(request: web.Request) -> web.Response:
    flow = request.app[FLOW]
    if flow.registered is None:
        raise web.HTTPSeeOther("/")
    link = install_url(flow.registered.html_url)
    response = _page("The GitHub App is registered", 200, f"""
<p>App <strong>{_e(flow.registered.slug)}</strong> (id {flow.registered.id}) is registered.
Its id, private key and webhook secret are in <code>{_e(str(flow.env_file))}</code>.</p>
<ol>
  <li>Give them to <code>{PRODUCT} serve</code>: <code>docker run --env-file
    {_e(str(flow.env_file))}</code>, compose's <code>env_file</code> or systemd's
    <code>EnvironmentFile</code> read it as it is.</li>
  <li><a id="install" href="{_e(link)}">Install the App</a> on the repositories to audit.</li>
</ol>""")
    flow.finished.set()
    return response


def write_env_file(path: Path, values: dict[str, str], *, force: bool = False) -> None:
    """`NAME=value` lines in a file only its owner can read. A new file is created with
    `O_EXCL` (never over one); with `force`, a temporary file in the same folder, made
    0600 before anything is written, replaces it."""
    text = "".join(f"{name}={value}\n" for name, value in values.items())
    if any("\n" in value for value in values.values()):
        raise EnvFileError("a value holds a newline")  # escaped by `environment_for`
    try:
        if force:
            descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
            try:
                os.fchmod(descriptor, ENV_FILE_MODE)
                with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                    handle.write(text)
                Path(temporary).replace(path)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
            return
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, ENV_FILE_MODE)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
    except FileExistsError:
        raise EnvFileError(f"{path} exists (run with --force to replace it)") from None
    except OSError as exc:
        raise EnvFileError(f"{path} cannot be written: {exc.strerror}") from None


def check_env_file(path: Path, *, force: bool) -> None:
    """Before anything is registered: the env file can be written (GitHub shows the
    private key once, so a failure after the conversion costs the App)."""
    if path.exists() and not force:
        raise EnvFileError(f"{path} exists (run with --force to replace it)")
    folder = path.parent
    if not folder.is_dir():
        raise EnvFileError(f"{path} cannot be written: its folder does not exist")
    if not os.access(folder, os.W_OK):
        raise EnvFileError(f"{path} cannot be written: its folder is not writable")


def _page(title: str, status: int, body: str) -> web.Response:
    return web.Response(status=status, content_type="text/html", text=f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{_e(title)} · {PRODUCT}</title>
<meta name="referrer" content="no-referrer">
<style>body{{font-family:system-ui,sans-serif;max-width:44rem;margin:3rem auto;
line-height:1.5}} .problem{{color:#a40e26}} button{{font-size:1.1rem;padding:.4rem 1rem}}
</style></head>
<body><h1>{_e(title)}</h1>
{body}
</body></html>
""", headers={"Cache-Control": "no-store", "X-Frame-Options": "DENY"})


def _problem(text: str) -> str:
    return f'<p class="problem" id="problem">{_e(text)}</p>'


def _again() -> str:
    return '<p><a href="/">Start again</a></p>'


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def setup_command(args: argparse.Namespace) -> int:
    """`ssot-bot setup`: serve the page until the App is registered (or Ctrl-C)."""
    try:
        settings = setup_from_environment()
        manifest = read_manifest()
        check_env_file(args.env_file, force=args.force)
    except (SettingsError, ManifestError, EnvFileError) as exc:
        print(f"{PRODUCT}: error: {exc}", file=sys.stderr)
        return EXIT_BAD_SETTINGS
    if args.url and not args.url.startswith(("https://", "http://")):
        print(f"{PRODUCT}: error: --url must start with https:// (or http://)",
              file=sys.stderr)
        return EXIT_BAD_SETTINGS
    logs.configure()
    flow = SetupFlow(settings, manifest, args.env_file, args.url, org=args.org,
                     force=args.force)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve_until_done(flow, args.host, args.port))
    return 0 if flow.registered else 1


async def _serve_until_done(flow: SetupFlow, host: str, port: int) -> None:
    runner = web.AppRunner(create_setup_app(flow), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound = runner.addresses[0]
    page = f"http://{'localhost' if host in ('127.0.0.1', '::1') else host}:{bound[1]}/"
    print(f"Open {page} in your browser to register the GitHub App "
          f"(on {flow.settings.web_url}).", flush=True)
    try:
        await flow.finished.wait()
        assert flow.registered, "the done page is shown only after registering"
        print(f"Registered App {flow.registered.slug} (id {flow.registered.id}); its "
              f"credentials are in {flow.env_file}.\nInstall it: "
              f"{install_url(flow.registered.html_url)}", flush=True)
    finally:
        await runner.cleanup()

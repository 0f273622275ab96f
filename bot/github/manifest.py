"""GitHub's App manifest flow: the manifest, the new-App pages it is posted to, and the
conversion that turns GitHub's one-time code into the App's id, key and webhook secret.

The flow (https://docs.github.com/apps/sharing-github-apps/registering-a-github-app-from-a-manifest):
a browser form posts `manifest` (JSON) to `{web}/settings/apps/new?state=…` (or an
organisation's page); the user confirms on GitHub, which redirects to the manifest's
`redirect_url` with `?code=…&state=…`; `POST /app-manifests/{code}/conversions`
(unauthenticated, the code is good once for an hour) answers with the App and its
secrets.

Invariant: a `RegisteredApp`'s secrets (the PEM key, the webhook and client secrets) are
hidden from its `repr` and from every exception raised here.
"""

from __future__ import annotations

import copy
import importlib.metadata
import json
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import yaml

from bot import PRODUCT

MANIFEST_NAME = "app.yaml"
INSTALLED_MANIFEST = Path("share") / PRODUCT / MANIFEST_NAME
"""Where the wheel installs the manifest, under the environment's data directory."""
ACCEPT = "application/vnd.github+json"


class ManifestError(Exception):
    """The manifest file is missing or not a manifest; the message says which."""


class ConversionError(Exception):
    """GitHub did not turn the code into an App; the message is GitHub's answer (never
    a secret: a failed conversion carries none)."""


def manifest_file() -> Path:
    """The manifest `ssot-bot setup` posts: the repository's own `app.yaml` when running
    from a checkout (an editable install too, so an edit takes effect at once), else the
    one installed with the package."""
    checkout = Path(__file__).resolve().parents[2]
    if (checkout / MANIFEST_NAME).is_file() and (checkout / "pyproject.toml").is_file():
        return checkout / MANIFEST_NAME
    try:
        files = importlib.metadata.distribution(PRODUCT).files or []
    except importlib.metadata.PackageNotFoundError:
        files = []
    for installed in files:
        if Path(str(installed)).parts[-3:] == INSTALLED_MANIFEST.parts:
            return Path(str(installed.locate())).resolve()
    return checkout / MANIFEST_NAME


def read_manifest(path: Path | None = None) -> dict[str, Any]:
    """The manifest as GitHub takes it (`app.yaml` parsed)."""
    where = path or manifest_file()
    try:
        data = yaml.safe_load(where.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ManifestError(f"the App manifest {where} cannot be read: {exc.strerror}"
                            ) from None
    except yaml.YAMLError:
        raise ManifestError(f"the App manifest {where} is not valid YAML") from None
    if not isinstance(data, dict) or not isinstance(data.get("name"), str):
        raise ManifestError(f"the App manifest {where} is not a mapping with a name")
    return data


def filled_manifest(manifest: dict[str, Any], *, public_url: str, redirect_url: str
                    ) -> dict[str, Any]:
    """The manifest with this deployment's addresses: webhooks go to `public_url`'s
    `/webhook`, and GitHub sends the browser back to `redirect_url` with the code.
    No `callback_urls` or `setup_url`: the App never acts for a user (no OAuth), and
    installing it needs no set-up step of ours."""
    filled = copy.deepcopy(manifest)
    hooks = dict(filled.get("hook_attributes") or {})
    hooks["url"] = f"{public_url.rstrip('/')}/webhook"
    hooks.setdefault("active", True)
    filled["hook_attributes"] = hooks
    filled["redirect_url"] = redirect_url
    for user_only in ("callback_urls", "setup_url"):
        filled.pop(user_only, None)
    return filled


def new_app_url(web_url: str, state: str, *, org: str | None = None) -> str:
    """The page the manifest form posts to: the user's new-App page, or an
    organisation's (the user must own it)."""
    owner = f"/organizations/{urllib.parse.quote(org, safe='')}" if org else ""
    return f"{web_url.rstrip('/')}{owner}/settings/apps/new?" + urllib.parse.urlencode(
        {"state": state})


def install_url(app_html_url: str) -> str:
    """Where the new App is installed on repositories."""
    return f"{app_html_url.rstrip('/')}/installations/new"


@dataclass(frozen=True, slots=True)
class RegisteredApp:
    """What the conversion answers, as `ssot-bot serve` needs it."""

    id: int
    slug: str
    html_url: str
    pem: str = field(repr=False)
    webhook_secret: str = field(repr=False)


async def convert(session: aiohttp.ClientSession, api_url: str, code: str) -> RegisteredApp:
    """`POST /app-manifests/{code}/conversions`: the App GitHub made from the manifest."""
    url = f"{api_url.rstrip('/')}/app-manifests/{urllib.parse.quote(code, safe='')}/conversions"
    try:
        async with session.post(url, headers={"accept": ACCEPT}) as response:
            body = await response.read()
            status = response.status
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise ConversionError(f"GitHub could not be reached ({type(exc).__name__})") from None
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        data = None
    if status != 201:
        message = data.get("message") if isinstance(data, dict) else None
        raise ConversionError(f"GitHub answered {status}" + (
            f": {message}" if isinstance(message, str) else ""))
    return _registered(data)


def _registered(data: Any) -> RegisteredApp:
    if not isinstance(data, dict):
        raise ConversionError("GitHub's answer is not a JSON object")
    app_id, slug, html_url = data.get("id"), data.get("slug"), data.get("html_url")
    pem, secret = data.get("pem"), data.get("webhook_secret")
    if not (isinstance(app_id, int) and isinstance(slug, str) and isinstance(html_url, str)):
        raise ConversionError("GitHub's answer lacks the App's id, slug or address")
    if not isinstance(pem, str) or "PRIVATE KEY" not in pem:
        raise ConversionError("GitHub's answer has no private key")
    if not isinstance(secret, str) or not secret:
        raise ConversionError("GitHub's answer has no webhook secret (the manifest needs "
                              "hook_attributes)")
    return RegisteredApp(app_id, slug, html_url, pem, secret)

"""GitHub's addresses: the public API and the web pages findings link to."""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable

PUBLIC_API_URL = "https://api.github.com"
"""github.com's REST API; GitHub Enterprise Server has its own (`GITHUB_API_URL`)."""
PUBLIC_WEB_URL = "https://github.com"
ENTERPRISE_API_PATH = "/api/v3"
"""Where a GitHub Enterprise Server serves its REST API, under its own address."""
ACTIONS_APP_ID = "15368"
"""The GitHub Actions App on github.com: what a workflow's `GITHUB_TOKEN` posts as (its
check runs and comments name it)."""
ACTIONS_BOT_USER = "github-actions[bot]"


def blob_url(html_base: str, repo: str, sha: str) -> Callable[[str, int], str]:
    """(path, line) -> link to that line at `sha` on GitHub's web UI. The path is
    percent-encoded byte for byte: a name from the tarball that is not UTF-8 (held as
    surrogate escapes) links to its real bytes, and newlines, `)` or spaces cannot end
    the markdown link."""
    def url(path: str, line: int) -> str:
        quoted = urllib.parse.quote(path, errors="surrogateescape")
        return f"{html_base}/{repo}/blob/{sha}/{quoted}#L{line}"
    return url


def web_url(api_url: str) -> str:
    """github.com for api.github.com; the same host for GitHub Enterprise Server."""
    parsed = urllib.parse.urlsplit(api_url)
    if parsed.hostname == urllib.parse.urlsplit(PUBLIC_API_URL).hostname:
        return PUBLIC_WEB_URL
    return f"{parsed.scheme}://{parsed.netloc}"


def api_url_of(web: str) -> str:
    """api.github.com for github.com; `/api/v3` on a GitHub Enterprise Server."""
    if urllib.parse.urlsplit(web).hostname == urllib.parse.urlsplit(PUBLIC_WEB_URL).hostname:
        return PUBLIC_API_URL
    return web.rstrip("/") + ENTERPRISE_API_PATH

"""I/O shell of ssot-bot: the CLI, git, GitHub, the webhook server and its queue."""

from importlib.metadata import PackageNotFoundError, version

PRODUCT = "ssot-bot"
"""The distribution, command and User-Agent name."""


def package_version() -> str:
    try:
        return version(PRODUCT)
    except PackageNotFoundError:
        return "0+unknown"

"""I/O shell of ssot-bot: the CLI, git, GitHub, the webhook server and its queue."""

PRODUCT = "ssot-bot"
"""The distribution, command and User-Agent name."""
PROJECT_HOME = "https://github.com/ssot-bot/ssot-bot"
"""Where the README lives: each rule's documentation is an anchor in its rule table."""


def rule_docs_url(rule_id: str) -> str:
    """The stable address of a rule's documentation (SARIF's helpUri, the PR comment)."""
    return f"{PROJECT_HOME}#{rule_id.lower()}"


def package_version() -> str:
    # Imported when asked: importlib.metadata adds 50 ms to every command's start-up.
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(PRODUCT)
    except PackageNotFoundError:
        return "0+unknown"

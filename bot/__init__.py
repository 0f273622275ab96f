"""I/O shell of ssot-bot: the CLI, git, GitHub, the webhook server and its queue."""

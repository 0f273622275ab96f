"""The GitHub App: the webhook server, the handlers, the audit pipeline and its pool."""

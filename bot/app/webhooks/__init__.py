"""Webhook handlers, one module per feature, each with its own gidgethub `Router`.

Handlers are called as `handler(event, gh, jobs=...)`: `gh` is the delivery's
`github.Installation`, `jobs` the `JobQueue`. They run in the background after the
delivery was acknowledged, so they may call GitHub; audits themselves go to the queue.
"""

from gidgethub.routing import Router

from bot.app.webhooks import checks, commands, installations, pull_requests

router = Router(pull_requests.router, commands.router, checks.router, installations.router)

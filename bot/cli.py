"""`ssot-bot`, the one command of every front end: `audit` a local git repository
(`bot.local`), `serve` the GitHub App (`bot.app`), or run a Redis-mode `worker`
(`bot.redis`).

The App and Redis front ends are imported only when their command runs, so that
`ssot-bot audit` loads nothing of aiohttp, gidgethub, Redis or Sentry (the layering test
`tests/test_layering.py` holds the audit path to that).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from bot import PRODUCT, package_version
from bot.local import audit, init, rules


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "audit":
        return audit.audit_command(args)
    if args.command == "rule":
        return rules.rule_command(args)
    if args.command == "init":
        return init.init_command(args)
    if args.command in APP_COMMANDS:
        try:
            return _app_command(args)
        except ModuleNotFoundError as exc:
            print(f"{PRODUCT}: error: `{args.command}` needs the App's libraries ({exc.name} "
                  f"is missing); install them with `pip install '{PRODUCT}[app]'`",
                  file=sys.stderr)
            return audit.EXIT_ERROR
    parser.print_help()
    return audit.EXIT_ERROR


APP_COMMANDS = ("serve", "worker", "action")
"""Commands that need the `[app]` extra (aiohttp, gidgethub, …)."""


def _app_command(args: argparse.Namespace) -> int:
    if args.command == "serve":
        from bot.app.server import serve

        return serve(args.host, args.port)
    if args.command == "action":
        from bot.action.run import action_command

        return action_command()
    from bot.redis.worker import worker_command

    return worker_command()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PRODUCT,
        description="Audit changes for single-source-of-truth compliance.",
    )
    parser.add_argument("--version", action="version", version=package_version())
    commands = parser.add_subparsers(dest="command")
    audit.add_arguments(commands.add_parser(
        "audit",
        help="audit a git repository's change (exit 0 GO, 1 NO-GO, 2 error)",
        description="Audit what changed between --base and --head; with --all, every "
        "Python file at --head.",
    ))
    rules.add_arguments(commands.add_parser(
        "rule", help="print a rule's documentation (`rule SF101`), or every rule (`--all`)"))
    init.add_arguments(commands.add_parser(
        "init", help="write a starter [tool.ssot] into pyproject.toml (never over one)"))
    serve_cmd = commands.add_parser("serve", help="run the GitHub App webhook server")
    serve_cmd.add_argument("--host", default="0.0.0.0")
    serve_cmd.add_argument("--port", type=int, default=None,
                           help="port (default: $PORT, else 8080)")
    commands.add_parser("worker", help="run the deliveries and audits queued in Redis "
                        "(SSOT_REDIS_URL)")
    commands.add_parser("action", help="the GitHub Action's entry point: audit the pull "
                        "request of $GITHUB_EVENT_PATH and publish (see action.yml)")
    return parser


if __name__ == "__main__":
    sys.exit(main())

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
from pathlib import Path

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


APP_COMMANDS = ("serve", "worker", "action", "setup")
"""Commands that need the `[app]` extra (aiohttp, gidgethub, …)."""


def _app_command(args: argparse.Namespace) -> int:
    if args.command == "serve":
        from bot.app.server import serve

        return serve(args.host, args.port)
    if args.command == "action":
        from bot.action.run import action_command

        return action_command()
    if args.command == "setup":
        from bot.app.setup import setup_command

        return setup_command(args)
    from bot.redis.worker import worker_command

    return worker_command(args.metrics_port)


class _Version(argparse.Action):
    """argparse's `version` action, reading the installed version only when asked (90 ms
    with its import, on every command otherwise)."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: object, option_string: str | None = None) -> None:
        print(package_version())
        parser.exit()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PRODUCT,
        description="Audit changes for single-source-of-truth compliance.",
    )
    parser.add_argument("--version", action=_Version, nargs=0,
                        help="show the program's version number and exit")
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
    worker_cmd = commands.add_parser("worker", help="run the deliveries and audits queued in "
                                     "Redis (SSOT_REDIS_URL)")
    worker_cmd.add_argument("--metrics-port", type=int, default=None,
                            help="serve /metrics and /readyz on this port (default: "
                            "$SSOT_METRICS_PORT, else none)")
    _add_setup_arguments(commands.add_parser(
        "setup", help="register the GitHub App from your browser (GitHub's manifest flow) "
        "and save its credentials to an env file"))
    commands.add_parser("action", help="the GitHub Action's entry point: audit the pull "
                        "request of $GITHUB_EVENT_PATH and publish (see action.yml)")
    return parser


def _add_setup_arguments(parser: argparse.ArgumentParser) -> None:
    """`setup`'s options, here so that `--help` needs none of the App's libraries."""
    parser.add_argument("--url", help="the public URL `ssot-bot serve` will answer on "
                        "(asked for on the page when left out)")
    parser.add_argument("--org", help="register the App for this organisation (you must "
                        "own it) instead of your account")
    parser.add_argument("--env-file", type=Path, default=Path("ssot-bot.env"),
                        help="where to save the credentials (default: ssot-bot.env; never "
                        "over an existing file without --force)")
    parser.add_argument("--force", action="store_true", help="replace an existing env file")
    parser.add_argument("--host", default="127.0.0.1", help="address of the set-up page")
    parser.add_argument("--port", type=int, default=8765,
                        help="port of the set-up page (default 8765; 0: any free one)")


if __name__ == "__main__":
    sys.exit(main())

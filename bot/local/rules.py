"""`ssot-bot rule`: a rule's documentation (its docstring), or the table of every rule."""

from __future__ import annotations

import argparse
import sys

from analyzers import ALL_RULES
from bot import PRODUCT, rule_docs_url

EXIT_OK = 0
EXIT_UNKNOWN_RULE = 2


def add_arguments(rule_cmd: argparse.ArgumentParser) -> None:
    rule_cmd.add_argument("id", nargs="?", help="a rule id, such as SF101")
    rule_cmd.add_argument("--all", action="store_true", help="list every rule")


def rule_command(args: argparse.Namespace) -> int:
    if args.all or args.id is None:
        width = max(len(rule.name) for rule in ALL_RULES)
        for rule in ALL_RULES:
            print(f"{rule.id}  {rule.name:<{width}}  {rule.severity.value:<7}  "
                  f"{rule.summary()}")
        return EXIT_OK
    by_id = {rule.id: rule for rule in ALL_RULES}
    found = by_id.get(args.id.upper())
    if found is None:
        print(f"{PRODUCT}: error: no rule {args.id!r}; `{PRODUCT} rule --all` lists them",
              file=sys.stderr)
        return EXIT_UNKNOWN_RULE
    print(found.documentation())
    print(f"\nDocs: {rule_docs_url(found.id)}")
    return EXIT_OK

"""Precision of DU301-DU303 on real projects, from a reviewer's judgments.

`benchmarks/precision/du-judgments.csv` holds one reviewer judgment per finding place
(`rule,project,commit,place,verdict,reason`; verdict `worth-raising` or `dismiss`: would a
careful reviewer of that project raise it on the pull request that adds the code). This
joins it with whole-tree audits (`ssot-bot audit --all --repo DIR --format json`, one
JSON file per project) and prints, per rule and severity, how many findings were judged
and how many of them were worth raising; findings nobody judged are counted apart.

    .venv/bin/python benchmarks/duplicates_judged.py click=click.json falcon=falcon.json
"""

from __future__ import annotations

import csv
import json
import sys
from collections import Counter
from pathlib import Path

JUDGMENTS = Path(__file__).parent / "precision" / "du-judgments.csv"


def main(arguments: list[str]) -> int:
    with JUDGMENTS.open(newline="", encoding="utf-8") as handle:
        verdicts = {(r["rule"], r["project"], r["place"]): r["verdict"]
                    for r in csv.DictReader(handle)}
    judged: Counter[tuple[str, str]] = Counter()
    worth: Counter[tuple[str, str]] = Counter()
    unjudged: Counter[tuple[str, str]] = Counter()
    for argument in arguments:
        project, _, result = argument.partition("=")
        findings = json.loads(Path(result).read_text(encoding="utf-8"))["findings"]
        for finding in findings:
            if not finding["rule"].startswith("DU"):
                continue
            key = (finding["rule"], finding["severity"])
            verdict = verdicts.get((finding["rule"], project,
                                    f"{finding['path']}:{finding['line']}"))
            if verdict is None:
                unjudged[key] += 1
            else:
                judged[key] += 1
                worth[key] += verdict == "worth-raising"
    for key in sorted(judged.keys() | unjudged.keys()):
        rate = f"{worth[key] / judged[key]:.0%}" if judged[key] else "-"
        print(f"{key[0]} {key[1]:7}: {worth[key]}/{judged[key]} worth raising ({rate}); "
              f"{unjudged[key]} not judged")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

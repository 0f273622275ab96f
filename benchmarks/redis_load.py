"""Redis mode under load and faults: 2 intake processes, 3 workers, the fake GitHub.

    .venv/bin/python benchmarks/redis_load.py [--deliveries 1000] [--rate 120] [--pulls 40]

Each phase starts a fresh redis-server, the fake GitHub (tests/fake_github.py, in its own
process) on a small synthetic repository, two `ssot-bot serve` and three `ssot-bot worker`
processes, then sends signed `pull_request` deliveries at `--rate` per second: every PR is
opened, then gets bursts of 3-6 pushes back to back (synchronize events on new heads),
and 20% of deliveries are sent again with the same delivery id to the *other* intake
process. A 503 is redelivered after its Retry-After (scaled down), as an operator would
from GitHub's delivery log.

Phases:
1. clean;
2. faults: 10% of GitHub calls answered 502, 2% a secondary rate limit (403 +
   Retry-After: 1); one worker SIGKILLed at 30% of the deliveries; Redis restarted at 60%;
3. peer: the embedded mode (one `ssot-bot serve`, in-process queue) with the clean load.

Figures: acknowledgement p50/p99, audits executed (check runs started), check runs
concluded success/failure versus unique final heads, lost (a PR whose final head has
no concluded check run or whose comment does not name it) and double-published (a head
with more than one check run, or a PR with more than one comment).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import hmac
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.app.pipeline import COULD_NOT_COMPLETE  # noqa: E402
from bot.redis.queue import DELIVERIES, connect  # noqa: E402
from tests.fake_github import FakeGitHub, spec_dir  # noqa: E402 - needs ROOT on the path
from tests.gitrepo import GitRepo  # noqa: E402
from tests.redis_server import RedisServer, free_port  # noqa: E402

SECRET = "benchmark-secret"
APP_ID = "777"
LEASE = 10.0
"""SSOT_REDIS_LEASE for the workers: a killed worker's jobs move on after ~10 s."""
SETTLE_LIMIT = 600.0
SECONDARY = "You have exceeded a secondary rate limit. Please wait a few minutes."
CLEAN = "def total(items):\n    return sum(items)\n"
SWALLOWING = ("def load(path):\n    try:\n        with open(path) as handle:\n"
              "            return handle.read()\n    except Exception:\n        return None\n")


# --- the fake GitHub's process -----------------------------------------------------------


class FaultyGitHub(FakeGitHub):
    """The fake GitHub, answering a random share of calls with a 502 or a secondary rate
    limit, and telling the benchmark what it holds."""

    def __init__(self, *args: Any, bad_gateway: float, rate_limited: float, seed: int,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.bad_gateway = bad_gateway
        self.rate_limited = rate_limited
        self.injected: Counter[int] = Counter()
        self._random = random.Random(seed)

    def _fault(self, request: web.Request) -> web.Response | None:
        roll = self._random.random()
        if roll < self.bad_gateway:
            self.injected[502] += 1
            return web.json_response({"message": "Server Error"}, status=502)
        if roll < self.bad_gateway + self.rate_limited:
            self.injected[403] += 1
            return web.json_response({"message": SECONDARY}, status=403,
                                     headers={"Retry-After": "1"})
        return super()._fault(request)

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        if request.path == "/_bench/state":
            return self._state()
        return await super()._handle(request)

    def _state(self) -> web.Response:
        created = sum(1 for r in self.requests
                      if r.method == "POST" and r.path.endswith("/check-runs") and r.status == 201)
        return web.json_response({
            "check_runs": [{"head_sha": r.head_sha, "status": r.status,
                            "conclusion": r.conclusion, "title": r.output.get("title")}
                           for r in self.check_runs.values()],
            "comments": {str(n): [c.body for c in self.comments_on(n)] for n in self.pulls},
            "requests": len(self.requests), "created": created,
            "injected": {str(k): v for k, v in self.injected.items()},
        })


def serve_fake(args: argparse.Namespace) -> int:
    spec = spec_dir()
    fake = FaultyGitHub(GitRepo(Path(args.repo)), app_id=APP_ID,
                        public_key=Path(args.public_key).read_text(), spec=spec,
                        bad_gateway=args.bad_gateway, rate_limited=args.rate_limited, seed=7)
    for number in range(1, args.pulls + 1):
        fake.open_pull(number, f"pr-{number}")
    fake.url = f"http://127.0.0.1:{args.fake_github}"
    web.run_app(fake.app(), host="127.0.0.1", port=args.fake_github, print=None,
                access_log=None)
    return 0


# --- the repository and the load ---------------------------------------------------------


def build_repo(root: Path, pulls: int, heads_per_pull: int) -> dict[int, list[str]]:
    """`main`, and per PR a chain of `heads_per_pull` commits (made with one
    `git fast-import`); branch `pr-N` points at the chain's first commit."""
    repo = GitRepo(root)
    repo.commit("base", {"pyproject.toml": '[project]\nname = "bench"\n\n[tool.ssot]\n',
                         "app/__init__.py": "", "app/util.py": CLEAN})
    stream: list[bytes] = []
    mark = 0
    for number in range(1, pulls + 1):
        for index in range(heads_per_pull):
            mark += 1
            body = (SWALLOWING if (number + index) % 3 == 0 else CLEAN).replace(
                "(", f"_{index}(", 1).encode()
            message = f"pr {number} head {index}".encode()
            stream += [f"commit refs/heads/pr-{number}\nmark :{mark}\n".encode(),
                       b"committer Bench <bench@example.com> 1700000000 +0000\n",
                       f"data {len(message)}\n".encode(), message, b"\n",
                       b"from refs/heads/main^0\n" if index == 0 else b"",
                       f"M 100644 inline app/pr_{number}.py\ndata {len(body)}\n".encode(),
                       body, b"\n"]
    marks = root / ".git" / "bench-marks"
    subprocess.run(["git", "fast-import", "--quiet", f"--export-marks={marks}"], cwd=root,
                   input=b"".join(stream), check=True)
    shas = dict(line.split() for line in marks.read_text().splitlines())
    chains: dict[int, list[str]] = {}
    mark = 0
    for number in range(1, pulls + 1):
        chains[number] = [shas[f":{mark + i + 1}"] for i in range(heads_per_pull)]
        mark += heads_per_pull
        move_branch(root, number, chains[number][0])
    return chains


def move_branch(root: Path, number: int, sha: str) -> None:
    """A push: the branch now points at `sha` (the ref file, written atomically)."""
    ref = root / ".git" / "refs" / "heads" / f"pr-{number}"
    temporary = ref.with_suffix(".lock")
    temporary.write_text(sha + "\n")
    temporary.replace(ref)


@dataclass
class Delivery:
    number: int
    head: int
    """Index into the PR's chain; the delivery is sent after the branch moved there."""
    action: str
    delivery_id: str
    intake: int
    redelivery: bool = False


def plan(chains: dict[int, list[str]], total: int, redeliveries: float,
         rng: random.Random) -> list[Delivery]:
    """Unique deliveries in bursts per PR, then redeliveries a few places later."""
    unique = total - round(total * redeliveries)
    cursor = dict.fromkeys(chains, 0)
    opened: set[int] = set()
    order: list[Delivery] = []
    while len(order) < unique:
        number = rng.choice([n for n in chains if cursor[n] < len(chains[n]) - 1]
                            or list(chains))
        if number not in opened:
            opened.add(number)
            order.append(Delivery(number, 0, "opened", str(uuid.uuid4()), rng.randrange(2)))
            continue
        for _ in range(rng.randint(3, 6)):
            if len(order) >= unique or cursor[number] >= len(chains[number]) - 1:
                break
            cursor[number] += 1
            order.append(Delivery(number, cursor[number], "synchronize", str(uuid.uuid4()),
                                  rng.randrange(2)))
    for _ in range(total - unique):
        position = rng.randrange(len(order))
        original = order[position]
        order.insert(min(len(order), position + rng.randint(1, 20)), Delivery(
            original.number, original.head, original.action, original.delivery_id,
            1 - original.intake, redelivery=True))
    return order


def signed(payload: dict[str, Any], delivery_id: str) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(payload).encode()
    digest = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    return body, {"Content-Type": "application/json", "X-GitHub-Event": "pull_request",
                  "X-GitHub-Delivery": delivery_id, "X-Hub-Signature-256": f"sha256={digest}"}


# --- processes ---------------------------------------------------------------------------


@dataclass
class Fleet:
    work: Path
    env: dict[str, str]
    intakes: list[str] = field(default_factory=list)
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start(self, name: str, *args: str, port: int | None = None) -> subprocess.Popen[bytes]:
        """In a session of its own: `kill` takes the process and its children down."""
        env = dict(self.env, **({"PORT": str(port)} if port else {}))
        with (self.work / f"{name}.log").open("ab") as sink:
            process = subprocess.Popen([sys.executable, *args], cwd=ROOT, env=env,
                                       stdout=sink, stderr=sink, start_new_session=True)
        self.processes.append(process)
        return process

    def serve(self, name: str) -> None:
        port = free_port()
        self.start(name, "-m", "bot.cli", "serve", "--host", "127.0.0.1", port=port)
        self.intakes.append(f"http://127.0.0.1:{port}")

    def worker(self, name: str) -> None:
        self.workers.append(self.start(name, "-m", "bot.cli", "worker"))

    def kill(self, process: subprocess.Popen[bytes]) -> None:
        """SIGKILL a process with its audit pool, as a lost machine would be."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                self.kill(process)
                process.wait()

    def log_lines(self, message: str) -> int:
        return sum(log.read_text(errors="replace").count(f'"message": "{message}"')
                   for log in self.work.glob("*.log"))

    def errors(self) -> list[str]:
        """Error records of every process: message and exception's last line."""
        found = []
        for log in sorted(self.work.glob("*.log")):
            for line in log.read_text(errors="replace").splitlines():
                if '"level": "error"' in line:
                    record = json.loads(line)
                    reason = (record.get("exception") or "").strip().rsplit("\n", 1)[-1]
                    found.append(f"{log.stem}: {record['message']} {reason}".strip())
        return found


async def wait_up(url: str, limit: float = 60.0) -> None:
    last = "no answer"
    async with aiohttp.ClientSession() as session:
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            try:
                async with session.get(url) as response:
                    if response.status < 500:
                        return
                    last = f"HTTP {response.status}"
            except aiohttp.ClientError as exc:
                last = type(exc).__name__
            await asyncio.sleep(0.1)
    raise SystemExit(f"{url} did not come up ({last})")


@dataclass
class Phase:
    name: str
    embedded: bool = False
    bad_gateway: float = 0.0
    rate_limited: float = 0.0
    kill_worker_at: float | None = None
    restart_redis_at: float | None = None
    workers: int = 3
    """0: intake only, to measure acknowledgement without audits competing for the CPU."""


@dataclass
class Outcome:
    latencies: list[float]
    statuses: Counter[int]
    send_seconds: float
    settle_seconds: float
    state: dict[str, Any]
    finals: dict[int, str]
    logs: dict[str, int]
    errors: list[str]


async def run_phase(phase: Phase, args: argparse.Namespace, keys: tuple[str, str],
                    scratch: Path) -> Outcome:
    work = scratch / phase.name
    work.mkdir()
    rng = random.Random(args.seed)
    heads_per_pull = 2 + (args.deliveries * 8 // 10) // args.pulls
    chains = build_repo(work / "repo", args.pulls, heads_per_pull)
    deliveries = plan(chains, args.deliveries, 0.2, rng)
    (work / "app.pem").write_text(keys[1])
    redis = RedisServer(shutil.which("redis-server") or "redis-server", work, fsync="everysec")
    fake_port = free_port()
    env = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/tmp"),
           "GITHUB_APP_ID": APP_ID, "GITHUB_PRIVATE_KEY": keys[0],
           "GITHUB_WEBHOOK_SECRET": SECRET, "GITHUB_API_URL": f"http://127.0.0.1:{fake_port}",
           "SSOT_REDIS_LEASE": str(LEASE)}
    if not phase.embedded:
        redis.start()
        env["SSOT_REDIS_URL"] = redis.url
    fleet = Fleet(work, env)
    try:
        fleet.start("fake-github", __file__, "--fake-github", str(fake_port),
                    "--repo", str(work / "repo"), "--public-key", str(work / "app.pem"),
                    "--pulls", str(args.pulls), "--bad-gateway", str(phase.bad_gateway),
                    "--rate-limited", str(phase.rate_limited))
        await wait_up(f"http://127.0.0.1:{fake_port}/_bench/state")
        for index in range(1 if phase.embedded else 2):
            fleet.serve(f"intake-{index}")
        if not phase.embedded:
            for index in range(phase.workers):
                fleet.worker(f"worker-{index}")
        for url in fleet.intakes:
            await wait_up(f"{url}/healthz")
        template = pull_payloads(work / "repo", args.pulls, chains)
        latencies, statuses, send_seconds = await send(
            deliveries, template, chains, work / "repo", fleet, phase, redis, args.rate)
        settle_started = time.perf_counter()
        finals = {n: chains[n][max(d.head for d in deliveries if d.number == n)]
                  for n in {d.number for d in deliveries}}
        if phase.workers:
            state = await settle(fake_port, finals)
        else:
            client = connect(redis.url)
            state = {"queued": await client.xlen(DELIVERIES),
                     "unique": len({d.delivery_id for d in deliveries})}
            await client.aclose()
        settle_seconds = time.perf_counter() - settle_started
    finally:
        fleet.stop()
        redis.stop()
    logs = {name: fleet.log_lines(message) for name, message in (
        ("published", "audit published"), ("stale", "stale result dropped"),
        ("moved on", "audit skipped: pull request moved on"),
        ("resumed", "audit resumed after its worker died"),
        ("duplicate", "redelivery ignored"), ("refused", "delivery refused: redis unavailable"),
        ("failed", "audit job failed"))}
    return Outcome(latencies, statuses, send_seconds, settle_seconds, state, finals, logs,
                   fleet.errors())


def pull_payloads(root: Path, pulls: int, chains: dict[int, list[str]]
                  ) -> dict[tuple[int, str], dict[str, Any]]:
    spec = spec_dir()
    fake = FakeGitHub(GitRepo(root), app_id=APP_ID, public_key="", spec=spec)
    for number in range(1, pulls + 1):
        fake.open_pull(number, f"pr-{number}")
    return {(number, action): fake.pull_request_payload(number, action)
            for number in chains for action in ("opened", "synchronize")}


async def send(deliveries: list[Delivery], template: dict[tuple[int, str], dict[str, Any]],
               chains: dict[int, list[str]], root: Path, fleet: Fleet, phase: Phase,
               redis: RedisServer, rate: float) -> tuple[list[float], Counter[int], float]:
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    kill_at = round(len(deliveries) * phase.kill_worker_at) if phase.kill_worker_at else -1
    restart_at = (round(len(deliveries) * phase.restart_redis_at)
                  if phase.restart_redis_at else -1)
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        async def deliver(body: bytes, headers: dict[str, str], url: str) -> None:
            while True:
                started = time.perf_counter()
                async with session.post(f"{url}/webhook", data=body,
                                        headers=headers) as response:
                    await response.read()
                latencies.append(time.perf_counter() - started)
                statuses[response.status] += 1
                if response.status != 503:
                    return
                # Redelivered from GitHub's log by an operator: here, soon.
                await asyncio.sleep(int(response.headers.get("Retry-After", "1")) / 60)

        prepared = []  # signed before the clock starts: the sender must keep the rate
        for delivery in deliveries:
            payload = json.loads(json.dumps(template[(delivery.number, delivery.action)]))
            payload["pull_request"]["head"]["sha"] = chains[delivery.number][delivery.head]
            prepared.append(signed(payload, delivery.delivery_id))
        tasks = []
        started = time.perf_counter()
        for position, (delivery, (body, headers)) in enumerate(zip(deliveries, prepared,
                                                                    strict=True)):
            await asyncio.sleep(max(0.0, started + position / rate - time.perf_counter()))
            if position == kill_at:
                fleet.kill(fleet.workers[0])
            if position == restart_at:  # in the background: deliveries keep coming
                tasks.append(asyncio.create_task(asyncio.to_thread(redis.restart)))
            if not delivery.redelivery and delivery.action == "synchronize":
                move_branch(root, delivery.number, chains[delivery.number][delivery.head])
            url = fleet.intakes[delivery.intake % len(fleet.intakes)]
            tasks.append(asyncio.create_task(deliver(body, headers, url)))
        sent_seconds = time.perf_counter() - started
        await asyncio.gather(*tasks)
        return latencies, statuses, sent_seconds


async def settle(fake_port: int, finals: dict[int, str]) -> dict[str, Any]:
    """The fake GitHub's state once every final head is concluded and nothing runs."""
    deadline = time.monotonic() + SETTLE_LIMIT
    async with aiohttp.ClientSession() as session:
        while True:
            async with session.get(f"http://127.0.0.1:{fake_port}/_bench/state") as response:
                state: dict[str, Any] = await response.json()
            concluded = {r["head_sha"] for r in state["check_runs"]
                         if r["conclusion"] in ("success", "failure")}
            running = [r for r in state["check_runs"] if r["status"] != "completed"]
            if set(finals.values()) <= concluded and not running:
                await asyncio.sleep(2 * LEASE)  # late duplicates would show up by now
                async with session.get(f"http://127.0.0.1:{fake_port}/_bench/state") as again:
                    final: dict[str, Any] = await again.json()
                return final
            if time.monotonic() > deadline:
                print(f"  not settled after {SETTLE_LIMIT:.0f} s", file=sys.stderr)
                return state
            await asyncio.sleep(0.5)


# --- report ------------------------------------------------------------------------------


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def report(phase: Phase, outcome: Outcome, deliveries: int) -> dict[str, float]:
    ms = [v * 1000 for v in outcome.latencies]
    print(f"\n[{phase.name}] {deliveries} deliveries sent in {outcome.send_seconds:.1f} s "
          f"({deliveries / outcome.send_seconds:.0f}/s); answers {dict(outcome.statuses)}")
    print(f"  ack p50 {percentile(ms, 0.5):.1f} ms  p99 {percentile(ms, 0.99):.1f} ms  "
          f"max {max(ms):.1f} ms  ({outcome.logs['duplicate']} redeliveries dropped, "
          f"{outcome.logs['refused']} refused while Redis was down)")
    figures = {"p50": percentile(ms, 0.5), "p99": percentile(ms, 0.99),
               "settle": outcome.settle_seconds, "lost": 0.0, "doubled": 0.0}
    if "queued" in outcome.state:
        queued, unique = outcome.state["queued"], outcome.state["unique"]
        print(f"  queued in Redis: {queued} deliveries for {unique} unique delivery ids")
        figures["lost"], figures["doubled"] = max(0, unique - queued), max(0, queued - unique)
        return figures
    runs = outcome.state["check_runs"]
    per_head = Counter(r["head_sha"] for r in runs)
    published = [r for r in runs if r["conclusion"] in ("success", "failure")
                 and r["title"] != COULD_NOT_COMPLETE]
    lost = visible_failures = 0
    for number, head in outcome.finals.items():
        runs_here = [r for r in runs if r["head_sha"] == head and r["status"] == "completed"]
        comments = outcome.state["comments"].get(str(number), [])
        if any(r["title"] == COULD_NOT_COMPLETE for r in runs_here):
            visible_failures += 1  # concluded `failure` with the reason and a Re-run button
        elif not any(r in published for r in runs_here) or not comments or (
                head[:12] not in comments[-1]):
            lost += 1
    doubled = sum(1 for count in per_head.values() if count > 1) + sum(
        1 for bodies in outcome.state["comments"].values() if len(bodies) > 1)
    print(f"  all audits settled {outcome.settle_seconds:.1f} s after the last acknowledgement;"
          f" audits executed {outcome.state['created']} (check runs started); "
          f"published {outcome.logs['published']}, stale dropped {outcome.logs['stale']}, "
          f"skipped as moved on {outcome.logs['moved on']}, resumed after a kill "
          f"{outcome.logs['resumed']}, failed {outcome.logs['failed']}")
    print(f"  check runs concluded success/failure: {len(published)} for "
          f"{len(outcome.finals)} unique final heads "
          f"({len({r['head_sha'] for r in published})} distinct heads)")
    print(f"  lost {lost}   double-published {doubled}   GitHub requests "
          f"{outcome.state['requests']} (faults injected {outcome.state['injected'] or 0})")
    if visible_failures:
        print(f"  final heads concluded '{COULD_NOT_COMPLETE}' (failure, reason and Re-run "
              f"button): {visible_failures}")
    for error in Counter(outcome.errors).most_common(5):
        print(f"  error logged x{error[1]}: {error[0][:200]}")
    figures["lost"], figures["doubled"] = lost, doubled
    return figures


async def run(args: argparse.Namespace) -> int:
    # SIGTERM (e.g. `timeout`) unwinds like Ctrl-C, so every started process is stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    keys = (key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption()).decode(),
            key.public_key().public_bytes(serialization.Encoding.PEM,
                                          serialization.PublicFormat.SubjectPublicKeyInfo
                                          ).decode())
    phases = [Phase("intake", workers=0),
              Phase("clean"),
              Phase("faults", bad_gateway=0.10, rate_limited=0.02, kill_worker_at=0.3,
                    restart_redis_at=0.6),
              Phase("peer: embedded, one process", embedded=True)]
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; "
          f"{args.deliveries} deliveries at {args.rate:.0f}/s over {args.pulls} PRs, "
          f"20% redeliveries; lease {LEASE:.0f} s")
    figures = {}
    with tempfile.TemporaryDirectory(prefix="ssot-redis-load-") as scratch:
        for phase in phases:
            if args.phase and phase.name.split(":")[0] not in args.phase:
                continue
            outcome = await run_phase(phase, args, keys, Path(scratch))
            figures[phase.name] = report(phase, outcome, args.deliveries)
    if "clean" in figures and "peer: embedded, one process" in figures:
        redis_mode, peer = figures["clean"], figures["peer: embedded, one process"]
        print(f"\nRedis mode / embedded: ack p99 x{redis_mode['p99'] / peer['p99']:.2f}, "
              f"settle time x{redis_mode['settle'] / max(peer['settle'], 0.01):.2f}")
    return 1 if any(f["lost"] or f["doubled"] for f in figures.values()) else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--deliveries", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=120.0, help="deliveries per second")
    parser.add_argument("--pulls", type=int, default=40)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--phase", action="append",
                        choices=["intake", "clean", "faults", "peer"],
                        help="run only these phases (repeatable)")
    parser.add_argument("--fake-github", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--repo", help=argparse.SUPPRESS)
    parser.add_argument("--public-key", help=argparse.SUPPRESS)
    parser.add_argument("--bad-gateway", type=float, default=0.0, help=argparse.SUPPRESS)
    parser.add_argument("--rate-limited", type=float, default=0.0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.fake_github is not None:
        return serve_fake(args)
    if shutil.which("redis-server") is None:
        print("error: redis-server is not installed (apt-get install redis-server)",
              file=sys.stderr)
        return 2
    return asyncio.run(run(args))


if __name__ == "__main__":
    sys.exit(main())

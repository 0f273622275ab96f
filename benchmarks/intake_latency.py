"""Webhook intake under load, and GitHub requests per audit.

Runs `ssot-bot serve` as a real process against the fake GitHub (tests/fake_github.py)
serving a git repository built from a corpus (default: three Django packages), then:

1. Burst: 200 signed deliveries at once on loopback (synchronize events over 20 pull
   requests of 20 changed files, 10% redeliveries) while the audits they cause run;
   acknowledgement latency p50/p99/max. Peer: a bare aiohttp server that only checks
   the HMAC and answers 202, the floor for any intake, hit with the same burst.
2. Requests: GitHub requests for one audit of a 20-file pull request in a fresh process
   (cold), then for `/ssot recheck` of the same head (warm).

    .venv/bin/python benchmarks/intake_latency.py [--corpus DIR] [--deliveries 200]

With `--end-to-end GIT_CHECKOUT` (e.g. /work/corpus/sqlalchemy), instead: the whole
repository at its HEAD served by the fake GitHub, and two pull requests of 20 changed
files each (different files), audited one after the other by one `ssot-bot serve` with
a fresh facts directory: seconds from the webhook's delivery to the check run's
conclusion and to the comment and review (which wait for the fixes), cold (the first PR
indexes the repository) and warm (the second PR, sent once the first is all published:
same repository and base, it reads the shared facts store).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import hmac
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.fake_github import FakeGitHub, app_key_pair, spec_dir  # noqa: E402 - needs ROOT on the path
from tests.gitrepo import GitRepo  # noqa: E402

DEFAULT_CORPUS = Path("/work/corpus/Django-5.2")
PACKAGES = ("django/utils", "django/http", "django/core")
SECRET = "benchmark-secret"
APP_ID = "777"
FILES_PER_PR = 20


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS,
                        help=f"a source tree with {', '.join(PACKAGES)} (default {DEFAULT_CORPUS})")
    parser.add_argument("--deliveries", type=int, default=200)
    parser.add_argument("--pulls", type=int, default=20)
    parser.add_argument("--peer-server", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--end-to-end", type=Path, metavar="GIT_CHECKOUT",
                        help="webhook to concluded check on this whole repository, cold "
                        "then warm (see above)")
    parser.add_argument("--send", nargs=3, metavar=("URL", "FILE", "CONCURRENCY"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.send is not None:
        url, file, concurrency = args.send
        deliveries = [(base64.b64decode(d["body"]), d["headers"])
                      for d in map(json.loads, Path(file).read_text().splitlines())]
        print(json.dumps(asyncio.run(burst(url, deliveries, int(concurrency)))))
        return 0
    if args.peer_server is not None:
        web.run_app(peer_app(), host="127.0.0.1", port=args.peer_server, print=None,
                    access_log=None)
        return 0
    if args.end_to_end is not None:
        return asyncio.run(end_to_end(args.end_to_end))
    missing = [p for p in PACKAGES if not (args.corpus / p).is_dir()]
    if missing:
        print(f"error: {args.corpus} lacks {', '.join(missing)}; pass --corpus "
              "pointing at an unpacked Django 5.2 source tree", file=sys.stderr)
        return 2
    return asyncio.run(run(args))


# --- the peer: the least an intake can do ---------------------------------------------


def peer_app() -> web.Application:
    async def receive(request: web.Request) -> web.Response:
        body = await request.read()
        expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, request.headers.get("X-Hub-Signature-256", "")):
            return web.Response(status=401)
        json.loads(body)
        return web.Response(status=202)

    app = web.Application(client_max_size=25 * 1024 * 1024)
    app.router.add_post("/webhook", receive)
    app.router.add_get("/healthz", lambda _request: _ok())
    return app


async def _ok() -> web.Response:
    return web.Response(text="ok")


# --- setup ------------------------------------------------------------------------------


def build_repo(root: Path, corpus: Path, pulls: int) -> tuple[GitRepo, list[str]]:
    """`main` holds the corpus packages; branch `pr-N` changes 20 files of them."""
    repo = GitRepo(root)
    for package in PACKAGES:
        shutil.copytree(corpus / package, root / package)
    (root / "pyproject.toml").write_text('[project]\nname = "bench"\n\n[tool.ssot]\n')
    repo.commit("base")
    python = sorted(str(p.relative_to(root)) for p in root.rglob("*.py")
                    if p.stat().st_size > 2000)
    branches = []
    for number in range(1, pulls + 1):
        chosen = python[(number * 7) % len(python):][:FILES_PER_PR]
        chosen += python[: FILES_PER_PR - len(chosen)]
        branches.append(_pull_branch(repo, number, chosen))
    repo.git("checkout", "-q", "main")
    return repo, branches


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def wait_healthy(url: str, process: subprocess.Popen[bytes]) -> None:
    async with aiohttp.ClientSession() as session:
        for _ in range(300):
            if process.poll() is not None:
                raise SystemExit(f"server exited with {process.returncode}")
            try:
                async with session.get(f"{url}/healthz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise SystemExit("server did not start")


def start_bot(fake: FakeGitHub, private_key: str, log: Path,
              facts_dir: Path | None = None) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {**os.environ, "GITHUB_APP_ID": APP_ID, "GITHUB_PRIVATE_KEY": private_key,
           "GITHUB_WEBHOOK_SECRET": SECRET, "GITHUB_API_URL": fake.url, "PORT": str(port)}
    if facts_dir is not None:
        env["SSOT_FACTS_DIR"] = str(facts_dir)
    env.pop("SENTRY_DSN", None)
    with log.open("ab") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1"],
            cwd=ROOT, env=env, stdout=sink, stderr=sink)
    return process, f"http://127.0.0.1:{port}"


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def signed(event: str, payload: Any, delivery: str) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(payload).encode()
    digest = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    return body, {"Content-Type": "application/json", "X-GitHub-Event": event,
                  "X-GitHub-Delivery": delivery, "X-Hub-Signature-256": f"sha256={digest}"}


def burst_from_process(url: str, deliveries: list[tuple[bytes, dict[str, str]]],
                       concurrency: int, scratch: Path) -> list[float]:
    """`burst` in a process of its own, so nothing in this one (the fake GitHub) slows
    the sender's clock."""
    file = scratch / "deliveries.jsonl"
    file.write_text("\n".join(
        json.dumps({"body": base64.b64encode(body).decode(), "headers": headers})
        for body, headers in deliveries))
    done = subprocess.run([sys.executable, __file__, "--send", url, str(file), str(concurrency)],
                          capture_output=True, text=True, check=True, cwd=ROOT)
    latencies: list[float] = json.loads(done.stdout)
    return latencies


async def burst(url: str, deliveries: list[tuple[bytes, dict[str, str]]],
                concurrency: int = 0) -> list[float]:
    """Send the deliveries, all at once (`concurrency` 0) or from `concurrency`
    connections one after another; seconds from send to acknowledgement, each. All at
    once, a delivery's time includes waiting behind the others (in both processes)."""
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        async def one(body: bytes, headers: dict[str, str]) -> float:
            started = time.perf_counter()
            async with session.post(f"{url}/webhook", data=body, headers=headers) as response:
                await response.read()
                if response.status not in (200, 202):
                    raise SystemExit(f"delivery answered {response.status}")
            return time.perf_counter() - started

        if concurrency == 0:
            return list(await asyncio.gather(*(one(b, h) for b, h in deliveries)))
        todo = iter(deliveries)

        async def connection() -> list[float]:
            return [await one(body, headers) for body, headers in todo]

        timings = await asyncio.gather(*(connection() for _ in range(concurrency)))
        return [t for chunk in timings for t in chunk]


async def wait_for_audits(fake: FakeGitHub, expected_heads: set[str], limit: float) -> float:
    started = time.perf_counter()
    while time.perf_counter() - started < limit:
        done = {run.head_sha for run in fake.check_runs.values() if run.status == "completed"}
        running = [run for run in fake.check_runs.values() if run.status != "completed"]
        if expected_heads <= done and not running:
            return time.perf_counter() - started
        await asyncio.sleep(0.2)
    raise SystemExit(f"audits not finished after {limit:.0f} s")


async def wait_for_report(fake: FakeGitHub, number: int, limit: float) -> None:
    """Until pull request `number` has its sticky comment and its review (each PR of
    `_pull_branch` has findings on its lines, so it gets inline comments)."""
    started = time.perf_counter()
    while time.perf_counter() - started < limit:
        if fake.comments_on(number) and fake.reviews_on(number):
            return
        await asyncio.sleep(0.1)
    raise SystemExit(f"no comment and review on #{number} after {limit:.0f} s")


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def describe(name: str, latencies: list[float]) -> str:
    ms = [v * 1000 for v in latencies]
    return (f"{name:<28} p50 {percentile(ms, 0.50):7.1f} ms   p99 {percentile(ms, 0.99):7.1f} ms"
            f"   max {max(ms):7.1f} ms   mean {statistics.fmean(ms):6.1f} ms")


# --- the run ----------------------------------------------------------------------------


async def run(args: argparse.Namespace) -> int:
    private, public = app_key_pair()
    spec = spec_dir()
    with tempfile.TemporaryDirectory(prefix="ssot-intake-") as scratch:
        work = Path(scratch)
        setup_started = time.perf_counter()
        repo, branches = build_repo(work / "repo", args.corpus, args.pulls)
        fake = FakeGitHub(repo, app_id=APP_ID, public_key=public, spec=spec)
        for number, branch in enumerate(branches, 1):
            fake.open_pull(number, branch)
        server = FakeServer(fake)
        python_files = sum(1 for _ in (work / "repo").rglob("*.py"))
        print(f"repository: {python_files} Python files from {args.corpus} "
              f"({', '.join(PACKAGES)}); {args.pulls} PRs of {FILES_PER_PR} changed files; "
              f"setup {time.perf_counter() - setup_started:.1f} s; {os.cpu_count()} cores, "
              f"load average {os.getloadavg()[0]:.1f}")
        try:
            await requests_per_audit(fake, private, work)
            await intake_burst(fake, private, work, args)
        finally:
            server.stop()
    return 0


async def end_to_end(checkout: Path) -> int:
    """Two pull requests on the whole of `checkout`: webhook to concluded check, cold
    then warm."""
    private, public = app_key_pair()
    with tempfile.TemporaryDirectory(prefix="ssot-e2e-") as scratch:
        work = Path(scratch)
        repo = GitRepo(work / "repo")
        archive = subprocess.run(["git", "archive", "HEAD"], cwd=checkout, check=True,
                                 capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(repo.root)], input=archive, check=True)
        repo.commit("base")
        python = sorted(str(p.relative_to(repo.root)) for p in repo.root.rglob("*.py"))
        step = max(1, len(python) // FILES_PER_PR)
        for number in (1, 2):
            _pull_branch(repo, number, python[number - 1::step][:FILES_PER_PR])
        repo.git("checkout", "-q", "main")
        fake = FakeGitHub(repo, app_id=APP_ID, public_key=public, spec=spec_dir())
        for number in (1, 2):
            fake.open_pull(number, f"pr-{number}")
        server = FakeServer(fake)
        print(f"repository: {checkout} at HEAD, {len(python):,} Python files; two PRs of "
              f"{FILES_PER_PR} changed files; {os.cpu_count()} cores, load average "
              f"{os.getloadavg()[0]:.1f}")
        process, url = start_bot(fake, private, work / "bot-e2e.log", work / "facts")
        try:
            await wait_healthy(url, process)
            for number, name in ((1, "cold (first PR)"), (2, "warm (second PR)")):
                body, headers = signed("pull_request",
                                       fake.pull_request_payload(number, "opened"),
                                       str(uuid.uuid4()))
                started = time.perf_counter()
                await burst(url, [(body, headers)])
                await wait_for_audits(fake, {fake.sha(f"pr-{number}")}, 3600)
                concluded = time.perf_counter() - started
                await wait_for_report(fake, number, 3600)
                print(f"  {name}: {concluded:.1f} s webhook -> check concluded, "
                      f"{time.perf_counter() - started:.1f} s -> comment and review (with "
                      "fixes) posted", flush=True)
        finally:
            stop(process)
            server.stop()
    return 0



class FakeServer:
    """The fake GitHub on its own thread and event loop, so its git subprocesses never
    delay the benchmark's clock."""

    def __init__(self, fake: FakeGitHub) -> None:
        port = free_port()
        fake.url = f"http://127.0.0.1:{port}"
        self._loop = asyncio.new_event_loop()
        self._runner = web.AppRunner(fake.app(), access_log=None)
        started = threading.Event()

        def serve() -> None:
            asyncio.set_event_loop(self._loop)
            self._loop.run_until_complete(self._runner.setup())
            self._loop.run_until_complete(web.TCPSite(self._runner, "127.0.0.1", port).start())
            started.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=serve, daemon=True)
        self._thread.start()
        started.wait()

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()


async def requests_per_audit(fake: FakeGitHub, private: str, work: Path) -> None:
    process, url = start_bot(fake, private, work / "bot-requests.log")
    try:
        await wait_healthy(url, process)
        fake.requests.clear()
        head = fake.sha("pr-1")
        body, headers = signed("pull_request", fake.pull_request_payload(1, "opened"),
                               str(uuid.uuid4()))
        started = time.perf_counter()
        await burst(url, [(body, headers)])
        await wait_for_audits(fake, {head}, 600)
        cold_seconds = time.perf_counter() - started
        cold = list(fake.requests)
        fake.requests.clear()
        payload = fake.comment_payload(1, "/ssot recheck", fake.pulls[1].author)
        body, headers = signed("issue_comment", payload, str(uuid.uuid4()))
        started = time.perf_counter()
        await burst(url, [(body, headers)])
        while len([r for r in fake.runs_for(head) if r.status == "completed"]) < 2:
            await asyncio.sleep(0.1)
        warm_seconds = time.perf_counter() - started
        warm = list(fake.requests)
    finally:
        stop(process)
    print(f"\nGitHub requests per audit of a {FILES_PER_PR}-file PR "
          f"(fresh process, then `/ssot recheck` of the same head):")
    for name, requests, seconds in (("cold", cold, cold_seconds), ("warm", warm, warm_seconds)):
        conditional = sum(1 for r in requests if r.status == 304)
        print(f"  {name}: {len(requests):3d} requests ({conditional} answered 304 Not Modified, "
              f"free of rate limit), {seconds:.1f} s end to end")
        kinds: dict[str, int] = {}
        for request in requests:
            kind = request.method + " " + _kind(request.path)
            kinds[kind] = kinds.get(kind, 0) + 1
        print("        " + ", ".join(f"{k} x{v}" for k, v in sorted(kinds.items())))


def _kind(path: str) -> str:
    for marker in ("/access_tokens", "/check-runs", "/git/blobs/", "/contents/", "/tarball/",
                   "/_codeload/", "/files", "/reactions", "/comments", "/permission"):
        if marker in path:
            return marker.strip("/")
    return "pulls" if "/pulls/" in path else path


async def intake_burst(fake: FakeGitHub, private: str, work: Path,
                       args: argparse.Namespace) -> None:
    deliveries: list[tuple[bytes, dict[str, str]]] = []
    unique = args.deliveries - args.deliveries // 10
    for index in range(unique):
        number = index % args.pulls + 1
        deliveries.append(signed("pull_request", fake.pull_request_payload(number, "synchronize"),
                                 str(uuid.uuid4())))
    deliveries += deliveries[: args.deliveries - unique]  # redeliveries: same delivery ids
    heads = {fake.sha(f"pr-{n}") for n in range(1, args.pulls + 1)}

    fake.check_runs.clear()
    fake.requests.clear()
    process, url = start_bot(fake, private, work / "bot-burst.log")
    try:
        await wait_healthy(url, process)
        warmup = signed("pull_request", fake.pull_request_payload(1, "synchronize"), "warmup")
        await burst(url, [warmup])
        latencies = await asyncio.to_thread(burst_from_process, url, deliveries, 0, work)
        busy = sum(1 for run in fake.check_runs.values() if run.status != "completed")
        # More deliveries from 10 connections and from one, while those audits run.
        second = [signed("pull_request", fake.pull_request_payload(i % args.pulls + 1,
                                                                   "synchronize"),
                         str(uuid.uuid4())) for i in range(args.deliveries)]
        paced = await asyncio.to_thread(burst_from_process, url, second, 10, work)
        busy_sequential = sum(1 for run in fake.check_runs.values()
                              if run.status != "completed")
        sequential = await asyncio.to_thread(burst_from_process, url, second[:50], 1, work)
        drained = await wait_for_audits(fake, heads, 1800)
    finally:
        stop(process)

    peer_port = free_port()
    peer = subprocess.Popen([sys.executable, __file__, "--peer-server", str(peer_port)],
                            cwd=ROOT)
    try:
        peer_url = f"http://127.0.0.1:{peer_port}"
        await wait_healthy(peer_url, peer)
        await burst(peer_url, [warmup])
        peer_latencies = await asyncio.to_thread(burst_from_process, peer_url, deliveries, 0,
                                                 work)
        peer_paced = await asyncio.to_thread(burst_from_process, peer_url, second, 10, work)
        peer_sequential = await asyncio.to_thread(burst_from_process, peer_url, second[:50], 1,
                                                  work)
    finally:
        stop(peer)

    audits = len(fake.check_runs)
    print(f"\nBurst of {len(deliveries)} signed deliveries ({len(deliveries) - unique} "
          f"redeliveries) over {args.pulls} PRs, all sent at once on loopback:")
    print("  " + describe("ssot-bot serve", latencies))
    print("  " + describe("peer: bare HMAC + 202", peer_latencies))
    print(f"  ratio p99 ssot-bot / peer: "
          f"{percentile(latencies, 0.99) / percentile(peer_latencies, 0.99):.2f}x")
    print(f"{len(second)} more from 10 connections, {busy} audits running at the start:")
    print("  " + describe("ssot-bot serve", paced))
    print("  " + describe("peer: bare HMAC + 202", peer_paced))
    print(f"50 more from one connection, {busy_sequential} audits running at the start:")
    print("  " + describe("ssot-bot serve", sequential))
    print("  " + describe("peer: bare HMAC + 202", peer_sequential))
    print(f"  audits run: {audits} check runs for {len(heads)} unique heads "
          f"(redeliveries and repeated heads deduplicated); queue drained "
          f"{drained:.1f} s after the burst")


def _pull_branch(repo: GitRepo, number: int, paths: list[str]) -> str:
    """Branch `pr-<number>` from main: a function that swallows errors appended to each
    of `paths`, committed; the branch's name."""
    branch = f"pr-{number}"
    repo.git("checkout", "-q", "-b", branch, "main")
    for index, path in enumerate(paths):
        with (repo.root / path).open("a", encoding="utf-8") as handle:
            handle.write(f"\n\ndef added_{number}_{index}(value):\n"
                         "    try:\n        return int(value)\n"
                         "    except Exception:\n        return None\n")
    repo.commit(f"pr {number}")
    return branch


if __name__ == "__main__":
    raise SystemExit(main())


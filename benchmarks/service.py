"""Load on the decision service (issue 22), side by side with the same work done in-process.

Starts ``eligibility serve`` on 127.0.0.1 (a free port; loopback only), then runs a closed-loop client
— N keep-alive connections, each sending its next request when the last is answered — at 1, 16 and 64
connections. The client is lean, as wrk is: HTTP/1.1 written by hand on asyncio streams (uvloop's loop
when installed), each request encoded once before the run, a response read by its Content-Length and
not parsed; it shares the two cores with the server, so every request it costs is taken from the
server (its CPU ms per request are printed beside the server's). The load is on:

- ``/v1/match`` with explanations, one example profile per request (the twelve in turn), against
  ``Engine.evaluate`` + ``to_dict`` of the same twelve in-process (the same explained JSON content,
  without HTTP);
- ``/v1/decide`` with ``--batch`` JSON profiles per request, against parsing the same JSON, validating
  the profiles and deciding them in-process.

Then a soak at 16 connections (``--soak`` seconds; the server's RSS at start and end) and a reload
under load (``--reload`` seconds at 16 connections, SIGHUP to the server half-way: errors counted).
Everything is bounded: ``--seconds`` per level, ``--max-requests`` per level. The client shares the
machine's cores with the server, so the figures that mean something are the ratios to in-process: by
the wall clock, and by CPU time (the in-process CPU ms per firm against the server's CPU ms per firm at
its least over the levels), which other jobs on a shared machine move far less; with one worker and a
core of its own, the server's wall rate comes to its CPU rate, so the CPU ratio is what a quiet machine
would show.

Run: python benchmarks/service.py [--seconds 5] [--levels 1,16,64] [--batch 1000] [--soak 20] [--reload 10]
[--workers N] [--no-fast-lane]; or, to set the fast lane against FastAPI's routes alone on a noisy machine,
python benchmarks/service.py --compare-lanes [--levels 1,16] [--rounds 3] [--workers N].
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import psutil
import yaml

import eligibility as el
from eligibility.facts.profile import Profile

sys.path.insert(0, str(Path(__file__).parent))
from common import best_of, machine  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
PROFILES = ROOT / "examples" / "profiles"
AS_OF = date(2024, 6, 30)


def example_profiles() -> list[dict[str, Any]]:
    """The example profiles as JSON-ready dicts (dates and amounts as text)."""
    names = sorted(p for p in PROFILES.glob("*.yaml") if p.stem != "expected")
    return [json.loads(json.dumps(yaml.safe_load(p.read_text(encoding="utf-8")), default=str)) for p in names]


@dataclass
class Load:
    """One closed-loop run: latencies (s) of answered requests, error count, wall time."""

    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0
    server_cpu: float = 0.0  # CPU seconds the server's processes used meanwhile
    client_cpu: float = 0.0  # CPU seconds the client (this process) used meanwhile
    error_kinds: dict[str, int] = field(default_factory=dict)  # status code or exception name → count

    def row(self, name: str, conns: int, firms_per_request: int) -> str:
        n = len(self.latencies)
        rate = n / self.seconds if self.seconds else 0.0
        ordered = sorted(self.latencies) or [0.0]
        p50 = statistics.median(ordered) * 1000
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000
        cpu = self.server_cpu / n * 1000 if n else 0.0
        client = self.client_cpu / n * 1000 if n else 0.0
        return (f"| {name} | {conns} | {n} | {rate:,.1f} | {rate * firms_per_request:,.0f} | {p50:,.1f} | {p99:,.1f} "
                f"| {cpu:,.2f} | {client:,.2f} | {self.errors}{self.error_detail()} |")

    def error_detail(self) -> str:
        return f" ({', '.join(f'{k}: {v}' for k, v in sorted(self.error_kinds.items()))})" if self.error_kinds else ""

    def failed(self, kind: str) -> None:
        self.errors += 1
        self.error_kinds[kind] = self.error_kinds.get(kind, 0) + 1

    def firms_per_second(self, firms_per_request: int) -> float:
        return len(self.latencies) * firms_per_request / self.seconds if self.seconds else 0.0

    def server_ms(self) -> float:
        """The server's CPU ms per answered request (infinite when none was answered)."""
        return self.server_cpu / len(self.latencies) * 1000 if self.latencies else float("inf")


def encoded(base: str, path: str, body: bytes) -> bytes:
    """One HTTP/1.1 request, every byte of it, ready to write again and again."""
    host = base.removeprefix("http://")
    head = (f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n")
    return head.encode("ascii") + body


def _length(head: bytes) -> int:
    """The Content-Length of a response head (the service sends one with every JSON answer)."""
    at = head.lower().find(b"\r\ncontent-length:")
    if at < 0:
        raise ValueError("no Content-Length")
    return int(head[at + 17:head.index(b"\r\n", at + 2)])


async def closed_loop(base: str, path: str, bodies: list[bytes], conns: int, seconds: float, max_requests: int,
                      on_half: Callable[[], None] | None = None) -> Load:
    """``conns`` keep-alive connections each sending the next of ``bodies`` (in turn) to ``path`` as soon as
    the last is answered, for ``seconds`` or ``max_requests`` in all; ``on_half`` is called once half-way
    (a reload under load). A connection that fails is counted as an error and opened again."""
    load = Load()
    sent = 0
    requests = [encoded(base, path, b) for b in bodies]
    host, port = base.removeprefix("http://").split(":")
    start = time.perf_counter()
    end = start + seconds
    half_done = on_half is None

    async def worker() -> None:
        nonlocal sent, half_done
        reader: asyncio.StreamReader | None = None
        writer: asyncio.StreamWriter | None = None
        while time.perf_counter() < end and sent < max_requests:
            sent += 1
            if not half_done and time.perf_counter() - start > seconds / 2:
                half_done = True
                on_half()  # type: ignore[misc]
            t0 = time.perf_counter()
            try:
                async with asyncio.timeout(120):
                    if writer is None:
                        reader, writer = await asyncio.open_connection(host, int(port))
                    assert reader is not None
                    writer.write(requests[sent % len(requests)])
                    head = await reader.readuntil(b"\r\n\r\n")
                    await reader.readexactly(_length(head))
            except (OSError, EOFError, TimeoutError, ValueError, asyncio.IncompleteReadError,
                    asyncio.LimitOverrunError) as exc:
                load.failed(type(exc).__name__)
                if writer is not None:
                    writer.close()
                reader = writer = None
                continue
            status = head[9:12]
            if status == b"200":
                load.latencies.append(time.perf_counter() - t0)
            else:
                load.failed(f"HTTP {status.decode()}")
        if writer is not None:
            writer.close()

    await asyncio.gather(*(worker() for _ in range(conns)))
    load.seconds = time.perf_counter() - start
    return load


def run_loop(coroutine: Any) -> Any:
    """The client's event loop: uvloop's when installed (as the server's), else asyncio's."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coroutine)  # type: ignore[no-any-return]
    return uvloop.run(coroutine)  # type: ignore[no-any-return]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_cpu(proc: subprocess.Popen[bytes]) -> float:
    """CPU seconds (user + system) used so far by the server and its worker processes."""
    try:
        main = psutil.Process(proc.pid)
        total = 0.0
        for p in (main, *main.children(recursive=True)):
            with contextlib.suppress(psutil.NoSuchProcess):
                t = p.cpu_times()
                total += t.user + t.system
        return total
    except psutil.NoSuchProcess:
        return 0.0


def server_rss(proc: subprocess.Popen[bytes]) -> int:
    """Resident memory (bytes) of the server and its worker processes."""
    main = psutil.Process(proc.pid)
    return sum(p.memory_info().rss for p in (main, *main.children(recursive=True)))


def measured(proc: subprocess.Popen[bytes], run: Callable[[], Load]) -> Load:
    """``run()`` with the server's CPU seconds meanwhile recorded in the result."""
    before, mine = server_cpu(proc), time.process_time()
    load = run()
    load.server_cpu = server_cpu(proc) - before
    load.client_cpu = time.process_time() - mine
    return load


def start_server(data_dir: str, rules: list[str], workers: int = 1, vectorized_min: int = 0,
                 log: Path | None = None, fast_lane: bool = True) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    args = [sys.executable, "-m", "eligibility.cli", "serve", "--host", "127.0.0.1", "--port", str(port),
            "--data-dir", data_dir, "--workers", str(workers), *(a for r in rules for a in ("--rules", r))]
    env = {**os.environ, "ELIGIBILITY_MAX_BODY_BYTES": str(64 * 2**20), "ELIGIBILITY_REQUEST_TIMEOUT": "120",
           "ELIGIBILITY_VECTORIZED_MIN_PROFILES": str(vectorized_min), "ELIGIBILITY_FAST_LANE": str(fast_lane).lower()}
    sink = log.open("ab") if log is not None else subprocess.DEVNULL
    proc = subprocess.Popen(args, stdout=sink, stderr=sink, env=env)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/readyz").status_code == 200:
                return proc, base
        except httpx.TransportError:
            time.sleep(0.3)
    proc.kill()
    raise SystemExit("the server did not start")


@dataclass
class InProcess:
    """Firms/s of the same work done in-process (best of 5 each), and CPU ms per firm where noted."""

    explained: float  # evaluate + to_dict of validated profiles (their facts cached): the JSON content of /v1/match
    explained_cpu_ms: float  # CPU ms per firm of explained
    explained_json: float  # the same from each request's JSON: parse, validate, evaluate, to_dict
    explained_json_cpu_ms: float  # CPU ms per firm of explained_json
    evaluated: float  # evaluate alone (traces, no rendering)
    decided: float  # compiled decision of validated profiles
    decided_json: float  # the /v1/decide body: parse, validate, decide
    decided_json_cpu_ms: float  # CPU ms per firm of decided_json

    def best(self, other: InProcess) -> InProcess:
        """The better of two measurements, figure by figure (the machine is noisy)."""
        return InProcess(*(min(a, b) if name.endswith("_ms") else max(a, b)
                           for name, a, b in zip(vars(self), vars(self).values(), vars(other).values())))


def in_process(profiles: list[dict[str, Any]], match_bodies: list[bytes], batch_body: bytes, batch: int) -> InProcess:
    engine = el.Engine(el.load_rules(tests=False))
    validated = [Profile.from_data(p) for p in profiles]
    for p in validated:  # warm the caches, as a running server has
        engine.evaluate(p, AS_OF).to_dict("zh")
    explained = best_of(lambda: [engine.evaluate(p, AS_OF).to_dict("zh") for p in validated], 5)
    explained_cpu = best_of(lambda: [engine.evaluate(p, AS_OF).to_dict("zh") for p in validated], 5,
                            clock=time.process_time)

    def explain_json() -> None:
        for body in match_bodies:
            engine.evaluate(Profile.model_validate(json.loads(body)["profile"]), AS_OF).to_dict("zh")

    explained_json = best_of(explain_json, 5)
    explained_json_cpu = best_of(explain_json, 5, clock=time.process_time)
    evaluated = best_of(lambda: [engine.evaluate(p, AS_OF) for p in validated], 5)
    decide = engine.decider(AS_OF)
    decided = best_of(lambda: [decide(p) for p in validated * 20], 5)

    def from_json() -> None:
        data = json.loads(batch_body)
        for p in data["profiles"]:
            decide(Profile.model_validate(p))

    parsed = best_of(from_json, 5)
    parsed_cpu = best_of(from_json, 5, clock=time.process_time)
    n = len(validated)
    return InProcess(n / explained, explained_cpu / n * 1000, len(match_bodies) / explained_json,
                     explained_json_cpu / len(match_bodies) * 1000, n / evaluated, 20 * n / decided, batch / parsed,
                     parsed_cpu / batch * 1000)


def describe(figures: InProcess) -> str:
    return (f"explained (evaluate + to_dict) {figures.explained:,.0f} firms/s ({figures.explained_cpu_ms:.2f} CPU ms"
            f" each) · the same from each request's JSON"
            f" {figures.explained_json:,.0f} ({figures.explained_json_cpu_ms:.2f} CPU ms each) · evaluate alone"
            f" {figures.evaluated:,.0f} · decided {figures.decided:,.0f} · JSON → validate → decide"
            f" {figures.decided_json:,.0f} firms/s ({figures.decided_json_cpu_ms * 1000:,.0f} CPU ms per 1,000)")


def asgi_costs(match_bodies: list[bytes], rounds: int = 7) -> tuple[float, float, float]:
    """CPU ms per ``/v1/match`` request with no socket and no client: the application called as an ASGI app
    in this process with the fast lane and without it, and the in-process work alone (parse, validate,
    evaluate, to_dict), taking turns, best of ``rounds`` each. The access log is written (to the null
    device), as a server writes it."""
    from eligibility.service import ServiceSettings, create_app
    from eligibility.service.middleware import configure_logging

    configure_logging()
    for handler in logging.getLogger("eligibility").handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(open(os.devnull, "w", encoding="utf-8"))  # noqa: SIM115 - kept for the run
    apps = []
    folders = [tempfile.TemporaryDirectory(prefix="eligibility-bench-") for _ in range(2)]
    for fast, folder in zip((True, False), folders):
        apps.append(create_app(ServiceSettings(data_dir=folder.name, fast_lane=fast)))
    engine = el.Engine(el.load_rules(tests=False))

    async def call(app: Any, body: bytes) -> None:
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
                 "scheme": "http", "path": "/v1/match", "raw_path": b"/v1/match", "query_string": b"",
                 "root_path": "", "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 8000),
                 "headers": [(b"host", b"127.0.0.1"), (b"content-type", b"application/json"),
                             (b"content-length", str(len(body)).encode())]}
        messages = [{"type": "http.request", "body": body, "more_body": False}]
        status = []

        async def receive() -> dict[str, Any]:
            if messages:
                return messages.pop()
            await asyncio.sleep(3600)
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])

        await app(scope, receive, send)
        assert status == [200], status

    async def run() -> tuple[float, float, float]:
        def work() -> None:
            for body in match_bodies:
                engine.evaluate(Profile.model_validate(json.loads(body)["profile"]), AS_OF).to_dict("zh")

        async def served(app: Any) -> float:
            t0 = time.process_time()
            for body in match_bodies:
                await call(app, body)
            return time.process_time() - t0

        for app in apps:
            await served(app)  # warm: the middleware stack is built on the first request
        work()
        best = [float("inf")] * 3
        for _ in range(rounds):
            best[0] = min(best[0], await served(apps[0]))
            best[1] = min(best[1], await served(apps[1]))
            t0 = time.process_time()
            work()
            best[2] = min(best[2], time.process_time() - t0)
        return best[0], best[1], best[2]

    try:
        costs = run_loop(run())
    finally:
        for folder in folders:
            folder.cleanup()
    n = len(match_bodies)
    return costs[0] / n * 1000, costs[1] / n * 1000, costs[2] / n * 1000


def in_process_cpu(match_bodies: list[bytes], rounds: int = 3) -> tuple[float, float]:
    """Firms/s (wall) and CPU ms per firm of the in-process work of one ``/v1/match`` request (parse,
    validate, evaluate, to_dict), best of ``rounds`` passes over the bodies each."""
    engine = el.Engine(el.load_rules(tests=False))

    def explain_json() -> None:
        for body in match_bodies:
            engine.evaluate(Profile.model_validate(json.loads(body)["profile"]), AS_OF).to_dict("zh")

    explain_json()
    wall = best_of(explain_json, rounds)
    return len(match_bodies) / wall, best_of(explain_json, rounds, clock=time.process_time) / len(match_bodies) * 1000


def compare_lanes(args: argparse.Namespace, match_bodies: list[bytes], levels: list[int]) -> None:
    """``/v1/match`` on two servers at once, the fast lane on and off, taking turns level by level and
    round by round with the in-process work, so that all three see the same neighbours; CPU ms per firm
    beside the wall figures (a shared machine moves the wall clock far more)."""
    with tempfile.TemporaryDirectory(prefix="eligibility-bench-") as on_dir, \
            tempfile.TemporaryDirectory(prefix="eligibility-bench-") as off_dir:
        servers = {lane: start_server(folder, args.rules, args.workers, 0, args.server_log, lane == "on")
                   for lane, folder in (("on", on_dir), ("off", off_dir))}
        print(f"servers: fast lane on and off, {args.workers} worker(s) each; client: hand-written HTTP/1.1 on"
              " asyncio streams")
        print("| round | connections | in-process firms/s · CPU ms/firm | fast lane: req/s · p50 · p99 ms · server CPU ms/req"
              " | routes only: req/s · p50 · p99 ms · server CPU ms/req | wall: req/s ÷ in-process firms/s (on · off)"
              " | CPU: in-process ÷ server ms (on · off) |")
        print("|---|---|---|---|---|---|---|")
        try:
            for round_no in range(1, args.rounds + 1):
                for conns in levels:
                    rate, cpu = in_process_cpu(match_bodies)
                    cells = []
                    per_request = []
                    rates = []
                    for lane in ("on", "off"):
                        proc, base = servers[lane]
                        load = measured(proc, lambda: run_loop(closed_loop(base, "/v1/match", match_bodies, conns,
                                                                              args.seconds, args.max_requests)))
                        n = len(load.latencies)
                        ordered = sorted(load.latencies) or [0.0]
                        server_ms = load.server_cpu / n * 1000 if n else float("nan")
                        per_request.append(server_ms)
                        rates.append(n / load.seconds)
                        cells.append(f"{n / load.seconds:,.1f} · {statistics.median(ordered) * 1000:,.1f} · "
                                     f"{ordered[min(n - 1, int(n * 0.99))] * 1000 if n else 0:,.1f} · {server_ms:.2f}"
                                     + (f" ({load.errors} errors)" if load.errors else ""))
                    print(f"| {round_no} | {conns} | {rate:,.0f} · {cpu:.2f} | {cells[0]} | {cells[1]} | "
                          f"{rates[0] / rate:.0%} · {rates[1] / rate:.0%} | "
                          f"{cpu / per_request[0]:.0%} · {cpu / per_request[1]:.0%} |")
        finally:
            for proc, _ in servers.values():
                proc.send_signal(signal.SIGTERM)
            for proc, _ in servers.values():
                try:
                    proc.wait(30)
                except subprocess.TimeoutExpired:
                    proc.kill()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=5.0, help="seconds per load level")
    ap.add_argument("--levels", default="1,16,64", help="concurrent connections, comma-separated")
    ap.add_argument("--batch", type=int, default=1000, help="profiles per /v1/decide request")
    ap.add_argument("--max-requests", type=int, default=20_000, help="bound on requests per level")
    ap.add_argument("--soak", type=float, default=20.0, help="soak seconds at 16 connections (0: skip)")
    ap.add_argument("--reload", type=float, default=10.0, help="seconds of load with a SIGHUP half-way (0: skip)")
    ap.add_argument("--rules", action="append", default=[], help="rule packs (default: all bundled)")
    ap.add_argument("--workers", type=int, default=1, help="server worker processes")
    ap.add_argument("--server-log", type=Path, help="append the server's output (JSON log lines) to this file")
    ap.add_argument("--vectorized-min", type=int, default=0,
                    help="the server decides /v1/decide requests of at least this many profiles vectorized (0: never)")
    ap.add_argument("--no-fast-lane", action="store_true",
                    help="every request through FastAPI's routes (the server's fast_lane setting off), to compare")
    ap.add_argument("--compare-lanes", action="store_true",
                    help="only /v1/match, on a server with the fast lane and one without, taking turns (--rounds)")
    ap.add_argument("--rounds", type=int, default=3, help="rounds of --compare-lanes")
    args = ap.parse_args()
    levels = [int(x) for x in args.levels.split(",")]

    profiles = example_profiles()
    match_bodies = [json.dumps({"profile": p, "as_of": AS_OF.isoformat(), "explain": True}).encode() for p in profiles]
    firms = [profiles[i % len(profiles)] for i in range(args.batch)]
    batch_body = json.dumps({"profiles": firms, "as_of": AS_OF.isoformat()}).encode()

    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    print(f"# eligibility {el.__version__} service load · {machine()} · {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
          f" · load average {load}")
    fast, routes, work = asgi_costs(match_bodies)
    print(f"no socket (the application called in this process, CPU ms per /v1/match request, best of 7): fast lane"
          f" {fast:.2f} · routes only {routes:.2f} · the work alone {work:.2f} (parse, validate, evaluate, to_dict)"
          f" → HTTP application overhead {fast - work:.2f} vs {routes - work:.2f} ms")
    if args.compare_lanes:
        compare_lanes(args, match_bodies, levels)
        return
    figures = in_process(profiles, match_bodies, batch_body, args.batch)
    print(f"in-process (best of 5): {describe(figures)}")

    with tempfile.TemporaryDirectory(prefix="eligibility-bench-") as data_dir:
        proc, base = start_server(data_dir, args.rules, args.workers, args.vectorized_min, args.server_log,
                                  not args.no_fast_lane)
        print(f"server: {args.workers} worker(s), vectorized /v1/decide from {args.vectorized_min or 'never'} profiles,"
              f" fast lane {'off' if args.no_fast_lane else 'on'}; client: hand-written HTTP/1.1 on asyncio streams")
        try:
            print("| endpoint | connections | requests | req/s | firms/s | p50 ms | p99 ms | server CPU ms/req"
                  " | client CPU ms/req | errors |")
            print("|---|---|---|---|---|---|---|---|---|---|")
            best_match = best_decide = 0.0
            cpu_match = cpu_decide = float("inf")  # the server's least CPU ms per request, over the levels
            for conns in levels:
                load = measured(proc, lambda: run_loop(closed_loop(base, "/v1/match", match_bodies, conns,
                                                                      args.seconds, args.max_requests)))
                print(load.row("/v1/match explained", conns, 1))
                best_match = max(best_match, load.firms_per_second(1))
                cpu_match = min(cpu_match, load.server_ms())
            for conns in levels:
                load = measured(proc, lambda: run_loop(closed_loop(base, "/v1/decide", [batch_body], conns,
                                                                      args.seconds,
                                                                      max(1, args.max_requests // args.batch))))
                print(load.row(f"/v1/decide ×{args.batch}", conns, args.batch))
                best_decide = max(best_decide, load.firms_per_second(args.batch))
                cpu_decide = min(cpu_decide, load.server_ms())
            again = in_process(profiles, match_bodies, batch_body, args.batch)
            print(f"in-process again: {describe(again)}")
            best = figures.best(again)  # the machine is noisy: the better of before and after
            print(f"ratio of the best service figure to the best in-process one: match explained"
                  f" {best_match / best.explained:.0%} of evaluate + to_dict ({best_match / best.explained_json:.0%}"
                  f" of the same from JSON) · decide from JSON {best_decide / best.decided_json:.0%}")
            print(f"the same by CPU time (in-process CPU ms per firm ÷ the server's per firm; the client's own"
                  f" not counted): match explained {best.explained_cpu_ms / cpu_match:.0%} of evaluate + to_dict"
                  f" ({best.explained_json_cpu_ms / cpu_match:.0%} of the same from JSON) · decide from JSON"
                  f" {best.decided_json_cpu_ms / (cpu_decide / args.batch):.0%}")
            if args.soak:
                rss0 = server_rss(proc)
                load = measured(proc, lambda: run_loop(closed_loop(base, "/v1/match", match_bodies, 16, args.soak,
                                                                      10**9)))
                rss1 = server_rss(proc)
                print(load.row(f"soak {args.soak:g} s /v1/match", 16, 1) +
                      f" RSS {rss0 / 2**20:,.0f} → {rss1 / 2**20:,.0f} MiB ({(rss1 - rss0) / rss0:+.1%})")
            if args.reload:
                load = measured(proc, lambda: run_loop(closed_loop(
                    base, "/v1/match", match_bodies, 16, args.reload, 10**9,
                    on_half=lambda: proc.send_signal(signal.SIGHUP))))
                print(load.row(f"reload under load {args.reload:g} s", 16, 1))
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()


if __name__ == "__main__":
    main()

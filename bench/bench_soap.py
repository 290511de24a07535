"""Throughput and latency of ``rechercherInsAvecTraitsIdentite``, simulator against a bare baseline.

Two servers, each in its own process, built with the same ``simulator.server.make_server`` call (same
waitress settings, same thread count):

* ``simulator`` — the real application (``create_app``), answering the ADRUN ZOE F 1975-12-31 search (CR 00);
* ``baseline`` — a bare WSGI app that reads the same request, parses it with a hardened lxml parser and
  returns the simulator's answer, captured once at start-up, byte for byte.

Load comes from separate client processes (threads inside them, one keep-alive ``http.client`` connection
per simulated client), at 1, 8 and 32 concurrent clients, in interleaved rounds so that drift of a shared
machine hits both servers alike. Only ratios measured in one run mean anything. Never a test: nothing is
asserted on time. Usage and how to read the output: ``bench/README.md``.

    .venv/bin/python bench/bench_soap.py              # ~45 s, table + bench/results/latest.json
    .venv/bin/python bench/bench_soap.py --profile    # + cProfile of the simulator at 8 clients
"""

from __future__ import annotations

import argparse
import array
import cProfile
import http.client
import io
import itertools
import json
import logging
import multiprocessing as mp
import os
import platform
import pstats
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
if str(REPO) not in sys.path:  # run as a script: make ``simulator`` and ``tests`` importable
    sys.path.insert(0, str(REPO))

HOST = "127.0.0.1"  # the only address this benchmark ever talks to
PATH = "/lps"
TARGETS = ("baseline", "simulator")
TARGET_RATIO = 0.5  # simulator req/s / baseline req/s at 8 clients (reported, not asserted)
TARGET_P99_MS = 20.0  # simulator p99 at 8 clients (reported, not asserted)
PROFILE_CLIENTS = 8
PIPE_TIMEOUT = 60.0  # longest wait for any answer of a helper process, beyond the planned run time
MAX_ERRORS_PER_CLIENT = 50


# -- servers (each in its own process) ----------------------------------------


class BaselineApp:
    """The least a SOAP endpoint can do: read the body, parse it safely, answer fixed bytes."""

    def __init__(self, answer: bytes, content_type: str, max_body_bytes: int):
        from lxml import etree

        self.etree = etree
        self.answer = answer
        self.headers = [("Content-Type", content_type), ("Content-Length", str(len(answer)))]
        self.max_body_bytes = max_body_bytes
        self.body_tag = "{http://www.w3.org/2003/05/soap-envelope}Body"

    def _plain(self, start_response, status: str) -> list[bytes]:
        start_response(status, [("Content-Type", "text/plain"), ("Content-Length", "0")])
        return [b""]

    def __call__(self, environ, start_response):
        if environ.get("REQUEST_METHOD") != "POST":
            return self._plain(start_response, "405 Method Not Allowed")
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = -1
        if not 0 <= length <= self.max_body_bytes:
            return self._plain(start_response, "413 Payload Too Large")
        data = environ["wsgi.input"].read(length)
        # A parser per request, as the simulator does (lxml parsers are not thread-safe).
        parser = self.etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
        try:
            root = self.etree.fromstring(data, parser=parser)
        except self.etree.XMLSyntaxError:
            return self._plain(start_response, "400 Bad Request")
        body = root.find(self.body_tag)
        if body is None or len(body) == 0:
            return self._plain(start_response, "400 Bad Request")
        start_response("200 OK", list(self.headers))
        return [self.answer]


class Instrumented:
    """Wraps either app (so both pay the same wrapper); profiles WSGI calls when asked.

    cProfile only sees the thread that enabled it, so each waitress worker thread gets its own profiler
    (timer: the thread's CPU time, so time spent waiting for the GIL is not charged to the function that
    waited); the stats of all threads are merged when profiling stops.
    """

    def __init__(self, app, settings):
        self.app = app
        self.settings = settings  # make_server() reads settings.max_body_bytes
        self.profiling = False
        self._generation = 0
        self._local = threading.local()
        self._profilers: list[cProfile.Profile] = []
        self._lock = threading.Lock()
        self._calls = itertools.count()

    def __call__(self, environ, start_response):
        if not self.profiling:
            return self.app(environ, start_response)
        profiler = self._profiler()
        next(self._calls)
        profiler.enable()
        try:
            return list(self.app(environ, start_response))
        finally:
            profiler.disable()

    def _profiler(self) -> cProfile.Profile:
        mine = getattr(self._local, "profiler", None)
        if mine is None or mine[0] != self._generation:
            mine = (self._generation, cProfile.Profile(time.thread_time))
            self._local.profiler = mine
            with self._lock:
                self._profilers.append(mine[1])
        return mine[1]

    def start_profiling(self) -> None:
        with self._lock:
            self._generation += 1
            self._profilers = []
            self._calls = itertools.count()
        self.profiling = True

    def stop_profiling(self, dump_path: str | None, top: int) -> dict:
        self.profiling = False
        time.sleep(0.2)  # let a request still inside a profiled call finish
        with self._lock:
            profilers, calls = list(self._profilers), next(self._calls)
        if not profilers:
            return {"requests": 0, "text": "no request was profiled\n"}
        stats = pstats.Stats(*profilers, stream=io.StringIO())
        if dump_path:
            stats.dump_stats(dump_path)
        out = io.StringIO()
        stats.stream = out
        print(f"{calls} WSGI calls profiled in {len(profilers)} worker threads (timer: thread CPU time)\n", file=out)
        print(f"--- top {top} by cumulative time ---", file=out)
        stats.sort_stats("cumulative").print_stats(top)
        print("--- top 15 by own time (tottime) ---", file=out)
        stats.sort_stats("tottime").print_stats(15)
        text = out.getvalue()
        paths = sysconfig.get_paths()
        for prefix in sorted({paths["purelib"], paths["stdlib"], str(REPO)}, key=len, reverse=True):
            text = text.replace(prefix + os.sep, "")
        return {"requests": calls, "threads": len(profilers), "total_tt": stats.total_tt, "text": text}


def _quiet_logging(request_log: bool) -> None:
    """Logging as ``insi-harness serve`` sets it up, written to the null device instead of the console."""
    from simulator.server import configure_logging

    configure_logging(False)
    sink = open(os.devnull, "w")  # noqa: SIM115 — open for the life of the process
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(sink)
    if not request_log:
        logging.getLogger("insi").setLevel(logging.WARNING)


def serve(app, conn, threads: int, commands: dict) -> None:
    """Serve ``app`` on a free port, tell the parent which, answer its ``commands`` until told to stop.

    ``commands`` maps a command name to a function of the command's arguments whose result is sent back;
    an unknown command is ignored.
    """
    from simulator.server import make_server

    server = make_server(app, HOST, 0, threads)
    runner = threading.Thread(target=server.run, name="waitress", daemon=True)
    runner.start()
    conn.send(("ready", server.effective_port, os.getpid()))
    try:
        while conn.poll(3600):  # bounded: a forgotten server stops after an hour idle
            try:
                command, *args = conn.recv()
            except EOFError:
                break
            if command == "stop":
                break
            if command in commands:
                conn.send(commands[command](*args))
    finally:
        server.close()
        runner.join(timeout=5)


def server_process(kind: str, conn, threads: int, answer: bytes | None, content_type: str, request_log: bool):
    """Entry point of a server process: build the app, serve it, obey the parent's commands."""
    from simulator.app import create_app
    from simulator.config import Settings

    _quiet_logging(request_log)
    with tempfile.TemporaryDirectory(prefix="insi-bench-") as tmp:
        settings = Settings(data_dir=Path(tmp) / "data")
        if kind == "simulator":
            simulator = create_app(settings)
            app = Instrumented(simulator, simulator.settings)
        else:
            app = Instrumented(BaselineApp(answer, content_type, settings.max_body_bytes), settings)

        def profile_on() -> bool:
            app.start_profiling()
            return True

        commands = {"cpu": time.process_time, "profile_on": profile_on, "profile_off": app.stop_profiling}
        try:
            serve(app, conn, threads, commands)
        finally:
            conn.close()


@dataclass
class ServerHandle:
    kind: str
    process: mp.Process
    conn: object
    port: int

    def ask(self, *message, timeout: float = PIPE_TIMEOUT):
        self.conn.send(message)
        if not self.conn.poll(timeout):
            raise RuntimeError(f"{self.kind} server did not answer {message[0]!r} within {timeout:.0f} s")
        return self.conn.recv()

    def stop(self) -> None:
        try:
            self.conn.send(("stop",))
        except (OSError, ValueError):
            pass
        self.process.join(timeout=10)
        if self.process.is_alive():
            self.process.terminate()  # our own child, by its handle
            self.process.join(timeout=5)


def start_server(ctx, kind: str, target, *args) -> ServerHandle:
    """A server process running ``target(kind, conn, *args)``, once it has said it is ready."""
    parent, child = ctx.Pipe()
    process = ctx.Process(target=target, args=(kind, child, *args), name=f"bench-{kind}", daemon=True)
    process.start()
    child.close()
    if not parent.poll(PIPE_TIMEOUT):
        process.terminate()  # our own child, by its handle
        raise RuntimeError(f"the {kind} server did not start within {PIPE_TIMEOUT:.0f} s")
    _, port, _pid = parent.recv()
    return ServerHandle(kind, process, parent, port)


# -- clients (separate processes, a thread per simulated client) -------------


def _client_thread(job: dict, next_body: Callable[[], bytes], expected: bytes, barrier, go, plan: dict, out: list):
    headers = {"Content-Type": job["content_type"]}
    conn = http.client.HTTPConnection(HOST, job["port"], timeout=job["timeout"])
    latencies = array.array("d")
    ok = errors = mismatches = reconnects = 0

    def one() -> tuple[int, bytes, bool]:
        conn.request("POST", PATH, next_body(), headers)
        response = conn.getresponse()
        return response.status, response.read(), response.will_close

    try:
        for _ in range(job["warmup_requests"]):
            try:
                one()
            except (OSError, http.client.HTTPException):
                conn.close()
        barrier.wait(timeout=PIPE_TIMEOUT)
        if not go.wait(timeout=PIPE_TIMEOUT):
            return
        deadline, limit = plan["deadline"], plan["max_requests"]
        perf_counter = time.perf_counter
        t_start = perf_counter()
        for _ in range(limit):  # bounded in count, and in time by the deadline
            t0 = perf_counter()
            if t0 >= deadline:
                break
            try:
                status, data, will_close = one()
            except (OSError, http.client.HTTPException):
                conn.close()
                errors += 1
                if errors >= MAX_ERRORS_PER_CLIENT:
                    break
                continue
            elapsed = perf_counter() - t0
            if will_close:
                reconnects += 1  # the server refused keep-alive: the next request opens a connection
            if status != 200:
                errors += 1
                if errors >= MAX_ERRORS_PER_CLIENT:
                    break
            elif data != expected:
                mismatches += 1
            else:
                ok += 1
                latencies.append(elapsed)
        t_end = perf_counter()
        out.append(
            {
                "ok": ok,
                "errors": errors,
                "mismatches": mismatches,
                "reconnects": reconnects,
                "start": t_start,
                "end": t_end,
                "latencies": latencies,
            }
        )
    except Exception as error:  # noqa: BLE001 — reported to the parent, never swallowed
        out.append({"failure": repr(error)})
    finally:
        conn.close()


def _run_client_job(conn, job: dict, next_body: Callable[[], bytes], expected: bytes) -> dict:
    clients = job["clients"]
    barrier = threading.Barrier(clients + 1)
    go = threading.Event()
    plan: dict = {}
    out: list = []
    threads = [
        threading.Thread(target=_client_thread, args=(job, next_body, expected, barrier, go, plan, out), daemon=True)
        for _ in range(clients)
    ]
    for thread in threads:
        thread.start()
    try:
        barrier.wait(timeout=PIPE_TIMEOUT)  # every connection open and warmed up
    except threading.BrokenBarrierError:
        return {"failure": "client threads did not get ready (warm-up failed?)"}
    conn.send("ready")
    if not conn.poll(PIPE_TIMEOUT) or conn.recv() != "go":
        return {"failure": "no go from the parent"}
    cpu0 = time.process_time()
    now = time.perf_counter()
    plan["deadline"] = now + (job["duration"] if job["duration"] else job["time_cap"])
    plan["max_requests"] = job["requests"] if job["requests"] else job["max_requests"]
    go.set()
    for thread in threads:
        thread.join(timeout=(plan["deadline"] - now) + job["timeout"] + 5)
    cpu = time.process_time() - cpu0
    failures = [entry["failure"] for entry in out if "failure" in entry]
    if failures or len(out) != clients:
        return {"failure": f"{clients - len(out)} client threads hung; failures: {failures[:3]}"}
    merged = array.array("d")
    for entry in out:
        merged.extend(entry["latencies"])
    return {
        "ok": sum(entry["ok"] for entry in out),
        "errors": sum(entry["errors"] for entry in out),
        "mismatches": sum(entry["mismatches"] for entry in out),
        "reconnects": sum(entry["reconnects"] for entry in out),
        "span": max(entry["end"] for entry in out) - min(entry["start"] for entry in out),
        "cpu": cpu,
        "latencies": merged.tobytes(),
    }


def client_process(conn, body: bytes, expected: bytes):
    """Entry point of a load-generating process: the same ``body`` for every request."""
    run_client_jobs(conn, lambda _job: itertools.repeat(body).__next__, expected)


def run_client_jobs(conn, bodies: Callable[[dict], Callable[[], bytes]], expected: bytes) -> None:
    """Run the jobs the parent sends, until told to stop; ``bodies(job)`` gives the job's request bodies.

    The body supplier is shared by the job's client threads, each calling it once per request.
    """
    while conn.poll(3600):  # bounded: a forgotten client process stops after an hour idle
        try:
            job = conn.recv()
        except EOFError:
            break
        if job is None:
            break
        conn.send(_run_client_job(conn, job, bodies(job), expected))
    conn.close()


class ClientPool:
    """Load-generating processes, each running ``target(conn, body, expected)`` (by default ``client_process``)."""

    def __init__(self, ctx, processes: int, body, expected: bytes, target=client_process):
        self.workers = []
        for index in range(processes):
            parent, child = ctx.Pipe()
            process = ctx.Process(target=target, args=(child, body, expected), name=f"bench-client-{index}")
            process.daemon = True
            process.start()
            child.close()
            self.workers.append((process, parent))

    def run(self, server: ServerHandle, clients: int, settings: dict) -> dict:
        """One measured job: ``clients`` connections spread over the client processes."""
        used = self.workers[: min(clients, len(self.workers))]
        shares = [clients // len(used) + (1 if i < clients % len(used) else 0) for i in range(len(used))]
        planned = settings["duration"] or settings["time_cap"]
        for (_, conn), share in zip(used, shares, strict=True):
            conn.send({**settings, "clients": share, "port": server.port})
        for (_, conn), _share in zip(used, shares, strict=True):
            if not conn.poll(PIPE_TIMEOUT):
                raise RuntimeError("a client process did not get ready")
            answer = conn.recv()
            if answer != "ready":
                raise RuntimeError(f"client process failed before the run: {answer}")
        cpu0 = server.ask("cpu")
        for _, conn in used:
            conn.send("go")
        results = []
        for _, conn in used:
            if not conn.poll(planned + PIPE_TIMEOUT):
                raise RuntimeError("a client process did not report within its time budget")
            results.append(conn.recv())
        server_cpu = server.ask("cpu") - cpu0
        failures = [r["failure"] for r in results if "failure" in r]
        if failures:
            raise RuntimeError(f"client failure: {failures[0]}")
        latencies = array.array("d")
        for r in results:
            latencies.frombytes(r["latencies"])
        span = max(r["span"] for r in results)  # the processes start within a pipe round trip of each other
        return {
            "ok": sum(r["ok"] for r in results),
            "errors": sum(r["errors"] for r in results),
            "mismatches": sum(r["mismatches"] for r in results),
            "reconnects": sum(r["reconnects"] for r in results),
            "span": span,
            "server_cpu": server_cpu,
            "client_cpu": sum(r["cpu"] for r in results),
            "latencies": latencies,
        }

    def close(self) -> None:
        for _process, conn in self.workers:
            try:
                conn.send(None)
            except (OSError, ValueError):
                pass
        for process, conn in self.workers:
            process.join(timeout=10)
            if process.is_alive():
                process.terminate()  # our own child, by its handle
                process.join(timeout=5)
            conn.close()


# -- measuring ------------------------------------------------------------------


def percentile(sorted_values, fraction: float) -> float | None:
    """Nearest-rank percentile of an already sorted sequence."""
    if not sorted_values:
        return None
    rank = max(1, min(len(sorted_values), round(fraction * len(sorted_values) + 0.5)))
    return sorted_values[rank - 1]


@dataclass
class Cell:
    """All rounds of one (server, clients) pair."""

    ok: int = 0
    errors: int = 0
    mismatches: int = 0
    reconnects: int = 0
    span: float = 0.0
    server_cpu: float = 0.0
    client_cpu: float = 0.0
    latencies: array.array = field(default_factory=lambda: array.array("d"))
    round_rps: list[float] = field(default_factory=list)

    def add(self, job: dict) -> None:
        for name in ("ok", "errors", "mismatches", "reconnects", "span", "server_cpu", "client_cpu"):
            setattr(self, name, getattr(self, name) + job[name])
        self.latencies.extend(job["latencies"])
        self.round_rps.append(job["ok"] / job["span"] if job["span"] > 0 else 0.0)

    def summary(self) -> dict:
        ordered = sorted(self.latencies)
        ms = lambda value: None if value is None else round(value * 1000, 3)  # noqa: E731
        return {
            "requests_ok": self.ok,
            "errors": self.errors,
            "mismatches": self.mismatches,
            "reconnects": self.reconnects,
            "seconds": round(self.span, 3),
            "rps": round(self.ok / self.span, 1) if self.span > 0 else 0.0,
            "rps_rounds": [round(v, 1) for v in self.round_rps],
            "p50_ms": ms(percentile(ordered, 0.50)),
            "p90_ms": ms(percentile(ordered, 0.90)),
            "p99_ms": ms(percentile(ordered, 0.99)),
            "max_ms": ms(ordered[-1] if ordered else None),
            "server_cpu_ms_per_request": round(self.server_cpu * 1000 / self.ok, 3) if self.ok else None,
            "server_cpu_utilisation": round(self.server_cpu / self.span, 2) if self.span > 0 else None,
            "client_cpu_utilisation": round(self.client_cpu / self.span, 2) if self.span > 0 else None,
        }


def capture_answer(port: int, body: bytes, content_type: str) -> tuple[bytes, str]:
    """The simulator's answer to the benchmark request, checked to be the expected CR 00, and stable."""
    from tests.soap_helpers import parse_resultat

    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        answers = []
        for _ in range(2):
            conn.request("POST", PATH, body, {"Content-Type": content_type})
            response = conn.getresponse()
            answers.append((response.status, response.read(), response.getheader("Content-Type")))
    finally:
        conn.close()
    (status, data, answer_type), (_, again, _) = answers
    if status != 200:
        raise RuntimeError(f"the simulator answered HTTP {status}: {data[:300]!r}")
    resultat = parse_resultat(data)
    if (resultat.code_cr, resultat.ins.num if resultat.ins else None) != ("00", "2751263220749"):
        raise RuntimeError(f"unexpected answer for ADRUN ZOE: CR {resultat.code_cr}")
    if again != data:
        raise RuntimeError("the simulator's answer differs between two identical requests; byte check impossible")
    return data, answer_type


def check_baseline(port: int, body: bytes, content_type: str, expected: bytes, expected_type: str) -> None:
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        conn.request("POST", PATH, body, {"Content-Type": content_type})
        response = conn.getresponse()
        data = response.read()
    finally:
        conn.close()
    if response.status != 200 or data != expected or response.getheader("Content-Type") != expected_type:
        raise RuntimeError(f"the baseline does not answer the simulator's bytes (HTTP {response.status})")


def git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.decode().strip() or None


def versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    found = {}
    for name in ("spyne", "lxml", "waitress"):
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = None
    return found


def run_info() -> dict:
    """When, at which commit and on which machine: the head of a JSON report."""
    return {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": git_commit(),
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            **versions(),
        },
    }


def load_settings(args: argparse.Namespace) -> dict:
    """The load of a run (mode, rounds, levels, processes), as the JSON report records it."""
    return {
        "mode": "requests" if args.requests else "duration",
        "duration_s": None if args.requests else args.duration,
        "requests_per_client": args.requests,
        "rounds": args.rounds,
        "levels": args.levels,
        "server_threads": args.threads,
        "client_processes": args.client_procs,
    }


def client_job_settings(args: argparse.Namespace, content_type: str) -> dict:
    """What every client job of a run is sent (``ClientPool.run`` adds the clients and the port)."""
    return {
        "duration": None if args.requests else args.duration,
        "requests": args.requests,
        "time_cap": args.time_cap,
        "max_requests": args.max_requests,
        "timeout": args.timeout,
        "warmup_requests": args.warmup_requests,
        "content_type": content_type,
    }


def fmt(value, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def render_table(rows: list[dict]) -> str:
    head = (
        f"{'clients':>7} | {'base req/s':>10} {'sim req/s':>10} {'ratio':>6} {'(rounds)':>11} | "
        f"{'base p50':>8} {'base p99':>8} | {'sim p50':>8} {'sim p99':>8} | {'cpu ms/req base':>15} {'sim':>6}"
    )
    lines = [head, "-" * len(head)]
    for row in rows:
        b, s = row["baseline"], row["simulator"]
        spread = row["ratio_rounds"]
        rounds = f"{min(spread):.2f}-{max(spread):.2f}" if spread else "-"
        lines.append(
            f"{row['clients']:>7} | {b['rps']:>10.0f} {s['rps']:>10.0f} {fmt(row['ratio']):>6} {rounds:>11} | "
            f"{fmt(b['p50_ms']):>8} {fmt(b['p99_ms']):>8} | {fmt(s['p50_ms']):>8} {fmt(s['p99_ms']):>8} | "
            f"{fmt(b['server_cpu_ms_per_request'], 3):>15} {fmt(s['server_cpu_ms_per_request'], 3):>6}"
        )
    lines.append("latencies in ms; ratio = simulator req/s / baseline req/s (all rounds pooled; spread per round)")
    return "\n".join(lines)


def check_common_args(parser, args, extra: list) -> None:
    """Range checks shared by the benchmarks' command lines; ``extra``: (condition, message) pairs."""
    checks = [
        (args.levels and all(1 <= n <= 256 for n in args.levels), "--clients: between 1 and 256 each"),
        (1 <= args.rounds <= 50, "--rounds: between 1 and 50"),
        (args.duration is None or 0.1 <= args.duration <= 600, "--duration: between 0.1 and 600 s"),
        (args.requests is None or 1 <= args.requests <= 1_000_000, "--requests: between 1 and 1e6"),
        (1 <= args.threads <= 256, "--threads: between 1 and 256"),
        (1 <= args.client_procs <= 16, "--client-procs: between 1 and 16"),
        (0 <= args.warmup <= 60 and 0 <= args.warmup_requests <= 1000, "warm-up: at most 60 s / 1000 requests"),
        (1 <= args.max_requests <= 10_000_000 and 1 <= args.time_cap <= 3600, "caps out of range"),
        *extra,
    ]
    for good, message in checks:
        if not good:
            parser.error(message)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--duration", type=float, default=2.0, help="seconds per measured job (default 2.0; fixed-duration mode)"
    )
    mode.add_argument("--requests", type=int, help="requests per client per job (fixed-count mode, instead of time)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3)")
    parser.add_argument("--clients", default="1,8,32", help="concurrency levels, comma-separated (default 1,8,32)")
    parser.add_argument("--threads", type=int, default=8, help="waitress threads of both servers (default 8)")
    parser.add_argument(
        "--client-procs", type=int, default=2, help="load-generating processes (default 2, one per core)"
    )
    parser.add_argument("--warmup", type=float, default=1.5, help="seconds of unmeasured load per server at start")
    parser.add_argument("--warmup-requests", type=int, default=3, help="unmeasured requests per client before a job")
    parser.add_argument("--time-cap", type=float, default=60.0, help="longest job in --requests mode (seconds)")
    parser.add_argument("--max-requests", type=int, default=1_000_000, help="request cap per client per job")
    parser.add_argument("--timeout", type=float, default=10.0, help="HTTP timeout per request (seconds)")
    parser.add_argument(
        "--no-request-log",
        action="store_true",
        help="silence the simulator's per-request log line (default: logged as `serve` does, to the null device)",
    )
    parser.add_argument("--profile", action="store_true", help="cProfile the simulator during an extra 8-client job")
    parser.add_argument("--profile-duration", type=float, default=4.0, help="seconds of the profiled job (default 4)")
    parser.add_argument("--output", type=Path, default=RESULTS_DIR / "latest.json", help="JSON result file")
    args = parser.parse_args(argv)
    try:
        args.levels = [int(part) for part in args.clients.split(",") if part.strip()]
    except ValueError:
        parser.error("--clients takes integers, e.g. 1,8,32")
    check_common_args(
        parser, args, [(0.5 <= args.profile_duration <= 120, "--profile-duration: between 0.5 and 120 s")]
    )
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    from tests.soap_helpers import CONTENT_TYPE, traits_request

    body = traits_request("ADRUN", "ZOE", "F", "1975-12-31")
    job_settings = client_job_settings(args, CONTENT_TYPE)
    ctx = mp.get_context("spawn")  # clean children, as on Windows; no thread state inherited
    servers: dict[str, ServerHandle] = {}
    pool = None
    began = time.perf_counter()
    try:
        servers["simulator"] = start_server(
            ctx, "simulator", server_process, args.threads, None, "", not args.no_request_log
        )
        expected, answer_type = capture_answer(servers["simulator"].port, body, CONTENT_TYPE)
        servers["baseline"] = start_server(ctx, "baseline", server_process, args.threads, expected, answer_type, True)
        check_baseline(servers["baseline"].port, body, CONTENT_TYPE, expected, answer_type)
        pool = ClientPool(ctx, args.client_procs, body, expected)
        print(
            f"servers up (waitress, {args.threads} threads each): simulator :{servers['simulator'].port}, "
            f"baseline :{servers['baseline'].port}; {args.client_procs} client processes; "
            f"answer {len(expected)} bytes, request {len(body)} bytes",
            flush=True,
        )
        if args.warmup > 0:
            for kind in TARGETS:
                pool.run(servers[kind], 8, {**job_settings, "duration": args.warmup, "requests": None})

        cells = {(kind, n): Cell() for kind in TARGETS for n in args.levels}
        ratio_rounds: dict[int, list[float]] = {n: [] for n in args.levels}
        for round_index in range(args.rounds):
            for n in args.levels:
                order = TARGETS if (round_index + args.levels.index(n)) % 2 == 0 else TARGETS[::-1]
                rates = {}
                for kind in order:
                    job = pool.run(servers[kind], n, job_settings)
                    cells[(kind, n)].add(job)
                    rates[kind] = job["ok"] / job["span"] if job["span"] > 0 else 0.0
                if rates["baseline"] > 0:
                    ratio_rounds[n].append(rates["simulator"] / rates["baseline"])
                print(
                    f"round {round_index + 1}/{args.rounds}, {n:>2} clients: baseline {rates['baseline']:.0f} req/s, "
                    f"simulator {rates['simulator']:.0f} req/s",
                    flush=True,
                )

        rows = []
        for n in args.levels:
            base, sim = cells[("baseline", n)].summary(), cells[("simulator", n)].summary()
            rows.append(
                {
                    "clients": n,
                    "baseline": base,
                    "simulator": sim,
                    "ratio": round(sim["rps"] / base["rps"], 3) if base["rps"] else None,
                    "ratio_rounds": [round(r, 3) for r in ratio_rounds[n]],
                }
            )

        profile = None
        if args.profile:
            RESULTS_DIR.mkdir(parents=True, exist_ok=True)
            dump = RESULTS_DIR / "simulator-profile.pstats"
            simulator = servers["simulator"]
            simulator.ask("profile_on")
            job = pool.run(
                simulator, PROFILE_CLIENTS, {**job_settings, "duration": args.profile_duration, "requests": None}
            )
            profile = simulator.ask("profile_off", str(dump), 25)
            profile["rps_while_profiled"] = round(job["ok"] / job["span"], 1) if job["span"] > 0 else 0.0
            profile["pstats_file"] = str(dump.relative_to(REPO))
            (RESULTS_DIR / "simulator-profile.txt").write_text(profile["text"], encoding="utf-8")
    finally:
        if pool is not None:
            pool.close()
        for server in servers.values():
            server.stop()

    wall = time.perf_counter() - began
    table = render_table(rows)
    print()
    print(table)
    verdicts = []
    at8 = next((row for row in rows if row["clients"] == 8), None)
    if at8 is not None:
        ratio, p99 = at8["ratio"], at8["simulator"]["p99_ms"]
        verdicts = [
            f"ratio at 8 clients: {fmt(ratio)} (target >= {TARGET_RATIO}): "
            f"{'met' if ratio is not None and ratio >= TARGET_RATIO else 'NOT met'}",
            f"simulator p99 at 8 clients: {fmt(p99)} ms (target <= {TARGET_P99_MS:.0f} ms): "
            f"{'met' if p99 is not None and p99 <= TARGET_P99_MS else 'NOT met'}",
        ]
        print("\ntargets (reported, not asserted):\n  " + "\n  ".join(verdicts))
    problems = [
        f"{kind} at {row['clients']} clients: {row[kind][name]} {name}"
        for row in rows
        for kind in TARGETS
        for name in ("errors", "mismatches", "reconnects")
        if row[kind][name]
    ]
    if problems:
        print("\nWARNING — these numbers are suspect:\n  " + "\n  ".join(problems))
    if profile is not None:
        print(
            f"\n=== cProfile of the simulator, {PROFILE_CLIENTS} clients, {args.profile_duration:.0f} s "
            f"({profile['rps_while_profiled']:.0f} req/s while profiled; profiling slows it down) ==="
        )
        print(profile["text"])
        print(f"raw stats: {profile['pstats_file']} (python -m pstats), text: bench/results/simulator-profile.txt")

    report = {
        "benchmark": "rechercherInsAvecTraitsIdentite over HTTP, simulator vs bare lxml baseline",
        **run_info(),
        "settings": {
            **load_settings(args),
            "warmup_s": args.warmup,
            "warmup_requests_per_client": args.warmup_requests,
            "simulator_request_log": not args.no_request_log,
            "request_bytes": len(body),
            "answer_bytes": len(expected),
        },
        "targets": {"ratio_at_8_clients_min": TARGET_RATIO, "simulator_p99_ms_at_8_clients_max": TARGET_P99_MS},
        "verdicts": verdicts,
        "problems": problems,
        "results": rows,
        "wall_seconds": round(wall, 1),
    }
    if profile is not None:
        report["profile"] = {key: value for key, value in profile.items() if key != "text"}
        report["profile"]["top"] = profile["text"]
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"\nwritten: {args.output} (total {wall:.0f} s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

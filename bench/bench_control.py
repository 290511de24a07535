"""What the control plane costs: ``rechercherInsAvecTraitsIdentite`` with journal + conformance ON vs OFF.

Two simulators, each in its own process, built with the same ``simulator.server.make_server`` call:

* ``on``  — ``Settings()``: every request checked against the INSi rules and journaled in SQLite;
* ``off`` — ``Settings(journal=False, conformance=False)``.

``--split`` adds ``journal`` (journal only) and ``conformance`` (checks only) to see which half costs.
Same methodology as ``bench_soap.py``, whose helpers this script imports: load from separate client
processes (a thread and one keep-alive ``http.client`` connection per simulated client), 8 clients by
default, interleaved rounds with the order of the servers rotated, only ratios within one run compared.
Each request carries its own ``wsa:MessageID`` (as a real client does); ``--message-id fixed`` sends
the same bytes every time instead. Jobs are a fixed number of requests per client (not a fixed time),
so that every server has answered as many requests as the others at any point of the run. Never a
test: the cost target (<= 15 %) is reported, not asserted. Usage and reading: ``bench/README.md``.

    .venv/bin/python bench/bench_control.py              # ~30 s, table + bench/results/control.json
    .venv/bin/python bench/bench_control.py --split      # + journal-only and conformance-only servers
"""

from __future__ import annotations

import argparse
import itertools
import json
import multiprocessing as mp
import os
import sys
import tempfile
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
if str(BENCH_DIR) not in sys.path:  # imported from elsewhere: make ``bench_soap`` importable
    sys.path.insert(0, str(BENCH_DIR))

from bench_soap import (  # noqa: E402 — after the path set-up above (bench_soap adds the repository)
    REPO,
    RESULTS_DIR,
    Cell,
    ClientPool,
    ServerHandle,
    _quiet_logging,
    capture_answer,
    check_common_args,
    client_job_settings,
    fmt,
    load_settings,
    run_client_jobs,
    run_info,
    serve,
    start_server,
)

# name -> (journal, conformance)
CONFIGS = {"off": (False, False), "on": (True, True), "journal": (True, False), "conformance": (False, True)}
TARGET_COST_PCT = 15.0  # throughput lost to journal + conformance at 8 clients (reported, not asserted)
DEFAULT_REQUESTS = 250  # per client per job: 2000 requests at 8 clients, about 2 s
PLACEHOLDER = "uuid:00000000-0000-4000-8000-000000000000"  # replaced by each request's own MessageID


# -- servers (each in its own process) ----------------------------------------------


def control_server_process(name: str, conn, threads: int, request_log: bool):
    """Entry point of a server process: a simulator with the ``name`` settings, obeying the parent."""
    from simulator.app import create_app
    from simulator.config import Settings
    from simulator.store.journal import JournalQuery

    _quiet_logging(request_log)
    journal, conformance = CONFIGS[name]
    flush_wait = [0.0, 0.0]  # total, longest: time spent waiting for the journal writer at the end of jobs
    with tempfile.TemporaryDirectory(prefix=f"insi-bench-{name}-") as tmp:
        simulator = create_app(Settings(data_dir=Path(tmp) / "data", journal=journal, conformance=conformance))

        def cpu() -> float:
            # the writer thread's work belongs to the job that queued it: wait for it first
            started = time.perf_counter()
            simulator.store.flush()
            waited = time.perf_counter() - started
            flush_wait[0] += waited
            flush_wait[1] = max(flush_wait[1], waited)
            return time.process_time()

        def stats() -> dict:
            session = simulator.default_session
            rows, _ = simulator.store.query(JournalQuery(session=session.id, limit=1))
            flagged, _ = simulator.store.query(JournalQuery(session=session.id, limit=1, has_findings=True))
            db = Path(tmp) / "data"
            return {
                "calls": session.calls,
                "message_ids_remembered": len(session.message_ids),
                "journal_rows": rows,
                "journal_rows_with_findings": flagged,
                "journal_bytes_on_disk": sum(p.stat().st_size for p in db.glob("*.sqlite3*")),
                "flush_wait_total_s": round(flush_wait[0], 4),
                "flush_wait_max_s": round(flush_wait[1], 4),
            }

        try:
            serve(simulator, conn, threads, {"cpu": cpu, "stats": stats})
        finally:
            simulator.close()
            conn.close()


# -- clients: bench_soap's, except that every request has its own MessageID ------------


def control_client_process(conn, parts: tuple[bytes, bytes], expected: bytes):
    """Entry point of a load-generating process: bench_soap's, with a MessageID per request."""
    numbers = itertools.count()  # next() of an itertools.count is atomic: ids never repeat
    tag = f"{os.getpid() & 0xFFFFFFFF:08x}-{int(time.time()) & 0xFFFF:04x}"
    head, tail = parts
    fixed = head + PLACEHOLDER.encode() + tail

    def unique() -> bytes:
        return head + f"uuid:{tag}-4000-8000-{next(numbers):012x}".encode() + tail

    def bodies(job: dict):
        return unique if job["message_id"] == "unique" else itertools.repeat(fixed).__next__

    run_client_jobs(conn, bodies, expected)


# -- report ----------------------------------------------------------------------------


def cost_pct(on: float | None, off: float | None) -> float | None:
    """Throughput lost with the feature on, in % of the throughput without it."""
    return None if not on or not off else round((1 - on / off) * 100, 1)


def render_table(rows: list[dict], names: list[str]) -> str:
    head = (
        f"{'clients':>7} | {'server':>11} {'req/s':>7} {'cost %':>7} {'(rounds)':>13} | "
        f"{'p50':>6} {'p99':>6} | {'cpu ms/req':>10} {'cpu cost %':>10}"
    )
    lines = [head, "-" * len(head)]
    for row in rows:
        for name in names:
            cell = row["servers"][name]
            spread = row["cost_rounds"].get(name) or []
            rounds = f"{min(spread):.1f}..{max(spread):.1f}" if spread else "-"
            lines.append(
                f"{row['clients']:>7} | {name:>11} {cell['rps']:>7.0f} {fmt(row['cost_pct'].get(name), 1):>7} "
                f"{rounds:>13} | {fmt(cell['p50_ms']):>6} {fmt(cell['p99_ms']):>6} | "
                f"{fmt(cell['server_cpu_ms_per_request'], 3):>10} {fmt(row['cpu_cost_pct'].get(name), 1):>10}"
            )
    lines.append(
        "latencies in ms; cost % = 1 - req/s / req/s of 'off' (all rounds pooled; (rounds): lowest..highest "
        "of single rounds); cpu cost % = server CPU per answer over 'off'"
    )
    return "\n".join(lines)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--requests",
        type=int,
        help=f"requests per client per job (fixed-count mode, the default: {DEFAULT_REQUESTS}); every server then "
        "gets as many requests as the others, so a session's growing state grows alike",
    )
    mode.add_argument("--duration", type=float, help="seconds per measured job (fixed-duration mode instead)")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (default 5)")
    parser.add_argument("--clients", default="8", help="concurrency levels, comma-separated (default 8)")
    parser.add_argument("--threads", type=int, default=8, help="waitress threads of every server (default 8)")
    parser.add_argument("--client-procs", type=int, default=2, help="load-generating processes (default 2)")
    parser.add_argument(
        "--warmup-count", type=int, default=150, help="unmeasured requests per client (8 clients) per server at start"
    )
    parser.add_argument("--warmup", type=float, default=1.5, help="the same in seconds, in --duration mode")
    parser.add_argument("--warmup-requests", type=int, default=3, help="unmeasured requests per client before a job")
    parser.add_argument("--time-cap", type=float, default=60.0, help="longest job in --requests mode (seconds)")
    parser.add_argument("--max-requests", type=int, default=1_000_000, help="request cap per client per job")
    parser.add_argument("--timeout", type=float, default=10.0, help="HTTP timeout per request (seconds)")
    parser.add_argument(
        "--message-id",
        choices=["unique", "fixed"],
        default="unique",
        help="a new wsa:MessageID per request (default), or the same bytes every time (every request after "
        "the first then breaks message-id-unique)",
    )
    parser.add_argument("--split", action="store_true", help="also measure journal only and conformance only")
    parser.add_argument("--no-request-log", action="store_true", help="silence the per-request log line")
    parser.add_argument("--output", type=Path, default=RESULTS_DIR / "control.json", help="JSON result file")
    args = parser.parse_args(argv)
    if args.requests is None and args.duration is None:
        args.requests = DEFAULT_REQUESTS
    try:
        args.levels = [int(part) for part in args.clients.split(",") if part.strip()]
    except ValueError:
        parser.error("--clients takes integers, e.g. 8 or 1,8,32")
    check_common_args(parser, args, [(0 <= args.warmup_count <= 100_000, "--warmup-count: between 0 and 100000")])
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    from tests.soap_helpers import CONTENT_TYPE, traits_request

    template = traits_request("ADRUN", "ZOE", "F", "1975-12-31", message_id=PLACEHOLDER)
    if template.count(PLACEHOLDER.encode()) != 1:
        raise RuntimeError("the MessageID placeholder must appear exactly once in the request")
    head, _, tail = template.partition(PLACEHOLDER.encode())
    names = ["off", "on"] + (["journal", "conformance"] if args.split else [])
    job_settings = {**client_job_settings(args, CONTENT_TYPE), "message_id": args.message_id}
    ctx = mp.get_context("spawn")
    servers: dict[str, ServerHandle] = {}
    pool = None
    began = time.perf_counter()
    try:
        answers = {}
        for name in names:
            servers[name] = start_server(ctx, name, control_server_process, args.threads, not args.no_request_log)
            answers[name] = capture_answer(servers[name].port, template, CONTENT_TYPE)
        expected, _answer_type = answers["off"]
        if any(answer != answers["off"] for answer in answers.values()):
            raise RuntimeError("the servers do not answer the same bytes: journal/conformance changed the answer")
        pool = ClientPool(ctx, args.client_procs, (head, tail), expected, target=control_client_process)
        ports = ", ".join(f"{name} :{handle.port}" for name, handle in servers.items())
        print(
            f"servers up (waitress, {args.threads} threads each): {ports}; {args.client_procs} client processes; "
            f"MessageID {args.message_id}; answer {len(expected)} bytes, request {len(template)} bytes",
            flush=True,
        )
        for name in names:  # in fixed-count mode, a fixed count too: every server starts the rounds alike
            if args.requests and args.warmup_count > 0:
                pool.run(servers[name], 8, {**job_settings, "requests": args.warmup_count})
            elif args.warmup > 0:
                pool.run(servers[name], 8, {**job_settings, "duration": args.warmup, "requests": None})

        cells = {(name, n): Cell() for name in names for n in args.levels}
        cost_rounds: dict[int, dict[str, list[float]]] = {n: {name: [] for name in names[1:]} for n in args.levels}
        for round_index in range(args.rounds):
            for n in args.levels:
                shift = (round_index + args.levels.index(n)) % len(names)
                order = names[shift:] + names[:shift]  # every server goes first in turn
                rates = {}
                for name in order:
                    job = pool.run(servers[name], n, job_settings)
                    cells[(name, n)].add(job)
                    rates[name] = job["ok"] / job["span"] if job["span"] > 0 else 0.0
                for name in names[1:]:
                    cost = cost_pct(rates[name], rates["off"])
                    if cost is not None:
                        cost_rounds[n][name].append(cost)
                print(
                    f"round {round_index + 1}/{args.rounds}, {n:>2} clients: "
                    + ", ".join(f"{name} {rates[name]:.0f} req/s" for name in names),
                    flush=True,
                )
        stats = {name: servers[name].ask("stats") for name in names}
    finally:
        if pool is not None:
            pool.close()
        for server in servers.values():
            server.stop()

    rows = []
    for n in args.levels:
        summaries = {name: cells[(name, n)].summary() for name in names}
        off = summaries["off"]
        rows.append(
            {
                "clients": n,
                "servers": summaries,
                "cost_pct": {name: cost_pct(summaries[name]["rps"], off["rps"]) for name in names[1:]},
                "cost_rounds": cost_rounds[n],
                "cpu_cost_pct": {
                    name: (
                        round(
                            (summaries[name]["server_cpu_ms_per_request"] / off["server_cpu_ms_per_request"] - 1) * 100,
                            1,
                        )
                        if summaries[name]["server_cpu_ms_per_request"] and off["server_cpu_ms_per_request"]
                        else None
                    )
                    for name in names[1:]
                },
            }
        )
    wall = time.perf_counter() - began
    print()
    print(render_table(rows, names))
    verdicts = []
    at8 = next((row for row in rows if row["clients"] == 8), None)
    if at8 is not None:
        cost = at8["cost_pct"]["on"]
        met = cost is not None and cost <= TARGET_COST_PCT
        verdicts.append(
            f"journal + conformance cost at 8 clients: {fmt(cost, 1)} % of throughput "
            f"(target <= {TARGET_COST_PCT:.0f} %): {'met' if met else 'NOT met'}"
        )
        print("\ntarget (reported, not asserted):\n  " + "\n  ".join(verdicts))
    print("\nservers at the end: " + "; ".join(f"{name}: {json.dumps(value)}" for name, value in stats.items()))

    problems = [
        f"{name} at {row['clients']} clients: {row['servers'][name][kind]} {kind}"
        for row in rows
        for name in names
        for kind in ("errors", "mismatches", "reconnects")
        if row["servers"][name][kind]
    ]
    for name in names:
        journal, _ = CONFIGS[name]
        rows_expected = stats[name]["calls"] if journal else 0
        if stats[name]["journal_rows"] != rows_expected:
            problems.append(f"{name}: {stats[name]['journal_rows']} journal rows for {stats[name]['calls']} calls")
    if problems:
        print("\nWARNING — these numbers are suspect:\n  " + "\n  ".join(problems))

    report = {
        "benchmark": "rechercherInsAvecTraitsIdentite over HTTP, journal + conformance on vs off",
        **run_info(),
        "settings": {
            "servers": {name: dict(zip(("journal", "conformance"), CONFIGS[name], strict=True)) for name in names},
            **load_settings(args),
            "warmup_s": None if args.requests else args.warmup,
            "warmup_requests_per_server": 8 * args.warmup_count if args.requests else None,
            "warmup_requests_per_client": args.warmup_requests,
            "message_id": args.message_id,
            "simulator_request_log": not args.no_request_log,
            "request_bytes": len(template),
            "answer_bytes": len(expected),
        },
        "target": {"cost_pct_at_8_clients_max": TARGET_COST_PCT},
        "verdicts": verdicts,
        "problems": problems,
        "results": rows,
        "server_stats": stats,
        "wall_seconds": round(wall, 1),
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    shown = args.output.relative_to(REPO) if args.output.is_relative_to(REPO) else args.output
    print(f"\nwritten: {shown} (total {wall:.0f} s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

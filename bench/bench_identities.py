"""Synthetic identity bases: generating, writing and loading 100,000 identities, and looking them up.

Two parts, both measured in the same run (the machine is shared and noisy: only numbers of one run
compare):

1. **Build** — ``generate_base`` (Faker fr_FR + COG subset), ``write_base``, then ``load_base`` of the
   written file in a fresh interpreter (cold caches, as ``insi-harness serve --base`` starts), and the
   whole ``insi-harness identities generate`` command as a user runs it. Target (reported, not
   asserted): generate + write + load <= 30 s on this 2-core machine.
2. **Lookup** — ``IdentityBase.search_traits`` in a base holding the 100,000 generated identities (plus
   the embedded CNDA base) against a base holding only the 19 embedded CNDA identities: a hit (CR 00)
   and a miss (CR 01) in each, in interleaved rounds. Searches go through the (birth name, sex, birth
   date) index, so the ratio big / small should be about 1. The same comparison is made end to end, a
   RECSANSVITALE posted in process to ``/lps`` of two simulators (``create_app``).

With ``--compare-loaders`` it also times the two line-tracking loaders on the same file (libyaml with
line tracking, used to report errors; the pure-Python one, the loader before the fast path existed) and
the fast path on the same base written in YAML block style (read by libyaml instead of ``json``).

Never a test: nothing is asserted. Prints a table and writes ``bench/results/identities.json``.

    .venv/bin/python bench/bench_identities.py                     # ~1 min
    .venv/bin/python bench/bench_identities.py --compare-loaders   # + ~2 min
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
if str(REPO) not in sys.path:  # run as a script: make ``simulator`` and ``tests`` importable
    sys.path.insert(0, str(REPO))

TARGET_BUILD_S = 30.0
LOADERS = ("fast", "tracked_libyaml", "tracked_python")


# -- child process: load one file, cold -------------------------------------------------------------


def _child_load(path: str, loader: str) -> None:
    """Run in a fresh interpreter: time one load of ``path``, print JSON."""
    started = time.perf_counter()
    from simulator import datafile
    from simulator.identity.base import BASE_SCHEMA, load_base

    imported = time.perf_counter()
    if loader == "fast":
        count = len(load_base([path]))
    elif loader == "tracked_libyaml":
        count = len(datafile.load_yaml_tracked(path, BASE_SCHEMA)["identities"])
    else:
        count = len(datafile.load_yaml(path, BASE_SCHEMA)["identities"])
    done = time.perf_counter()
    print(json.dumps({"import_s": imported - started, "load_s": done - imported, "count": count}))


def cold_load(path: Path, loader: str = "fast") -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child-load", str(path), "--loader", loader],
        capture_output=True,
        text=True,
        timeout=900,
        check=True,
        cwd=REPO,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


# -- build ------------------------------------------------------------------------------------------


def measure_build(count: int, seed: int, workdir: Path, compare_loaders: bool) -> tuple[dict, Path]:
    from simulator.identity.synthetic import base_header, generate_base, write_base

    path = workdir / f"synthetic-{count}.yaml"
    started = time.perf_counter()
    data = generate_base(count, seed)
    generated = time.perf_counter()
    write_base(path, data, base_header(count, seed))
    written = time.perf_counter()
    del data
    gc.collect()
    load = cold_load(path)
    build = {
        "count": count,
        "seed": seed,
        "file_bytes": path.stat().st_size,
        "generate_s": generated - started,
        "write_s": written - generated,
        "load_s": load["load_s"],
        "load_import_s": load["import_s"],
    }
    build["generate_write_load_s"] = build["generate_s"] + build["write_s"] + build["load_s"]
    cli_out = workdir / "cli.yaml"
    cli = [sys.executable, "-m", "harness.cli", "identities", "generate", "--count", str(count), "--seed", str(seed)]
    started = time.perf_counter()
    subprocess.run([*cli, "--out", str(cli_out)], check=True, capture_output=True, timeout=900, cwd=REPO)
    build["cli_generate_s"] = time.perf_counter() - started
    build["cli_file_identical"] = cli_out.read_bytes() == path.read_bytes()
    if compare_loaders:
        build["loaders"] = {name: cold_load(path, name)["load_s"] for name in LOADERS}
        # The same base written in block style, as people write YAML by hand: no JSON fast path.
        import yaml

        block = workdir / "block.yaml"
        dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
        block.write_text(yaml.dump(yaml.safe_load(path.read_text()), Dumper=dumper, sort_keys=False))
        build["loaders"]["fast_block_style"] = cold_load(block, "fast")["load_s"]
    return build, path


# -- lookups ----------------------------------------------------------------------------------------


def _queries(rows: list[dict], how_many: int, seed: int):
    """Hits: one identity alone with its traits (first birth first name); misses: a shifted name."""
    import random

    from simulator.engine.messages import TraitsQuery

    by_key: dict[tuple, int] = {}
    for row in rows:
        key = (row["nom_naissance"], row["sexe"], row["date_naissance"], row["prenoms"][0])
        by_key[key] = by_key.get(key, 0) + 1
    alone = [
        row
        for row in rows
        if by_key[(row["nom_naissance"], row["sexe"], row["date_naissance"], row["prenoms"][0])] == 1
    ]
    picked = random.Random(seed).choices(alone, k=how_many)
    hits = [
        TraitsQuery(
            nom_naissance=row["nom_naissance"],
            prenoms=[row["prenoms"][0]],
            sexe=row["sexe"],
            date_naissance=row["date_naissance"],
        )
        for row in picked
    ]
    misses = [
        TraitsQuery(
            nom_naissance=row["nom_naissance"] + "X",
            prenoms=[row["prenoms"][0]],
            sexe=row["sexe"],
            date_naissance=row["date_naissance"],
        )
        for row in picked
    ]
    return hits, misses


def _time_searches(base, queries, rule) -> list[float]:
    """Per-lookup times in microseconds."""
    timer = time.perf_counter_ns
    times = []
    for query in queries:
        started = timer()
        base.search_traits(query, rule)
        times.append((timer() - started) / 1000)
    return times


def _time_scans(base, queries) -> list[float]:
    """What a search without the index would cost: compare the query with every identity."""
    from simulator.identity.normalize import normalize_trait

    times = []
    for query in queries:
        started = time.perf_counter_ns()
        nom, prenom = normalize_trait(query.nom_naissance), normalize_trait(query.prenoms[0])
        found = [
            identity
            for identity in base.identities.values()
            if identity.nom_naissance == nom
            and identity.sexe == query.sexe
            and identity.date_naissance == query.date_naissance
            and identity.prenoms[0] == prenom
        ]
        times.append((time.perf_counter_ns() - started) / 1000)
        assert len(found) == 1
    return times


def _summary(times: list[float]) -> dict:
    ordered = sorted(times)
    return {
        "n": len(ordered),
        "median_us": statistics.median(ordered),
        "mean_us": statistics.fmean(ordered),
        "p99_us": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))],
    }


def measure_lookups(path: Path, lookups: int, soap_lookups: int, rounds: int, seed: int) -> dict:
    import yaml

    from simulator.config import fixture
    from simulator.identity.base import FirstNameMatch, load_base

    cnda_file = fixture("cnda-base.yaml")
    small = load_base([cnda_file])
    big = load_base([cnda_file, path])
    cnda_rows = [
        row
        for row in yaml.safe_load(cnda_file.read_text(encoding="utf-8"))["identities"]
        if row.get("searchable", True) and row.get("code_cr", "00") == "00"
    ]
    synthetic_rows = [identity for identity in big.identities.values() if identity.id.startswith("SYN-")]
    as_rows = [
        {
            "nom_naissance": i.nom_naissance,
            "sexe": i.sexe,
            "date_naissance": i.date_naissance,
            "prenoms": list(i.prenoms),
        }
        for i in synthetic_rows
    ]
    small_hits, small_misses = _queries(cnda_rows, lookups, seed)
    big_hits, big_misses = _queries(as_rows, lookups, seed)
    rule = FirstNameMatch.FIRST_OR_LIST
    for base, queries in ((small, small_hits), (big, big_hits)):  # sanity: hits are single hits
        assert all(len(base.search_traits(q, rule)) == 1 for q in queries[:200])
        _time_searches(base, queries[:2000], rule)  # warm-up
    # The small base can only be asked about its 17 people, always hot in the CPU caches; the big
    # base is asked about 20,000 different people. "big_hot" asks the big base about as few
    # people as the small one, to tell the index's cost from the cost of cold memory.
    distinct = len({(q.nom_naissance, q.sexe, q.date_naissance, q.prenoms[0]) for q in small_hits})
    big_hot = (big_hits[:distinct] * (lookups // distinct + 1))[:lookups]
    cases = {
        "small_hit": (small, small_hits),
        "big_hit": (big, big_hits),
        "big_hot_hit": (big, big_hot),
        "small_miss": (small, small_misses),
        "big_miss": (big, big_misses),
    }
    times: dict[str, list[float]] = {key: [] for key in cases}
    for round_index in range(rounds):
        names = list(cases) if round_index % 2 == 0 else list(reversed(cases))
        for name in names:
            base, queries = cases[name]
            times[name] += _time_searches(base, queries, rule)
    result = {key: _summary(values) for key, values in times.items()}
    result["scan_big_us"] = _summary(_time_scans(big, big_hits[:20]))
    result["sizes"] = {"small": len(small), "big": len(big)}
    result["ratio_hit_median"] = result["big_hit"]["median_us"] / result["small_hit"]["median_us"]
    result["ratio_miss_median"] = result["big_miss"]["median_us"] / result["small_miss"]["median_us"]
    result["ratio_hot_hit_median"] = result["big_hot_hit"]["median_us"] / result["small_hit"]["median_us"]
    if soap_lookups:
        result["soap"] = measure_soap(cnda_file, path, small_hits, big_hits, soap_lookups, rounds)
    return result


def measure_soap(cnda_file: Path, path: Path, small_hits, big_hits, how_many: int, rounds: int) -> dict:
    """End to end: a RECSANSVITALE posted in process to /lps (lxml, Spyne, engine, journal, answer)."""
    from werkzeug.test import Client

    from simulator.app import create_app
    from simulator.config import Settings
    from tests.soap_helpers import CONTENT_TYPE, parse_resultat, traits_request

    def requests_for(queries):
        return [traits_request(q.nom_naissance, q.prenoms[0], q.sexe, q.date_naissance) for q in queries[:how_many]]

    with tempfile.TemporaryDirectory() as state:
        clients = {
            "small": Client(create_app(Settings(data_dir=Path(state) / "small", base_files=[cnda_file]))),
            "big": Client(create_app(Settings(data_dir=Path(state) / "big", base_files=[cnda_file, path]))),
        }
        bodies = {"small": requests_for(small_hits), "big": requests_for(big_hits)}
        for name, client in clients.items():  # warm-up and sanity: CR 00
            for body in bodies[name][:20]:
                assert parse_resultat(client.post("/lps", data=body, content_type=CONTENT_TYPE).data).code_cr == "00"
        times: dict[str, list[float]] = {"small": [], "big": []}
        for round_index in range(rounds):
            for name in ("small", "big") if round_index % 2 == 0 else ("big", "small"):
                client = clients[name]
                for body in bodies[name]:
                    started = time.perf_counter_ns()
                    client.post("/lps", data=body, content_type=CONTENT_TYPE)
                    times[name].append((time.perf_counter_ns() - started) / 1000)
    result = {name: _summary(values) for name, values in times.items()}
    result["ratio_median"] = result["big"]["median_us"] / result["small"]["median_us"]
    return result


# -- report -----------------------------------------------------------------------------------------


def git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.decode().strip() or None


def print_report(build: dict, lookups: dict) -> None:
    print(f"\nBuild: {build['count']} identities, seed {build['seed']}, file {build['file_bytes'] / 1e6:.1f} MB")
    print(f"  generate            {build['generate_s']:7.2f} s")
    print(f"  write               {build['write_s']:7.2f} s")
    print(f"  load_base (cold)    {build['load_s']:7.2f} s   (+ {build['load_import_s']:.2f} s imports)")
    verdict = "OK" if build["generate_write_load_s"] <= TARGET_BUILD_S else "OVER TARGET"
    print(
        f"  total               {build['generate_write_load_s']:7.2f} s   target <= {TARGET_BUILD_S:.0f} s: {verdict}"
    )
    same = "identical file" if build["cli_file_identical"] else "FILE DIFFERS"
    print(f"  CLI generate        {build['cli_generate_s']:7.2f} s   (whole command, {same})")
    labels = {
        "fast": "load_base, this file (JSON-compatible flow style)",
        "fast_block_style": "load_base, same base in YAML block style (libyaml)",
        "tracked_libyaml": "parse + schema with line numbers, libyaml (error path)",
        "tracked_python": "parse + schema with line numbers, pure Python (the old loader)",
    }
    for name, seconds in build.get("loaders", {}).items():
        print(f"  {labels[name]:<64} {seconds:7.2f} s")
    sizes = lookups["sizes"]
    print(f"\nLookup (search_traits), {sizes['small']} vs {sizes['big']} identities, microseconds per search:")
    rows = [
        ("hit", "small_hit", f"{sizes['small']} ids"),
        ("hit", "big_hit", f"{sizes['big']} ids"),
        ("hit", "big_hot_hit", f"{sizes['big']} ids, 17 people asked (hot)"),
        ("miss", "small_miss", f"{sizes['small']} ids"),
        ("miss", "big_miss", f"{sizes['big']} ids"),
        ("scan", "scan_big_us", f"{sizes['big']} ids, no index (linear scan)"),
    ]
    print("  case | base                                  |    median       mean        p99")
    for case, key, label in rows:
        s = lookups[key]
        print(f"  {case:<4} | {label:<37} | {s['median_us']:9.2f} {s['mean_us']:10.2f} {s['p99_us']:10.2f}")
    print(
        f"  big/small median ratio: hit {lookups['ratio_hit_median']:.2f}, hot hit "
        f"{lookups['ratio_hot_hit_median']:.2f}, miss {lookups['ratio_miss_median']:.2f} (~1 = indexed; a scan "
        f"is {lookups['scan_big_us']['median_us'] / lookups['big_hit']['median_us']:.0f}x a big-base hit)"
    )
    if "soap" in lookups:
        soap = lookups["soap"]
        print("\nEnd to end (RECSANSVITALE posted in process to /lps), microseconds per request:")
        for name in ("small", "big"):
            s = soap[name]
            print(f"  {sizes[name]:>7} ids | {s['median_us']:8.0f} {s['mean_us']:8.0f} {s['p99_us']:8.0f}")
        print(f"  big/small   | {soap['ratio_median']:8.2f}  (median ratio)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=100_000, help="identities to generate (default 100000)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--lookups", type=int, default=20_000, help="searches per base per case and round")
    parser.add_argument("--soap-lookups", type=int, default=300, help="SOAP requests per base and round (0: skip)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds")
    parser.add_argument("--compare-loaders", action="store_true", help="also time the line-tracking loaders")
    parser.add_argument("--output", type=Path, default=RESULTS_DIR / "identities.json")
    parser.add_argument("--child-load", help=argparse.SUPPRESS)
    parser.add_argument("--loader", default="fast", choices=LOADERS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_load:
        _child_load(args.child_load, args.loader)
        return 0

    with tempfile.TemporaryDirectory(prefix="bench-identities-") as workdir:
        build, path = measure_build(args.count, args.seed, Path(workdir), args.compare_loaders)
        lookups = measure_lookups(path, args.lookups, args.soap_lookups, args.rounds, args.seed)
    print_report(build, lookups)

    from faker import VERSION as FAKER_VERSION

    report = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": git_commit(),
        "environment": {
            "platform": platform.platform(),
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "faker": FAKER_VERSION,
        },
        "settings": vars(args) | {"output": str(args.output), "child_load": None},
        "build": build,
        "target_build_s": TARGET_BUILD_S,
        "lookups": lookups,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"\nwrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

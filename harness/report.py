"""Reports of a run: HTML, evidence pack (zip), requirements coverage table.

Built from ``scenarios.json`` (written by ``features/environment.py``) and the
SOAP frames saved per scenario under ``frames/``.
"""

from __future__ import annotations

import html
import io
import json
import re
import zipfile
from collections import defaultdict
from pathlib import Path

from .evidence import ScenarioRecord


def load_records(report_dir: Path) -> list[ScenarioRecord]:
    path = report_dir / "scenarios.json"
    if not path.is_file():
        return []
    return [ScenarioRecord.from_dict(item) for item in json.loads(path.read_text(encoding="utf-8"))]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "scenario"


# -- coverage -------------------------------------------------------------------


def coverage(records: list[ScenarioRecord]) -> dict[str, list[dict[str, str]]]:
    """Requirement (and CNDA test) -> the scenarios that prove it, with their verdict."""
    table: dict[str, list[dict[str, str]]] = defaultdict(list)
    for record in records:
        keys = record.requirements + [f"cnda-{number}" for number in record.cnda]
        for key in keys or ["(untagged)"]:
            table[key].append({"feature": record.feature, "scenario": record.name, "verdict": record.status})
    return dict(sorted(table.items()))


def coverage_markdown(table: dict[str, list[dict[str, str]]]) -> str:
    lines = ["| requirement | scenarios | last verdict |", "|---|---|---|"]
    for key, rows in table.items():
        verdict = "failed" if any(row["verdict"] == "failed" for row in rows) else rows[-1]["verdict"]
        names = "<br>".join(f"{row['feature']} — {row['scenario']} ({row['verdict']})" for row in rows)
        lines.append(f"| `{key}` | {names} | {verdict} |")
    return "\n".join(lines) + "\n"


# -- evidence pack --------------------------------------------------------------


def evidence_pack(records: list[ScenarioRecord], report_dir: Path) -> bytes:
    """Per CNDA test number: each scenario's request/response XML files and a summary."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as pack:
        index = []
        for number_in_run, record in enumerate(records, 1):
            folders = [f"cnda-{number}" for number in record.cnda] or ["other"]
            frames = report_dir / record.frames_zip if record.frames_zip else None
            for folder in folders:
                base = f"{folder}/{number_in_run:03d}-{_slug(record.name)[:50]}"  # unique, and short for Windows
                if frames and frames.is_file():
                    with zipfile.ZipFile(frames) as source:
                        for name in source.namelist():
                            if name.endswith(".xml"):
                                pack.writestr(f"{base}/{name}", source.read(name))
                summary = {
                    "feature": record.feature,
                    "scenario": record.name,
                    "verdict": record.status,
                    "error": record.error,
                    "tags": record.tags,
                    "session": record.session,
                    "steps": record.steps,
                    "exchanges": [
                        {
                            key: entry.get(key)
                            for key in ("rank", "time", "operation", "code_cr", "fault", "http_status")
                        }
                        for entry in record.journal
                    ],
                    "findings": record.findings,
                }
                pack.writestr(f"{base}/summary.json", json.dumps(summary, indent=2, ensure_ascii=False))
                index.append({"folder": base, "verdict": record.status, "cnda": record.cnda})
        pack.writestr("index.json", json.dumps(index, indent=2, ensure_ascii=False))
    return buffer.getvalue()


# -- HTML -----------------------------------------------------------------------


def _frames(report_dir: Path, record: ScenarioRecord) -> list[tuple[str, str]]:
    path = report_dir / record.frames_zip if record.frames_zip else None
    if not path or not path.is_file():
        return []
    with zipfile.ZipFile(path) as source:
        return [
            (name, source.read(name).decode("utf-8", errors="replace"))
            for name in sorted(source.namelist())
            if name.endswith(".xml")
        ]


def html_report(records: list[ScenarioRecord], report_dir: Path, title: str) -> str:
    e = html.escape
    passed = sum(record.status == "passed" for record in records)
    parts = [
        "<!DOCTYPE html><html lang='fr'><head><meta charset='utf-8'>",
        f"<title>{e(title)}</title><style>",
        "body{font-family:sans-serif;margin:2em}.passed{color:#176b2c}.failed{color:#b3261e}"
        ".skipped{color:#777}pre{background:#f5f5f5;padding:.5em;overflow:auto;max-height:20em}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3em .6em;vertical-align:top}",
        "</style></head><body>",
        f"<h1>{e(title)}</h1><p><b>{passed}/{len(records)}</b> scénarios réussis.</p>",
        "<h2>Couverture des exigences</h2><table><tr><th>exigence</th><th>scénarios</th></tr>",
    ]
    for key, rows in coverage(records).items():
        cells = "<br>".join(
            f"<span class='{e(r['verdict'])}'>{e(r['scenario'])} ({e(r['verdict'])})</span>" for r in rows
        )
        parts.append(f"<tr><td><code>{e(key)}</code></td><td>{cells}</td></tr>")
    parts.append("</table><h2>Scénarios</h2>")
    for record in records:
        parts.append(
            f"<h3 class='{e(record.status)}'>{e(record.feature)} — {e(record.name)} : {e(record.status)}</h3>"
            f"<p>tags: {e(' '.join('@' + t for t in record.tags))} · session <code>{e(record.session)}</code></p><ol>"
        )
        for step in record.steps:
            parts.append(f"<li class='{e(step['status'])}'>{e(step['keyword'])} {e(step['name'])}")
            if step["error"]:
                parts.append(f"<pre>{e(step['error'])}</pre>")
            parts.append("</li>")
        parts.append("</ol>")
        if record.findings:
            parts.append("<p>Constats de conformité:</p><ul>")
            parts.extend(f"<li>{e(f['rule'])} ({e(f['where'])}): {e(f['message'])}</li>" for f in record.findings)
            parts.append("</ul>")
        for name, xml in _frames(report_dir, record):
            parts.append(f"<details><summary>{e(name)}</summary><pre>{e(xml)}</pre></details>")
    parts.append("</body></html>")
    return "".join(parts)


def write_reports(report_dir: Path, title: str = "insi-harness — campagne d'accréditation") -> list[ScenarioRecord]:
    records = load_records(report_dir)
    table = coverage(records)
    (report_dir / "coverage.md").write_text(coverage_markdown(table), encoding="utf-8")
    (report_dir / "coverage.json").write_text(json.dumps(table, indent=2, ensure_ascii=False), encoding="utf-8")
    (report_dir / "evidence.zip").write_bytes(evidence_pack(records, report_dir))
    (report_dir / "report.html").write_text(html_report(records, report_dir, title), encoding="utf-8")
    return records

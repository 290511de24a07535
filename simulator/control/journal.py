"""The journal: ``/_admin/sessions/<id>/journal`` (filtered listing, one entry, zip export)."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import UTC, datetime

from flask import Blueprint, Response, jsonify, request

from ..store.journal import JournalQuery
from .errors import ApiError, bad, int_arg, session_or_404, simulator

blueprint = Blueprint("journal", __name__)

MAX_PAGE = 1000
EXPORT_LIMIT = 100_000


def _bool(name: str) -> bool | None:
    value = request.args.get(name)
    if value is None:
        return None
    if value.lower() in ("true", "1", "yes"):
        return True
    if value.lower() in ("false", "0", "no"):
        return False
    raise bad(name, f"{name} must be true or false")


def _time(name: str) -> str | None:
    """An ISO 8601 time as the journal writes them (UTC, ``+00:00``), so that they compare as text."""
    value = request.args.get(name)
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise bad(
            name, f"{name} must be an ISO 8601 time, e.g. 2026-01-31T12:00:00Z (write a '+' offset as %2B)"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def query_from_args(session_id: str, limit_default: int = 100, limit_max: int = MAX_PAGE) -> JournalQuery:
    known = {
        "operation", "code_cr", "fault", "has_findings", "nom", "prenom", "date_naissance",
        "since", "until", "offset", "limit",
    }  # fmt: skip
    unknown = set(request.args) - known
    if unknown:
        raise bad(sorted(unknown)[0], f"unknown filter {sorted(unknown)[0]!r} (known: {', '.join(sorted(known))})")
    return JournalQuery(
        session=session_id,
        operation=request.args.get("operation"),
        code_cr=request.args.get("code_cr"),
        fault=request.args.get("fault"),
        has_findings=_bool("has_findings"),
        nom_naissance=request.args.get("nom"),
        prenom=request.args.get("prenom"),
        date_naissance=request.args.get("date_naissance"),
        since=_time("since"),
        until=_time("until"),
        offset=int_arg("offset", 0, 0, 10**9),
        limit=int_arg("limit", limit_default, 1, limit_max),
    )


@blueprint.get("/sessions/<session_id>/journal")
def list_entries(session_id: str):
    session_or_404(session_id)
    query = query_from_args(session_id)
    count, entries = simulator().store.query(query)
    return jsonify(count=count, offset=query.offset, limit=query.limit, entries=[entry.summary() for entry in entries])


@blueprint.get("/sessions/<session_id>/journal/<int:entry_id>")
def get_entry(session_id: str, entry_id: int):
    session_or_404(session_id)
    entry = simulator().store.get(session_id, entry_id)
    if entry is None:
        raise ApiError(404, f"no journal entry {entry_id} in session {session_id!r}", "entry")
    return jsonify(entry.full())


@blueprint.get("/sessions/<session_id>/journal/export")
def export(session_id: str):
    """A zip: each request and response as XML files, plus index.json and index.csv."""
    session_or_404(session_id)
    count, entries = simulator().store.query(query_from_args(session_id, EXPORT_LIMIT, EXPORT_LIMIT))
    buffer = io.BytesIO()
    index = []
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for entry in entries:
            stem = f"{entry.rank:05d}-{entry.id}"
            archive.writestr(f"{stem}-request.xml", entry.request)
            archive.writestr(f"{stem}-response.xml", entry.response)
            row = entry.summary()
            row.update(request_file=f"{stem}-request.xml", response_file=f"{stem}-response.xml")
            index.append(row)
        archive.writestr("index.json", json.dumps({"session": session_id, "count": count, "entries": index}, indent=2))
        table = io.StringIO()
        columns = ["id", "rank", "time", "operation", "http_status", "code_cr", "fault", "has_findings",
                   "duration_ms", "answer", "request_file", "response_file"]  # fmt: skip
        writer = csv.DictWriter(table, columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(index)
        archive.writestr("index.csv", table.getvalue())
    return Response(
        buffer.getvalue(),
        mimetype="application/zip",
        headers={"Content-Disposition": f'attachment; filename="journal-{session_id}.zip"'},
    )

"""The :class:`~.journal.Store` in one SQLite file (WAL mode).

Requests append entries to a queue; one writer thread commits them in
batches, so a burst of concurrent requests never waits on the disk nor loses
or mixes an entry. Readers call :meth:`SqliteStore.flush` first (the admin API
does), so what was answered is always in the journal they read.
"""

from __future__ import annotations

import json
import logging
import queue
import sqlite3
import threading
import time
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ..identity.normalize import normalize_trait
from .journal import JournalEntry, JournalQuery, SessionRecord

log = logging.getLogger("insi.store")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS journal (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    session TEXT NOT NULL,
    time TEXT NOT NULL,
    operation TEXT,
    rank INTEGER NOT NULL,
    http_status INTEGER NOT NULL,
    duration_ms REAL NOT NULL,
    code_cr TEXT,
    fault TEXT,
    has_findings INTEGER NOT NULL,
    nom TEXT,
    prenoms TEXT,
    date_naissance TEXT,
    traits TEXT NOT NULL,
    headers TEXT NOT NULL,
    findings TEXT NOT NULL,
    answer TEXT NOT NULL,
    request BLOB NOT NULL,
    response BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS journal_by_session ON journal (session, id);
CREATE INDEX IF NOT EXISTS journal_by_time ON journal (time);
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY,
    created TEXT NOT NULL,
    config TEXT NOT NULL
);
"""

_COLUMNS = (
    "session, time, operation, rank, http_status, duration_ms, code_cr, fault, has_findings, nom, prenoms, "
    "date_naissance, traits, headers, findings, answer, request, response"
)
_INSERT = f"INSERT INTO journal ({_COLUMNS}) VALUES ({', '.join('?' * 18)})"  # noqa: S608 (constant)
_SELECT_ENTRIES = f"SELECT id, {_COLUMNS} FROM journal WHERE"  # noqa: S608 (constant); the conditions follow
_BATCH = 500
_GATHER_SECONDS = 0.02  # after the first entry, wait this long for others: fewer, larger commits
_STOP = object()


def _row(entry: JournalEntry) -> tuple:
    traits = entry.traits or {}
    prenoms = traits.get("Prenom") or []
    return (
        entry.session,
        entry.time,
        entry.operation,
        entry.rank,
        entry.http_status,
        entry.duration_ms,
        entry.code_cr,
        entry.fault,
        1 if entry.findings else 0,
        normalize_trait(traits.get("NomNaissance")) or None,
        " " + " ".join(normalize_trait(p) for p in prenoms) + " " if prenoms else None,
        traits.get("DateNaissance"),
        json.dumps(traits, ensure_ascii=False),
        json.dumps(entry.headers, ensure_ascii=False),
        json.dumps(entry.findings, ensure_ascii=False),
        entry.answer,
        entry.request,
        entry.response,
    )


def _entry(row: sqlite3.Row) -> JournalEntry:
    return JournalEntry(
        id=row["id"],
        session=row["session"],
        time=row["time"],
        operation=row["operation"],
        rank=row["rank"],
        http_status=row["http_status"],
        duration_ms=row["duration_ms"],
        code_cr=row["code_cr"],
        fault=row["fault"],
        traits=json.loads(row["traits"]),
        headers=json.loads(row["headers"]),
        findings=json.loads(row["findings"]),
        answer=row["answer"],
        request=row["request"],
        response=row["response"],
    )


class SqliteStore:
    def __init__(self, path: Path, retention_days: float | None = None):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.retention_days = retention_days
        self._local = threading.local()
        self._queue: queue.Queue = queue.Queue()
        self._writer_error: BaseException | None = None
        self._closed = False
        with closing(self._connect()) as connection:
            connection.executescript(_SCHEMA)
        self._purge_retention()
        self._writer = threading.Thread(target=self._write_loop, name="insi-journal-writer", daemon=True)
        self._writer.start()

    # -- connections -----------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
        connection.row_factory = sqlite3.Row
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        return connection

    def _reader(self) -> sqlite3.Connection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = self._connect()
            self._local.connection = connection
        return connection

    # -- writing ---------------------------------------------------------

    def append(self, entry: JournalEntry) -> None:
        if self._closed:
            # a request finishing after shutdown (e.g. a long injected delay): write it directly
            with closing(self._connect()) as connection:
                connection.execute(_INSERT, _row(entry))
            return
        self._queue.put(_row(entry))

    def _write_loop(self) -> None:
        connection = self._connect()
        next_purge = time.monotonic() + 3600
        while True:
            first = self._queue.get()
            if first is not _STOP:
                time.sleep(_GATHER_SECONDS)
            batch = [first]
            while len(batch) < _BATCH:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            rows = [item for item in batch if item is not _STOP]
            try:
                if rows:
                    with connection:
                        connection.execute("BEGIN")
                        connection.executemany(_INSERT, rows)
            except sqlite3.Error as error:  # keep serving; the log says what was lost
                self._writer_error = error
                log.error("journal: %d entries not written: %s", len(rows), error)
            finally:
                for _ in batch:
                    self._queue.task_done()
            if any(item is _STOP for item in batch):
                connection.close()
                return
            if time.monotonic() > next_purge:
                self._purge_retention()
                next_purge = time.monotonic() + 3600

    def flush(self) -> None:
        """Wait until every appended entry is committed."""
        if self._writer.is_alive():
            self._queue.join()

    # -- reading ---------------------------------------------------------

    def query(self, query: JournalQuery) -> tuple[int, list[JournalEntry]]:
        self.flush()
        where, params = ["session = ?"], [query.session]

        def having(condition: str, *values) -> None:
            where.append(condition)
            params.extend(values)

        if query.operation:
            having("operation = ?", query.operation)
        if query.code_cr:
            having("code_cr = ?", query.code_cr)
        if query.fault == "*":
            having("fault IS NOT NULL")
        elif query.fault:
            having("fault = ?", query.fault)
        if query.has_findings is not None:
            having("has_findings = ?", 1 if query.has_findings else 0)
        if query.nom_naissance:
            having("nom = ?", normalize_trait(query.nom_naissance))
        if query.prenom:
            having("prenoms LIKE ?", f"% {normalize_trait(query.prenom)} %")
        if query.date_naissance:
            having("date_naissance = ?", query.date_naissance)
        if query.since:
            having("time >= ?", query.since)
        if query.until:
            having("time < ?", query.until)
        clause = " AND ".join(where)
        connection = self._reader()
        count = connection.execute(f"SELECT COUNT(*) FROM journal WHERE {clause}", params).fetchone()[0]  # noqa: S608
        rows = connection.execute(
            f"{_SELECT_ENTRIES} {clause} ORDER BY id LIMIT ? OFFSET ?",
            [*params, query.limit, query.offset],
        ).fetchall()
        return count, [_entry(row) for row in rows]

    def get(self, session: str, entry_id: int) -> JournalEntry | None:
        self.flush()
        row = self._reader().execute(f"{_SELECT_ENTRIES} session = ? AND id = ?", (session, entry_id)).fetchone()
        return _entry(row) if row else None

    def max_rank(self, session: str) -> int:
        self.flush()
        row = self._reader().execute("SELECT MAX(rank) FROM journal WHERE session = ?", (session,)).fetchone()
        return row[0] or 0

    def message_ids(self, session: str) -> set[str]:
        self.flush()
        rows = self._reader().execute("SELECT headers FROM journal WHERE session = ?", (session,)).fetchall()
        found = (json.loads(row[0]).get("message_id") for row in rows)
        return {message_id for message_id in found if message_id}

    def delete_journal(self, session: str) -> None:
        self.flush()
        self._reader().execute("DELETE FROM journal WHERE session = ?", (session,))

    def purge_older_than(self, iso_time: str) -> int:
        self.flush()
        return self._reader().execute("DELETE FROM journal WHERE time < ?", (iso_time,)).rowcount

    def _purge_retention(self) -> None:
        if self.retention_days is None:
            return
        limit = (datetime.now(UTC) - timedelta(days=self.retention_days)).isoformat()
        with closing(self._connect()) as connection:
            removed = connection.execute("DELETE FROM journal WHERE time < ?", (limit,)).rowcount
        if removed:
            log.info("journal: %d entries older than %s days removed", removed, self.retention_days)

    # -- sessions --------------------------------------------------------

    def save_session(self, record: SessionRecord) -> None:
        self._reader().execute(
            "INSERT INTO sessions (id, created, config) VALUES (?, ?, ?) "
            "ON CONFLICT(id) DO UPDATE SET config = excluded.config",
            (record.id, record.created, json.dumps(record.config, ensure_ascii=False)),
        )

    def load_sessions(self) -> list[SessionRecord]:
        rows = self._reader().execute("SELECT id, created, config FROM sessions ORDER BY created").fetchall()
        return [SessionRecord(row["id"], row["created"], json.loads(row["config"])) for row in rows]

    def delete_session(self, session: str) -> None:
        self.delete_journal(session)
        self._reader().execute("DELETE FROM sessions WHERE id = ?", (session,))

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._queue.put(_STOP)
        self._writer.join(timeout=30)
        connection = getattr(self._local, "connection", None)
        if connection is not None:
            connection.close()
            self._local.connection = None

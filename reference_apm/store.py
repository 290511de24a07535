"""The patient registry on disk: one SQLite file.

One connection shared by the waitress threads, every statement under a lock:
the reference APM is small, and a shared connection keeps a ``:memory:``
database usable too.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path

from .model import InsIdentifier, Patient

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS patients (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    nom_naissance  TEXT NOT NULL,
    prenoms        TEXT NOT NULL,            -- JSON list, birth order
    sexe           TEXT NOT NULL,
    date_naissance TEXT NOT NULL,            -- DateLunaire, never parsed as a date
    lieu_naissance TEXT,
    status         TEXT NOT NULL,
    ins_obtained   INTEGER NOT NULL DEFAULT 0,
    matricule      TEXT,
    cle            TEXT,
    oid            TEXT,
    ins_histo      TEXT NOT NULL DEFAULT '[]',  -- JSON: former INS, history only
    last_code_cr   TEXT,
    last_outcome   TEXT,
    id_document    TEXT,                     -- JSON {type, high_trust}
    messages       TEXT NOT NULL DEFAULT '[]',
    updated        TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS messages (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    time       TEXT NOT NULL,
    patient_id INTEGER,
    text       TEXT NOT NULL
);
"""

_COLUMNS = (
    "nom_naissance, prenoms, sexe, date_naissance, lieu_naissance, status, ins_obtained, matricule, cle, oid, "
    "ins_histo, last_code_cr, last_outcome, id_document, messages, updated"
)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


class PatientStore:
    def __init__(self, path: str | Path):
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        with self._lock:
            self._db.executescript(_SCHEMA)
            # The installation's identity, sent as ContexteLPS/LPS/Instance: made once, kept with the data.
            self._db.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('instance', ?)", (str(uuid.uuid4()),))

    # -- settings kept with the registry ---------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row["value"] if row else None

    def set_meta(self, key: str, value: str) -> None:
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    @property
    def instance(self) -> str:
        instance = self.get_meta("instance")
        assert instance is not None  # written at creation
        return instance

    # -- patients ------------------------------------------------------------------------------

    def add(self, patient: Patient) -> Patient:
        with self._lock:
            cursor = self._db.execute(
                f"INSERT INTO patients ({_COLUMNS}) VALUES ({', '.join('?' * 16)})",  # noqa: S608 (constant columns)
                self._values(patient),
            )
        patient.id = str(cursor.lastrowid)
        return patient

    def save(self, patient: Patient) -> None:
        assignments = ", ".join(f"{column.strip()} = ?" for column in _COLUMNS.split(","))
        with self._lock:
            self._db.execute(
                f"UPDATE patients SET {assignments} WHERE id = ?",  # noqa: S608 (constant columns)
                (*self._values(patient), int(patient.id)),
            )

    def get(self, patient_id: str) -> Patient | None:
        if not patient_id.isdigit():
            return None
        with self._lock:
            row = self._db.execute("SELECT * FROM patients WHERE id = ?", (int(patient_id),)).fetchone()
        return self._patient(row) if row else None

    def all(self) -> list[Patient]:
        with self._lock:
            rows = self._db.execute("SELECT * FROM patients ORDER BY id").fetchall()
        return [self._patient(row) for row in rows]

    # -- messages shown to the user --------------------------------------------------------

    def add_message(self, text: str, patient_id: str | None) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO messages (time, patient_id, text) VALUES (?, ?, ?)",
                (_now(), int(patient_id) if patient_id else None, text),
            )

    def last_message(self) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT text FROM messages ORDER BY id DESC LIMIT 1").fetchone()
        return row["text"] if row else None

    def reset(self) -> None:
        """Empty registry (patients, messages; ids start again at 1). Settings and instance stay."""
        with self._lock:
            self._db.execute("BEGIN")
            self._db.execute("DELETE FROM patients")
            self._db.execute("DELETE FROM messages")
            self._db.execute("DELETE FROM sqlite_sequence WHERE name IN ('patients', 'messages')")
            self._db.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- rows -------------------------------------------------------------------------------------

    @staticmethod
    def _values(patient: Patient) -> tuple:
        return (
            patient.nom_naissance,
            json.dumps(patient.prenoms),
            patient.sexe,
            patient.date_naissance,
            patient.lieu_naissance,
            patient.status,
            int(patient.ins_obtained),
            patient.matricule,
            patient.cle,
            patient.oid,
            json.dumps([histo.to_json() for histo in patient.ins_histo]),
            patient.last_code_cr,
            patient.last_outcome,
            json.dumps(patient.id_document) if patient.id_document else None,
            json.dumps(patient.messages),
            _now(),
        )

    @staticmethod
    def _patient(row: sqlite3.Row) -> Patient:
        return Patient(
            id=str(row["id"]),
            nom_naissance=row["nom_naissance"],
            prenoms=json.loads(row["prenoms"]),
            sexe=row["sexe"],
            date_naissance=row["date_naissance"],
            lieu_naissance=row["lieu_naissance"],
            status=row["status"],
            ins_obtained=bool(row["ins_obtained"]),
            matricule=row["matricule"],
            cle=row["cle"],
            oid=row["oid"],
            ins_histo=[InsIdentifier(**histo) for histo in json.loads(row["ins_histo"])],
            last_code_cr=row["last_code_cr"],
            last_outcome=row["last_outcome"],
            id_document=json.loads(row["id_document"]) if row["id_document"] else None,
            messages=json.loads(row["messages"]),
        )

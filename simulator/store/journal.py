"""The request journal: what the software under test sent, and what it got.

:class:`Store` is the one small interface the rest of the simulator uses;
:mod:`.sqlite` implements it with SQLite (the default). A server database can
replace it by implementing the same methods.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Protocol


@dataclass
class JournalEntry:
    """One SOAP request to the simulator and its answer."""

    session: str
    time: str  # ISO 8601, UTC
    operation: str | None
    rank: int  # 1 for the first SOAP request of the session, 2 for the next…
    http_status: int
    duration_ms: float
    request: bytes
    response: bytes
    code_cr: str | None = None
    fault: str | None = None  # detail code of the fault answered (insi_102, sim_xml…)
    traits: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, Any] = field(default_factory=dict)
    findings: list[dict[str, Any]] = field(default_factory=list)
    answer: str = ""  # what decided the answer (rule id, "found …", injected fault…)
    id: int | None = None

    def summary(self) -> dict[str, Any]:
        """The entry without the raw XML (for listings)."""
        data = asdict(self)
        del data["request"], data["response"]
        data["has_findings"] = bool(self.findings)
        return data

    def full(self) -> dict[str, Any]:
        data = self.summary()
        data["request_xml"] = self.request.decode("utf-8", errors="replace")
        data["response_xml"] = self.response.decode("utf-8", errors="replace")
        return data


@dataclass
class JournalQuery:
    """Filters of a journal listing (all optional, combined with AND)."""

    session: str
    operation: str | None = None
    code_cr: str | None = None
    fault: str | None = None  # a detail code, or "*" for any fault
    has_findings: bool | None = None
    nom_naissance: str | None = None
    prenom: str | None = None
    date_naissance: str | None = None
    since: str | None = None  # ISO time, inclusive
    until: str | None = None  # ISO time, exclusive
    offset: int = 0
    limit: int = 100


@dataclass
class SessionRecord:
    """What is kept of a session across restarts."""

    id: str
    created: str
    config: dict[str, Any]


class Store(Protocol):
    # journal
    def append(self, entry: JournalEntry) -> None: ...
    def flush(self) -> None: ...
    def query(self, query: JournalQuery) -> tuple[int, list[JournalEntry]]: ...
    def get(self, session: str, entry_id: int) -> JournalEntry | None: ...
    def delete_journal(self, session: str) -> None: ...
    def purge_older_than(self, iso_time: str) -> int: ...

    # sessions
    def save_session(self, record: SessionRecord) -> None: ...
    def load_sessions(self) -> list[SessionRecord]: ...
    def delete_session(self, session: str) -> None: ...
    def max_rank(self, session: str) -> int: ...
    def message_ids(self, session: str) -> set[str]: ...

    def close(self) -> None: ...

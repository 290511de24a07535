"""A session: what one run of the software under test sees and changed.

Sessions isolate concurrent runs (many CI pipelines on one simulator): each
has its own identities on top of the shared base, its active scenario packs,
its injected faults, its call counter and the MessageIDs it has seen.
"""

from __future__ import annotations

import itertools
import threading
from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum

from ..engine.messages import TraitsQuery, VitaleQuery
from ..identity.base import FirstNameMatch, Identity, IdentityBase, add_rows
from .rules import AnswerStep, Rule


class Profile(StrEnum):
    PRODUCTION = "production"
    QUALIFICATION = "qualification"


@dataclass
class Injection:
    """A rule injected through the admin API for the next ``remaining`` matching
    requests (``None``: until cleared)."""

    id: str
    rule: Rule
    remaining: int | None = None
    used: int = 0


class SessionIdentities:
    """The shared base, minus the ids a session removed, plus what it added."""

    def __init__(self, shared: IdentityBase):
        self.shared = shared
        self.own = IdentityBase()
        self.rows: list[dict] = []  # what was added, as data (saved with the session)
        self.removed: set[str] = set()

    def add_rows(self, rows: list[dict], label: str) -> None:
        """Add identity rows (base-file format); all or nothing."""
        candidate = IdentityBase()
        add_rows(candidate, [*self.rows, *rows], label)
        clash = [row["id"] for row in rows if row["id"] in self.shared.identities and row["id"] not in self.removed]
        if clash:
            raise ValueError(f"identity id {clash[0]!r} is already in the base")
        self.own, self.rows = candidate, [*self.rows, *rows]
        self.removed -= {row["id"] for row in rows}

    def remove(self, identity_id: str) -> bool:
        if identity_id in self.own.identities:
            rows = [row for row in self.rows if row["id"] != identity_id]
            candidate = IdentityBase()
            add_rows(candidate, rows, "session")
            self.own, self.rows = candidate, rows
            return True
        if identity_id in self.shared.identities and identity_id not in self.removed:
            self.removed.add(identity_id)
            return True
        return False

    def reset(self) -> None:
        self.own, self.rows, self.removed = IdentityBase(), [], set()

    def get(self, identity_id: str) -> Identity | None:
        if identity_id in self.own.identities:
            return self.own.identities[identity_id]
        if identity_id in self.removed:
            return None
        return self.shared.identities.get(identity_id)

    def __contains__(self, identity_id: str) -> bool:
        return self.get(identity_id) is not None

    def __len__(self) -> int:
        shared = sum(1 for identity_id in self.shared.identities if identity_id not in self.removed)
        return shared + sum(1 for identity_id in self.own.identities if identity_id not in self.shared.identities)

    def all(self):
        for identity_id, identity in self.shared.identities.items():
            if identity_id not in self.removed and identity_id not in self.own.identities:
                yield identity
        yield from self.own.identities.values()

    def _visible(self, found: list[Identity]) -> list[Identity]:
        return [identity for identity in found if self.get(identity.id) is identity]

    def search_traits(self, query: TraitsQuery, first_names: FirstNameMatch) -> list[Identity]:
        return self._visible(self.shared.search_traits(query, first_names) + self.own.search_traits(query, first_names))

    def search_vitale(self, query: VitaleQuery) -> list[Identity]:
        return self._visible(self.shared.search_vitale(query) + self.own.search_vitale(query))

    def knows_traits(self, query: TraitsQuery) -> bool:
        """Someone visible in this session has this birth name, sex and birth date."""
        return any(self.get(i.id) is i for i in self.shared.candidates(query) + self.own.candidates(query))

    def knows_card(self, query: VitaleQuery) -> bool:
        """A beneficiary visible in this session is on this card (or has this matricule)."""
        return any(self.get(b.identity.id) is b.identity for b in self.shared.card(query) + self.own.card(query))

    @property
    def beneficiaries(self):
        return self.shared.beneficiaries + self.own.beneficiaries


@dataclass
class Session:
    id: str
    identities: SessionIdentities
    rules: list[Rule] = field(default_factory=list)  # the embedded default rules, then the active packs'
    packs: list[str] = field(default_factory=list)
    profile: Profile = Profile.PRODUCTION
    first_names: FirstNameMatch = FirstNameMatch.FIRST_OR_LIST
    authorized_idams: frozenset[str] | None = None  # None: any non-empty IDAM
    idam: str | None = None  # a session bound to one IDAM answers desir_550 to the others
    requires_security: bool = False  # the APM authenticates with a CPx card (wsse:Security expected)
    created: str = ""
    injections: list[Injection] = field(default_factory=list)
    message_ids: set[str] = field(default_factory=set)
    calls: int = 0
    _hits: Counter = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _injection_ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    @property
    def base(self) -> SessionIdentities:
        return self.identities

    def next_rank(self) -> int:
        with self._lock:
            self.calls += 1
            return self.calls

    def remember_message_id(self, message_id: str | None) -> frozenset[str]:
        """Record ``message_id``; returns it alone when it was seen before (else nothing).

        (The conformance check only asks whether this id is among those seen.)
        """
        if not message_id:
            return frozenset()
        with self._lock:
            seen = message_id in self.message_ids
            self.message_ids.add(message_id)
        return frozenset((message_id,)) if seen else frozenset()

    def hit(self, rule: Rule) -> AnswerStep:
        """The step answered by this match of ``rule`` (sequences advance per session and rule)."""
        key = (rule.pack, rule.id)
        with self._lock:
            count = self._hits[key]
            self._hits[key] += 1
        return rule.step(count)

    def take_injection(self, request, rank: int, has_findings: bool, known=None) -> tuple[Injection, AnswerStep] | None:
        """The first injected fault matching this request, used once."""
        with self._lock:
            for injection in self.injections:
                if injection.remaining == 0 or not injection.rule.matches(request, rank, has_findings, known):
                    continue
                step = injection.rule.step(injection.used)
                injection.used += 1
                if injection.remaining is not None:
                    injection.remaining -= 1
                self.injections = [i for i in self.injections if i.remaining != 0]
                return injection, step
        return None

    def inject(self, rule: Rule, times: int | None) -> Injection:
        with self._lock:
            injection = Injection(f"f{next(self._injection_ids)}", rule, times)
            self.injections.append(injection)
            return injection

    def clear_injections(self, injection_id: str | None = None) -> int:
        with self._lock:
            before = len(self.injections)
            self.injections = [i for i in self.injections if injection_id is not None and i.id != injection_id]
            return before - len(self.injections)

    def reset_counters(self) -> None:
        with self._lock:
            self.calls = 0
            self._hits.clear()
            self.message_ids.clear()

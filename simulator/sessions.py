"""Sessions and scenario packs, kept across restarts.

:class:`PackLibrary` knows the scenario packs: the YAML files shipped in
``scenarios/`` and those uploaded through the admin API (kept under
``--data``). :class:`SessionRegistry` creates, finds, resets and deletes
sessions; each session's settings, packs and identities are saved in the
store, its journal too, so a restart loses neither.
"""

from __future__ import annotations

import re
import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .datafile import DataFileError, check_schema, load_yaml, parse_yaml
from .engine.rules import RULES_SCHEMA, Rule, rules_from_data
from .engine.session import Profile, Session, SessionIdentities
from .identity.base import FirstNameMatch, IdentityBase
from .store.journal import SessionRecord, Store

DEFAULT_SESSION_ID = "default"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def valid_name(name: str) -> bool:
    """Session ids and pack names: letters, digits, ``_ . -``, at most 64."""
    return bool(_NAME.fullmatch(name or ""))


class PackLibrary:
    def __init__(self, builtin_dir: Path, upload_dir: Path, fault_keys, identity_ids, default_pack: str = "default"):
        self.builtin_dir = builtin_dir
        self.upload_dir = upload_dir
        self.fault_keys = set(fault_keys)
        self.identity_ids = identity_ids
        self.default_pack = default_pack
        self._cache: dict[str, tuple[dict, list[Rule]]] = {}
        self._lock = threading.Lock()
        upload_dir.mkdir(parents=True, exist_ok=True)

    def _path(self, name: str) -> Path | None:
        for folder in (self.upload_dir, self.builtin_dir):
            path = folder / f"{name}.yaml"
            if path.is_file():
                return path
        return None

    def names(self) -> list[str]:
        found = {path.stem for folder in (self.builtin_dir, self.upload_dir) for path in folder.glob("*.yaml")}
        return sorted(found - {self.default_pack})

    def get(self, name: str) -> tuple[dict, list[Rule]]:
        """The pack's data and rules; raises ``KeyError`` or :class:`DataFileError`."""
        with self._lock:
            if name not in self._cache:
                path = self._path(name) if valid_name(name) else None
                if path is None:
                    raise KeyError(name)
                data = load_yaml(path, RULES_SCHEMA)
                self._cache[name] = (data, rules_from_data(data, path, self.identity_ids, self.fault_keys, name))
            return self._cache[name]

    def rules(self, name: str) -> list[Rule]:
        return self.get(name)[1]

    def describe(self, name: str) -> dict[str, Any]:
        data, rules = self.get(name)
        return {
            "name": name,
            "description": data.get("description", ""),
            "builtin": (self.builtin_dir / f"{name}.yaml").is_file(),
            "rules": [{"id": rule.id, "description": rule.description, "cnda": rule.cnda or None} for rule in rules],
        }

    def upload(self, name: str, text: str) -> dict[str, Any]:
        """Check an uploaded pack (errors name the line) and keep it under --data."""
        if (self.builtin_dir / f"{name}.yaml").is_file():
            raise DataFileError(
                f"{name}.yaml (uploaded)", None, f"{name!r} is a pack shipped with insi-harness: choose another name"
            )
        label = f"{name}.yaml (uploaded)"
        data = parse_yaml(text, label)
        check_schema(data, RULES_SCHEMA, label)
        rules = rules_from_data(data, Path(label), self.identity_ids, self.fault_keys, name)
        (self.upload_dir / f"{name}.yaml").write_text(text, encoding="utf-8")
        with self._lock:
            self._cache[name] = (data, rules)
        return self.describe(name)


class SessionRegistry:
    def __init__(
        self,
        store: Store,
        shared_base: IdentityBase,
        default_rules: list[Rule],
        packs: PackLibrary,
        defaults: dict[str, Any],
    ):
        self.store = store
        self.shared_base = shared_base
        self.default_rules = default_rules
        self.packs = packs
        self.defaults = defaults  # profile, first_names, authorized_idams of the simulator
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()
        self._restore()
        default = self._sessions.get(DEFAULT_SESSION_ID)
        if default is None:
            default = self._build(DEFAULT_SESSION_ID, {}, _now())
            default.calls = store.max_rank(DEFAULT_SESSION_ID)
            default.message_ids = store.message_ids(DEFAULT_SESSION_ID)
            self._sessions[DEFAULT_SESSION_ID] = default
        # the command line decides the default session's profile, whatever was saved
        default.profile = Profile(defaults["profile"])
        default.first_names = FirstNameMatch(defaults["first_names"])
        self.save(default)

    # -- building --------------------------------------------------------

    def _build(self, session_id: str, config: dict[str, Any], created: str) -> Session:
        identities = SessionIdentities(self.shared_base)
        session = Session(
            id=session_id,
            identities=identities,
            profile=Profile(config.get("profile") or self.defaults["profile"]),
            first_names=FirstNameMatch(config.get("first_names") or self.defaults["first_names"]),
            authorized_idams=self.defaults["authorized_idams"],
            idam=config.get("idam"),
            requires_security=bool(config.get("requires_security", False)),
            created=created,
        )
        if config.get("identities"):
            identities.add_rows(config["identities"], f"session {session_id}")
        identities.removed = set(config.get("removed", []))
        self._set_packs(session, config.get("packs", []))
        return session

    def _set_packs(self, session: Session, names: list[str]) -> None:
        rules = list(self.default_rules)
        for name in names:
            rules.extend(self.packs.rules(name))
        session.packs = list(names)
        # rules on in_base stand in for the base: after every other rule, whatever the pack order
        session.rules = [rule for rule in rules if not rule.is_fallback] + [rule for rule in rules if rule.is_fallback]

    def config_of(self, session: Session) -> dict[str, Any]:
        return {
            "profile": session.profile.value,
            "first_names": session.first_names.value,
            "idam": session.idam,
            "requires_security": session.requires_security,
            "packs": session.packs,
            "identities": session.identities.rows,
            "removed": sorted(session.identities.removed),
        }

    def save(self, session: Session) -> None:
        self.store.save_session(SessionRecord(session.id, session.created, self.config_of(session)))

    def _restore(self) -> None:
        for record in self.store.load_sessions():
            try:
                session = self._build(record.id, record.config, record.created)
            except (DataFileError, KeyError, ValueError) as error:
                raise DataFileError(self.store_path, None, f"session {record.id} cannot be restored: {error}") from None
            session.calls = self.store.max_rank(record.id)
            session.message_ids = self.store.message_ids(record.id)
            self._sessions[record.id] = session

    @property
    def store_path(self) -> str:
        return str(getattr(self.store, "path", "store"))

    # -- API ---------------------------------------------------------------

    @property
    def default(self) -> Session:
        return self._sessions[DEFAULT_SESSION_ID]

    def get(self, session_id: str) -> Session | None:
        return self._sessions.get(session_id)

    def all(self) -> list[Session]:
        return list(self._sessions.values())

    def create(self, session_id: str | None = None, **config: Any) -> Session:
        """A new session; ``config`` keys: profile, first_names, idam, requires_security, packs."""
        session_id = session_id or uuid.uuid4().hex[:12]
        with self._lock:
            if session_id in self._sessions:
                raise KeyError(session_id)
            session = self._build(session_id, config, _now())
            self._sessions[session_id] = session
        self.save(session)
        return session

    def set_packs(self, session: Session, names: list[str]) -> None:
        for name in names:
            self.packs.get(name)  # raises for an unknown or broken pack
        self._set_packs(session, names)
        self.save(session)

    def reset(self, session: Session) -> None:
        """Back to a fresh start: journal, counters, injected faults and identities; settings and packs kept."""
        self.store.delete_journal(session.id)
        session.reset_counters()
        session.clear_injections()
        session.identities.reset()
        self.save(session)

    def delete(self, session_id: str) -> bool:
        if session_id == DEFAULT_SESSION_ID:
            raise ValueError("the default session cannot be deleted (reset it instead)")
        with self._lock:
            session = self._sessions.pop(session_id, None)
        if session is None:
            return False
        self.store.delete_session(session_id)
        return True

    def reset_all(self) -> None:
        for session in self.all():
            if session.id != DEFAULT_SESSION_ID:
                self.delete(session.id)
        self.reset(self.default)


def _now() -> str:
    return datetime.now(UTC).isoformat()

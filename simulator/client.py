"""A small Python client of the admin API (``/_admin``), for tests and harnesses.

    from simulator.client import AdminClient

    with AdminClient("http://localhost:8080", token="secret") as admin:
        session = admin.create_session(id="ci-42", profile="qualification")
        url = admin.soap_url("ci-42")          # where the software under test sends its requests
        admin.inject_fault("ci-42", {"fault": "insi_102"}, times=1)
        ...
        page = admin.journal("ci-42", operation="rechercherInsAvecTraitsIdentite", has_findings=True)

Every method makes one HTTP call; an answer of 400 or more raises
:class:`AdminError` with the status, the message and the field the API named.
The API is described by ``GET /_admin/openapi.json`` (:meth:`AdminClient.openapi`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import quote

import requests

__all__ = ["AdminClient", "AdminError"]

PREFIX = "/_admin"


class AdminError(Exception):
    """An error answer of the admin API: ``status`` (HTTP), ``message``, ``field`` (or ``None``)."""

    def __init__(self, status: int, message: str, field: str | None = None):
        self.status = status
        self.message = message
        self.field = field
        super().__init__(f"{status}: {message}" + (f" (field {field})" if field else ""))


def _segment(value: str | int) -> str:
    return quote(str(value), safe="")


def _filters(filters: Mapping[str, Any]) -> dict[str, str]:
    """Journal filters as query parameters: ``None`` left out, booleans as true/false, datetimes as ISO."""
    params = {}
    for name, value in filters.items():
        if value is None:
            continue
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif isinstance(value, datetime):
            value = value.isoformat()
        params[name] = str(value)
    return params


class AdminClient:
    """Client of the admin API of one simulator (``base_url``: scheme, host and port)."""

    def __init__(self, base_url: str, token: str | None = None, timeout: float = 10):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.http = requests.Session()
        if token:
            self.http.headers["Authorization"] = f"Bearer {token}"

    def close(self) -> None:
        """Close the client's connections now: urllib3 2 leaves pooled sockets open until they are
        garbage collected, which keeps a server that is stopping waiting for them."""
        for adapter in self.http.adapters.values():
            pools = getattr(getattr(adapter, "poolmanager", None), "pools", None)
            for key in list(pools.keys()) if pools is not None else ():
                pool = pools.get(key)
                if pool is not None:
                    pool.close()
        self.http.close()

    def __enter__(self) -> AdminClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- plumbing --------------------------------------------------------

    def _call(self, method: str, path: str, **kwargs) -> requests.Response:
        response = self.http.request(method, f"{self.base_url}{PREFIX}{path}", timeout=self.timeout, **kwargs)
        if response.status_code >= 400:
            message, field = response.text.strip() or response.reason, None
            try:
                body = response.json()
            except ValueError:
                body = None
            if isinstance(body, dict) and "error" in body:
                message, field = str(body["error"]), body.get("field")
            raise AdminError(response.status_code, message, field)
        return response

    def _json(self, method: str, path: str, **kwargs) -> Any:
        return self._call(method, path, **kwargs).json()

    @staticmethod
    def _session(session: str) -> str:
        return f"/sessions/{_segment(session)}"

    # -- health and description ------------------------------------------

    def health(self) -> dict:
        return self._json("GET", "/health")

    def openapi(self) -> dict:
        """The OpenAPI document of the admin API."""
        return self._json("GET", "/openapi.json")

    # -- sessions --------------------------------------------------------

    def create_session(self, **config: Any) -> dict:
        """A new session; ``config``: id, profile, first_names, idam, requires_security, packs."""
        return self._json("POST", "/sessions", json=config)

    def sessions(self) -> list[dict]:
        return self._json("GET", "/sessions")["sessions"]

    def session(self, session_id: str) -> dict:
        return self._json("GET", self._session(session_id))

    def delete_session(self, session_id: str) -> None:
        self._call("DELETE", self._session(session_id))

    def reset_session(self, session_id: str) -> dict:
        """Journal, counters, injected faults and identities back to a fresh start; returns the session."""
        return self._json("POST", f"{self._session(session_id)}/reset")

    def reset_all(self) -> list[dict]:
        """Delete every session but the default one, reset that one; returns the sessions left."""
        return self._json("POST", "/reset")["sessions"]

    def soap_url(self, session_id: str = "default") -> str:
        """The SOAP endpoint of a session (``/lps`` for the default one)."""
        if session_id == "default":
            return f"{self.base_url}/lps"
        return f"{self.base_url}/s/{_segment(session_id)}/lps"

    # -- journal ---------------------------------------------------------

    def journal(self, session_id: str, **filters: Any) -> dict:
        """One page: ``{count, offset, limit, entries}``. Filters: operation, code_cr, fault ('*': any),
        has_findings, nom, prenom, date_naissance, since, until (ISO text or datetime), offset, limit."""
        return self._json("GET", f"{self._session(session_id)}/journal", params=_filters(filters))

    def entry(self, session_id: str, entry_id: int) -> dict:
        """One journal entry, with ``request_xml`` and ``response_xml``."""
        return self._json("GET", f"{self._session(session_id)}/journal/{int(entry_id)}")

    def export_journal(self, session_id: str, **filters: Any) -> bytes:
        """The journal as a zip (XML files, index.json, index.csv); same filters as :meth:`journal`."""
        return self._call("GET", f"{self._session(session_id)}/journal/export", params=_filters(filters)).content

    # -- scenario packs --------------------------------------------------

    def packs(self) -> list[dict]:
        return self._json("GET", "/scenarios")["packs"]

    def pack(self, name: str) -> dict:
        return self._json("GET", f"/scenarios/{_segment(name)}")

    def upload_pack(self, name: str, yaml_text: str) -> dict:
        """Upload (or replace) a pack; a 400 names the faulty line."""
        return self._json(
            "PUT",
            f"/scenarios/{_segment(name)}",
            data=yaml_text.encode("utf-8"),
            headers={"Content-Type": "application/yaml; charset=utf-8"},
        )

    def active_packs(self, session_id: str) -> list[str]:
        return self._json("GET", f"{self._session(session_id)}/scenarios")["packs"]

    def activate_pack(self, session_id: str, name: str) -> list[str]:
        """Activate a pack in a session; returns the active packs."""
        return self._json("POST", f"{self._session(session_id)}/scenarios", json={"name": name})["packs"]

    def deactivate_pack(self, session_id: str, name: str) -> list[str]:
        """Deactivate a pack in a session; returns the packs still active."""
        return self._json("DELETE", f"{self._session(session_id)}/scenarios/{_segment(name)}")["packs"]

    # -- identities ------------------------------------------------------

    def identities(self, session_id: str, offset: int = 0, limit: int = 100) -> dict:
        """One page: ``{count, offset, limit, identities}``."""
        return self._json("GET", f"{self._session(session_id)}/identities", params={"offset": offset, "limit": limit})

    def add_identities(self, session_id: str, rows: Iterable[Mapping] | Mapping | str) -> dict:
        """Add identities (base-file format): a list of rows, a ``{"identities": [...]}`` mapping,
        or YAML text (sent as ``application/yaml``). Returns ``{added, identities}``."""
        path = f"{self._session(session_id)}/identities"
        if isinstance(rows, str):
            headers = {"Content-Type": "application/yaml; charset=utf-8"}
            return self._json("POST", path, data=rows.encode("utf-8"), headers=headers)
        body = dict(rows) if isinstance(rows, Mapping) else {"identities": [dict(row) for row in rows]}
        return self._json("POST", path, json=body)

    def remove_identity(self, session_id: str, identity_id: str) -> None:
        self._call("DELETE", f"{self._session(session_id)}/identities/{_segment(identity_id)}")

    def reset_identities(self, session_id: str) -> int:
        """Back to the shared base; returns how many identities the session knows."""
        return self._json("POST", f"{self._session(session_id)}/identities/reset")["identities"]

    # -- fault injection -------------------------------------------------

    def inject_fault(
        self,
        session_id: str,
        answer: Mapping[str, Any],
        when: Mapping[str, Any] | None = None,
        times: int | None = None,
        id: str | None = None,
    ) -> dict:
        """Inject a rule for the next ``times`` matching requests (``None``: until cleared);
        ``id`` names the rule in the journal. Returns ``{id, rule, remaining, used}``."""
        body: dict[str, Any] = {"answer": dict(answer)}
        if when is not None:
            body["when"] = dict(when)
        if times is not None:
            body["times"] = times
        if id is not None:
            body["id"] = id
        return self._json("POST", f"{self._session(session_id)}/faults", json=body)

    def faults(self, session_id: str) -> list[dict]:
        return self._json("GET", f"{self._session(session_id)}/faults")["faults"]

    def clear_faults(self, session_id: str, fault_id: str | None = None) -> int:
        """Clear every injected fault, or one (``fault_id``); returns how many were cleared."""
        if fault_id is None:
            return self._json("DELETE", f"{self._session(session_id)}/faults")["cleared"]
        self._call("DELETE", f"{self._session(session_id)}/faults/{_segment(fault_id)}")
        return 1

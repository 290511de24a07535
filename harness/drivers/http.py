"""Drive an APM through its HTTP test port (``harness/test_port.openapi.yaml``)."""

from __future__ import annotations

from typing import Any

import requests

from .base import DriverError, SearchOutcome


class HttpDriver:
    def __init__(self, base_url: str, timeout: float = 60.0):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.http = requests.Session()

    def _call(self, method: str, path: str, **kwargs) -> Any:
        url = f"{self.base_url}/test-port{path}"
        try:
            response = self.http.request(method, url, timeout=self.timeout, **kwargs)
        except requests.RequestException as error:
            raise DriverError(f"{method} {url}: the APM's test port did not answer ({error})") from None
        if response.status_code >= 400:
            raise DriverError(f"{method} {url}: HTTP {response.status_code} {response.text[:300]}")
        return response.json() if response.content else None

    def reset(self) -> None:
        self._call("POST", "/reset")

    def configure(self, insi_endpoint: str, idam: str | None = None) -> None:
        body = {"insi_endpoint": insi_endpoint}
        if idam:
            body["idam"] = idam
        self._call("POST", "/config", json=body)

    def create_patient(self, traits: dict[str, Any]) -> str:
        return str(self._call("POST", "/patients", json=traits)["id"])

    def record_id_document(self, patient_id: str, document_type: str, high_trust: bool = True) -> dict[str, Any]:
        return self._call(
            "POST", f"/patients/{patient_id}/id-document", json={"type": document_type, "high_trust": high_trust}
        )

    def search_traits(
        self, patient_id: str, prenom: str | None = None, with_birth_place: bool = False, strategy: bool = False
    ) -> SearchOutcome:
        body: dict[str, Any] = {"with_birth_place": with_birth_place, "strategy": strategy}
        if prenom is not None:
            body["prenom"] = prenom
        return SearchOutcome.from_json(self._call("POST", f"/patients/{patient_id}/insi/traits", json=body))

    def search_vitale(self, patient_id: str, card: dict[str, Any]) -> SearchOutcome:
        return SearchOutcome.from_json(self._call("POST", f"/patients/{patient_id}/insi/vitale", json=card))

    def patient(self, patient_id: str) -> dict[str, Any]:
        return self._call("GET", f"/patients/{patient_id}")

    def export(self, patient_id: str, fmt: str) -> str:
        return self._call("GET", f"/patients/{patient_id}/export", params={"format": fmt})["content"]

    def last_message(self) -> str:
        return (self._call("GET", "/messages/last") or {}).get("message", "")

    def close(self) -> None:
        self.http.close()

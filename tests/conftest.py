from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from werkzeug.test import Client

from simulator.app import create_app
from simulator.config import Settings
from simulator.engine.engine import Profile
from simulator.server import make_server, stop_threaded

from .soap_helpers import CONTENT_TYPE

REPO = Path(__file__).resolve().parent.parent


def reference_dir() -> Path | None:
    """The official INSi material (WSDL/XSD, CNDA files), outside the project."""
    configured = os.environ.get("INSI_REFERENCE_DIR")
    candidate = Path(configured) if configured else REPO.parent / "shared" / "insi-reference"
    return candidate if candidate.is_dir() else None


@pytest.fixture(scope="session")
def reference() -> Path:
    found = reference_dir()
    if found is None:
        pytest.skip(
            "official INSi reference material not found: set INSI_REFERENCE_DIR to the "
            "insi-reference folder (CI has it at ../shared/insi-reference)"
        )
    return found


def make_simulator(tmp_path: Path, **overrides):
    return create_app(Settings(data_dir=tmp_path / "data", **overrides))


@pytest.fixture(scope="session")
def production(tmp_path_factory):
    return make_simulator(tmp_path_factory.mktemp("prod"), profile=Profile.PRODUCTION)


@pytest.fixture(scope="session")
def qualification(tmp_path_factory):
    return make_simulator(tmp_path_factory.mktemp("qualif"), profile=Profile.QUALIFICATION)


class SoapClient:
    """POSTs to /lps of a simulator, in process (no socket)."""

    def __init__(self, simulator):
        self.client = Client(simulator)

    def post(self, data: bytes, content_type: str = CONTENT_TYPE, path: str = "/lps"):
        return self.client.post(path, data=data, content_type=content_type)


@pytest.fixture(scope="session")
def prod_client(production) -> SoapClient:
    return SoapClient(production)


@pytest.fixture(scope="session")
def qualif_client(qualification) -> SoapClient:
    return SoapClient(qualification)


class LiveServer:
    def __init__(self, simulator):
        self.server = make_server(simulator, "127.0.0.1", 0, threads=8)
        self.url = f"http://127.0.0.1:{self.server.effective_port}"
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        stop_threaded(self.server, self.thread, timeout=5)


@pytest.fixture(scope="session")
def live_url(production):
    """Base URL of the production simulator served by waitress on a free port."""
    with LiveServer(production) as live:
        yield live.url

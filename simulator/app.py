"""Build the simulator: data loaded and checked once, SOAP and admin side by side.

``create_app(settings)`` returns a :class:`Simulator`, a WSGI application:

* ``/lps`` — the INSi SOAP endpoint of the default session (``?wsdl`` for the WSDL);
* ``/s/<session>/lps`` — the SOAP endpoint of another session;
* ``/_admin/…`` — the admin API (Flask), described by ``/_admin/openapi.json``.
"""

from __future__ import annotations

from .config import Settings, data_root
from .control import create_admin
from .engine.rules import load_rules
from .identity.base import load_base
from .sessions import PackLibrary, SessionRegistry
from .soap.catalogue import FaultCatalogue
from .soap.endpoint import SoapEndpoint
from .soap.layout import load_layouts
from .store.sqlite import SqliteStore

STORE_FILE = "insi-harness.sqlite3"


class Simulator:
    def __init__(self, settings: Settings):
        self.settings = settings
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.catalogue = FaultCatalogue.load(settings.catalogue_file)
        layouts, default_layout = load_layouts(settings.layouts_file)
        name = settings.layout or default_layout
        if name not in layouts:
            raise ValueError(f"unknown wire layout {name!r} (known: {', '.join(layouts)})")
        self.layout = layouts[name]
        self.base = load_base(settings.base_files)
        default_rules = load_rules(settings.rule_files, self.base, self.catalogue.keys())
        self.store = SqliteStore(settings.data_dir / STORE_FILE, settings.retention_days)
        self.packs = PackLibrary(
            data_root() / "scenarios", settings.data_dir / "packs", self.catalogue.keys(), self.base.identities
        )
        self.sessions = SessionRegistry(
            self.store,
            self.base,
            default_rules,
            self.packs,
            {
                "profile": settings.profile,
                "first_names": settings.first_names,
                "authorized_idams": settings.authorized_idams,
            },
        )
        self.soap = SoapEndpoint(
            self.catalogue,
            self.layout,
            settings.max_body_bytes,
            journal=self.store if settings.journal else None,
            check_conformance=settings.conformance,
        )
        self.admin = create_admin(self)

    @property
    def default_session(self):
        return self.sessions.default

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path.rstrip("/") == "/lps":
            return self.soap(environ, start_response, self.sessions.default)
        if path.startswith("/s/"):
            session_id, _, rest = path[3:].partition("/")
            if rest.rstrip("/") == "lps":
                session = self.sessions.get(session_id)
                if session is None:
                    body = f"unknown session {session_id!r}: create it with POST /_admin/sessions\n".encode()
                    start_response(
                        "404 Not Found",
                        [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))],
                    )
                    return [body]
                return self.soap(environ, start_response, session)
        return self.admin(environ, start_response)

    def close(self) -> None:
        self.store.close()


def create_app(settings: Settings | None = None) -> Simulator:
    return Simulator(settings or Settings())

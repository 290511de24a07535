"""Build the simulator: data loaded and checked once, SOAP and admin side by side.

``create_app(settings)`` returns a :class:`Simulator`, a WSGI application:

* ``/lps`` — the INSi SOAP endpoint of the default session (``?wsdl`` for the WSDL);
* ``/_admin/…`` — the admin API (Flask).
"""

from __future__ import annotations

from flask import Flask

from .config import Settings
from .control import health
from .engine.engine import Session
from .engine.rules import load_rules
from .identity.base import load_base
from .soap.catalogue import FaultCatalogue
from .soap.endpoint import SoapEndpoint
from .soap.layout import load_layouts

DEFAULT_SESSION_ID = "default"


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
        base = load_base(settings.base_files)
        rules = load_rules(settings.rule_files, base, self.catalogue.keys())
        self.default_session = Session(
            id=DEFAULT_SESSION_ID,
            base=base,
            rules=rules,
            profile=settings.profile,
            first_names=settings.first_names,
            authorized_idams=settings.authorized_idams,
        )
        self.soap = SoapEndpoint(self.catalogue, self.layout, settings.max_body_bytes)
        self.admin = Flask("insi_harness_admin")
        self.admin.config["SIMULATOR"] = self
        self.admin.register_blueprint(health.blueprint, url_prefix="/_admin")

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path.rstrip("/") == "/lps":
            return self.soap(environ, start_response, self.default_session)
        return self.admin(environ, start_response)


def create_app(settings: Settings | None = None) -> Simulator:
    return Simulator(settings or Settings())

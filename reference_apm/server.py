"""Serve the reference APM with waitress, in a background thread (harness, tests) or in the foreground.

python -m reference_apm.server --db apm.sqlite3 --port 8090 [--defect no-key-check]…
"""

from __future__ import annotations

import argparse
import threading
from collections.abc import Iterable
from pathlib import Path

from flask import Flask
from waitress.server import create_server

from simulator.server import stop_threaded

from .app import create_app, registry_of
from .defects import list_defects


class ApmServer:
    """A waitress server of a reference APM app, run in a daemon thread. ``port=0`` picks a free port."""

    def __init__(self, app: Flask, host: str = "127.0.0.1", port: int = 0, threads: int = 4):
        self.app = app
        self.server = create_server(app, host=host, port=port, threads=threads, ident="reference-apm")
        self.url = f"http://{host}:{self.server.effective_port}"
        self._thread = threading.Thread(target=self.server.run, name="reference-apm", daemon=True)

    def start(self) -> ApmServer:
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        stop_threaded(self.server, self._thread, timeout)
        registry_of(self.app).close()

    def __enter__(self) -> ApmServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def start_server(
    db_path: str | Path,
    defects: Iterable[str] | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
    **app_options,
) -> ApmServer:
    """Create the app on ``db_path`` and serve it in a thread; ``stop()`` it when done."""
    return ApmServer(create_app(db_path, defects, **app_options), host, port).start()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m reference_apm.server", description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, type=Path, help="SQLite file of the registry (created if missing)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", default=8090, type=int)
    parser.add_argument("--insi", dest="insi_endpoint", help="INSi endpoint URL (else POST /test-port/config)")
    parser.add_argument("--idam", help="IDAM sent in ContexteLPS (default INSI-HARNESS-REF)")
    parser.add_argument("--timeout", default=10.0, type=float, help="INSi client timeout in seconds")
    parser.add_argument(
        "--defect", dest="defects", action="append", default=[], choices=[name for name, _ in list_defects()]
    )
    args = parser.parse_args(argv)
    app = create_app(args.db, args.defects, insi_endpoint=args.insi_endpoint, idam=args.idam, timeout=args.timeout)
    server = create_server(app, host=args.host, port=args.port, ident="reference-apm")
    print(f"reference APM on http://{args.host}:{server.effective_port}/ (test port: /test-port)")  # noqa: T201
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
        registry_of(app).store.close()


if __name__ == "__main__":
    main()

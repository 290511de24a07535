"""Run the simulator on waitress: pure Python, multithreaded, runs on Windows."""

from __future__ import annotations

import logging
import signal
import threading

from waitress.channel import ClientDisconnected
from waitress.server import create_server

from .app import Simulator
from .soap.endpoint import DropConnection

log = logging.getLogger("insi.server")


def configure_logging(verbose: bool = False) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # Spyne logs every client fault as an error with a traceback; the
    # simulator logs one line per request itself (without personal data).
    logging.getLogger("spyne").setLevel(logging.CRITICAL)
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    logging.getLogger("waitress").addFilter(lambda record: "Client disconnected" not in record.getMessage())


def _dropping_connections(app):
    """Turn the endpoint's DropConnection into waitress's way of closing a
    connection without an answer (no status line, no body)."""

    def wsgi(environ, start_response):
        try:
            return app(environ, start_response)
        except DropConnection:
            raise ClientDisconnected("dropped on purpose (scenario or injected fault)") from None

    return wsgi


def make_server(simulator: Simulator, host: str, port: int, threads: int = 8):
    """A waitress server (not started). ``port=0`` picks a free port."""
    return create_server(
        _dropping_connections(simulator),
        host=host,
        port=port,
        threads=threads,
        # waitress refuses larger bodies itself; ours answers a SOAP fault
        # below this, so keep waitress's own limit well above it.
        max_request_body_size=max(simulator.settings.max_body_bytes * 4, 4 * 1024 * 1024),
        ident="insi-harness",
        clear_untrusted_proxy_headers=True,
    )


def serve(simulator: Simulator, host: str, port: int, threads: int = 8) -> None:
    """Serve until Ctrl-C or SIGTERM, then close the listening socket cleanly."""
    server = make_server(simulator, host, port, threads)

    def stop(signum, _frame):
        # waitress's run() turns SystemExit into an orderly shutdown of its
        # loop and worker threads; closing the server from here would race it.
        log.info("signal %s received, stopping", signal.Signals(signum).name)
        raise SystemExit(0)

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, stop)
        if hasattr(signal, "SIGTERM"):
            signal.signal(signal.SIGTERM, stop)
    session = simulator.default_session
    log.info(
        "INSi simulator on http://%s:%s/lps (WSDL: /lps?wsdl, health: /_admin/health) — profile %s, %d identities",
        server.effective_host,
        server.effective_port,
        session.profile.value,
        len(session.base),
    )
    try:
        server.run()
    finally:
        server.close()
        simulator.close()
        log.info("stopped")


def stop_threaded(server, thread, timeout: float = 10.0) -> None:
    """Stop a waitress server running in ``thread``: closed from its own loop (closing its
    sockets from another thread races its select()), or directly once the loop is gone."""
    if thread.is_alive():
        try:
            server.trigger.pull_trigger(server.close)
        except OSError:  # the loop closed its trigger in the meantime
            server.close()
        thread.join(timeout)
    else:
        server.close()

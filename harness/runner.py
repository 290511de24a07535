"""``insi-harness run``: simulator + APM under test + the Behave suite + reports.

The runner starts a simulator on a free local port (each scenario gets its
own session), starts the embedded reference APM unless another APM is given,
runs the French Behave features against it through the chosen driver, and
writes JUnit XML, an HTML report, the evidence pack and the requirements
coverage table. The exit code is 0 only when every scenario passed.
"""

from __future__ import annotations

import contextlib
import logging
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from waitress.server import create_server

from simulator.app import create_app
from simulator.config import Settings, data_root
from simulator.server import make_server, stop_threaded

from .report import write_reports

log = logging.getLogger("insi.harness")


@dataclass
class RunOptions:
    report_dir: Path = field(default_factory=lambda: Path("insi-report"))
    apm_url: str | None = None
    driver_spec: str | None = None
    manual: bool = False
    tags: list[str] = field(default_factory=list)
    reference_defects: list[str] = field(default_factory=list)
    simulator_url: str | None = None  # an already running simulator (else one is started)
    admin_token: str | None = None
    apm_timeout: float = 2.0  # the reference APM's INSi client timeout (seconds)
    timeout_delay_ms: int = 4000  # a delay the simulator injects to exceed the APM's timeout
    manual_timeout: float = 120.0
    quiet: bool = False


def _plain_server(app):
    return create_server(app, host="127.0.0.1", port=0, threads=8, ident=None)


def features_dir() -> Path:
    return data_root() / "features"


@contextlib.contextmanager
def _served(app, name: str, server_factory=None):
    server = (server_factory or _plain_server)(app)
    thread = threading.Thread(target=server.run, name=name, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        stop_threaded(server, thread)


@contextlib.contextmanager
def _simulator(options: RunOptions, workdir: Path):
    if options.simulator_url:
        yield options.simulator_url
        return
    simulator = create_app(Settings(data_dir=workdir / "simulator"))
    try:
        with _served(simulator, "insi-simulator", lambda app: make_server(app, "127.0.0.1", 0, threads=8)) as url:
            yield url
    finally:
        simulator.close()


@contextlib.contextmanager
def _reference_apm(options: RunOptions, workdir: Path):
    if options.apm_url or options.driver_spec or options.manual:
        yield options.apm_url
        return
    from reference_apm.app import create_app as create_reference_apm
    from reference_apm.app import registry_of

    apm = create_reference_apm(
        workdir / "reference-apm.sqlite3", defects=set(options.reference_defects), timeout=options.apm_timeout
    )
    try:
        with _served(apm, "reference-apm") as url:
            yield url
    finally:
        registry_of(apm).close()


def behave_args(options: RunOptions, simulator_url: str, apm_url: str | None, run_id: str) -> list[str]:
    report = options.report_dir
    driver = "manual" if options.manual else "python" if options.driver_spec else "http"
    userdata = {
        "simulator_url": simulator_url,
        "driver": driver,
        "report_dir": str(report),
        "run_id": run_id,
        "timeout_delay_ms": str(options.timeout_delay_ms),
        "manual_timeout": str(options.manual_timeout),
    }
    if apm_url:
        userdata["apm_url"] = apm_url
    if options.driver_spec:
        userdata["driver_spec"] = options.driver_spec
    if options.admin_token:
        userdata["admin_token"] = options.admin_token
    args = [str(features_dir())]
    for key, value in userdata.items():
        args += ["-D", f"{key}={value}"]
    for tag in options.tags:
        args += ["--tags", tag]
    args += ["--junit", "--junit-directory", str(report / "junit")]
    args += [
        "--format",
        "progress" if not options.manual else "plain",
        "--no-summary" if options.quiet else "--summary",
    ]
    if options.manual:
        args += ["--no-capture"]
    return args


def _log_to_file(report_dir: Path) -> logging.Handler:
    """The simulator's and the APM's request logs go to the report, not the terminal."""
    handler = logging.FileHandler(report_dir / "simulator.log", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    for name in ("insi", "reference_apm", "waitress"):
        logger = logging.getLogger(name)
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False
    logging.getLogger("spyne").setLevel(logging.CRITICAL)
    logging.getLogger("zeep").setLevel(logging.ERROR)
    return handler


def run(options: RunOptions) -> int:
    options.report_dir.mkdir(parents=True, exist_ok=True)
    handler = _log_to_file(options.report_dir)
    run_id = time.strftime("run%Y%m%d%H%M%S") + "-" + uuid.uuid4().hex[:4]
    from behave.__main__ import main as behave_main

    with tempfile.TemporaryDirectory(prefix="insi-harness-") as work:
        workdir = Path(work)
        with _simulator(options, workdir) as simulator_url, _reference_apm(options, workdir) as apm_url:
            status = behave_main(behave_args(options, simulator_url, apm_url, run_id))
    handler.close()
    records = write_reports(options.report_dir)
    failed = [record for record in records if record.status == "failed"]
    if not records:
        return status or 1
    return 1 if failed or status else 0

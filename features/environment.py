"""Behave fixtures: one simulator session and one fresh APM state per scenario.

The runner (``insi-harness run``) passes, as behave userdata:
``simulator_url`` (base URL of the simulator), ``admin_token`` (optional),
``driver`` (``http`` | ``python`` | ``manual``), ``apm_url`` (http driver),
``driver_spec`` (python driver), ``report_dir``, ``run_id``,
``timeout_delay_ms`` (a delay longer than the APM's INSi timeout),
``manual_timeout`` (seconds the manual driver waits for a request).
"""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path

from harness.drivers.http import HttpDriver
from harness.drivers.manual import ManualDriver
from harness.drivers.python import load_driver
from harness.evidence import ScenarioRecord, record_scenario
from simulator.client import AdminClient


def _driver(context):
    userdata = context.config.userdata
    kind = userdata.get("driver", "http")
    if kind == "http":
        return HttpDriver(userdata["apm_url"])
    if kind == "python":
        return load_driver(userdata["driver_spec"])
    if kind == "manual":
        return ManualDriver(context.admin, float(userdata.get("manual_timeout", "120")))
    raise ValueError(f"unknown driver {kind!r}")


def before_all(context):
    userdata = context.config.userdata
    context.admin = AdminClient(userdata["simulator_url"], token=userdata.get("admin_token") or None)
    context.admin.health()
    context.driver = _driver(context)
    context.run_id = userdata.get("run_id", "run")
    context.report_dir = Path(userdata.get("report_dir", "insi-report"))
    context.timeout_delay_ms = int(userdata.get("timeout_delay_ms", "4000"))
    context.counter = itertools.count(1)  # in a list-like holder: behave pops scenario-level attributes
    context.records = []


def _session_id(context, scenario) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", scenario.name.lower()).strip("-")[:30]
    return f"{context.run_id}-{next(context.counter):03d}-{slug}".strip("-")[:64]


def before_scenario(context, scenario):
    packs = [tag.split("-", 1)[1] for tag in scenario.effective_tags if tag.startswith("pack-")]
    session = context.admin.create_session(id=_session_id(context, scenario), packs=packs)
    context.session = session["id"]
    context.patients = {}
    context.outcome = None
    context.driver.reset()
    context.driver.configure(context.admin.soap_url(context.session))
    if hasattr(context.driver, "bind_session"):
        context.driver.bind_session(context.session)


def after_scenario(context, scenario):
    record = ScenarioRecord.from_scenario(scenario, context.session)
    context.records.append(record_scenario(context.admin, record, context.report_dir))


def after_all(context):
    context.driver.close()
    context.admin.close()
    summary = [record.to_dict() for record in getattr(context, "records", [])]
    context.report_dir.mkdir(parents=True, exist_ok=True)
    (context.report_dir / "scenarios.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False))

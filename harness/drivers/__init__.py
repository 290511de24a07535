"""APM drivers: one contract (:class:`ApmDriver`), three ways into an APM.

* :mod:`.http` — the APM implements the HTTP test port (``harness/test_port.openapi.yaml``);
* :mod:`.python` — a Python class with the same methods, loaded by dotted path or entry point;
* :mod:`.manual` — a person operates the APM, guided by the harness, which watches the
  simulator's journal for the requests the APM sends.
"""

from .base import ApmDriver, DriverError, SearchOutcome

__all__ = ["ApmDriver", "DriverError", "SearchOutcome"]

"""Load a Python APM driver by dotted path (``package.module:Class``) or entry point.

The class implements :class:`~harness.drivers.base.ApmDriver`; it is built
with no argument, or with the keyword arguments given on the command line.
Entry points are looked up in the group ``insi_harness.drivers``.
"""

from __future__ import annotations

import importlib
from importlib.metadata import entry_points

from .base import DRIVER_METHODS, ApmDriver, DriverError

ENTRY_POINT_GROUP = "insi_harness.drivers"


def load_driver(spec: str, **options) -> ApmDriver:
    if ":" in spec:
        module_name, _, class_name = spec.partition(":")
        try:
            factory = getattr(importlib.import_module(module_name), class_name)
        except (ImportError, AttributeError) as error:
            raise DriverError(f"cannot load driver {spec!r}: {error}") from None
    else:
        found = [ep for ep in entry_points(group=ENTRY_POINT_GROUP) if ep.name == spec]
        if not found:
            raise DriverError(
                f"no driver {spec!r}: give package.module:Class, or an entry point of group {ENTRY_POINT_GROUP}"
            )
        factory = found[0].load()
    driver = factory(**options)
    missing = [name for name in DRIVER_METHODS if not callable(getattr(driver, name, None))]
    if missing:
        raise DriverError(f"driver {spec!r} lacks {', '.join(sorted(missing))}")
    return driver

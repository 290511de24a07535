"""The reference APM: a small INS-aware patient registry, the default software under test of the harness.

It implements the INS rules correctly (insi-domain.md §4) unless defects are
switched on (:func:`list_defects`), and it is driven through the test port,
the HTTP contract the harness publishes to APM vendors
(``harness/test_port.openapi.yaml``).
"""

from __future__ import annotations

__version__ = "1.0.0"

from .app import create_app  # noqa: E402
from .defects import list_defects  # noqa: E402

__all__ = ["__version__", "create_app", "list_defects"]

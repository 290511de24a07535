"""An example Python driver (``--driver tests.python_driver_example:ReferenceApmDriver``).

It serves its own reference APM and talks to it in process terms; a vendor's
driver would call its APM's own API or UI automation instead.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from harness.drivers.http import HttpDriver
from reference_apm.server import start_server


class ReferenceApmDriver(HttpDriver):
    def __init__(self):
        self._folder = tempfile.TemporaryDirectory(prefix="apm-driver-")
        self._server = start_server(Path(self._folder.name) / "apm.sqlite3", timeout=2.0)
        super().__init__(self._server.url)

    def close(self) -> None:
        super().close()
        self._server.stop()
        self._folder.cleanup()

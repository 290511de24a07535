"""Spyne 2.14 imports and answers on this interpreter (CI runs 3.11, 3.12, 3.13)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import six


def test_vendored_six_is_the_maintained_six_with_spynes_extra():
    import spyne.util.six as spyne_six

    assert spyne_six.PY3 and spyne_six.moves is six.moves
    assert spyne_six.get_function_name(test_vendored_six_is_the_maintained_six_with_spynes_extra).startswith("test_")
    assert not hasattr(six, "get_function_name"), "the shared six module must be left untouched"


def test_fresh_interpreter_imports_spyne_and_round_trips():
    """A clean process (no test imports before) imports the simulator and answers."""
    code = textwrap.dedent(
        """
        import sys, tempfile, pathlib
        from werkzeug.test import Client
        from simulator.app import create_app
        from simulator.config import Settings
        from tests.soap_helpers import traits_request, parse_resultat
        app = create_app(Settings(data_dir=pathlib.Path(tempfile.mkdtemp())))
        response = Client(app).post('/lps', data=traits_request('ADRUN', 'ZOE', 'F', '1975-12-31'),
                                    content_type='application/soap+xml; charset=utf-8')
        print(sys.version_info[:2], parse_resultat(response.data).code_cr)
        """
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("00")

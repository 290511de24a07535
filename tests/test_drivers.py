"""The Python driver way in: loaded by dotted path, checked, and run through the suite."""

from __future__ import annotations

import pytest

from harness.drivers.base import DriverError
from harness.drivers.python import load_driver
from harness.runner import RunOptions, run


def test_a_dotted_path_that_does_not_exist_is_a_clear_error():
    with pytest.raises(DriverError, match="cannot load driver"):
        load_driver("no_such_module:Driver")


def test_a_class_without_the_contract_is_refused():
    with pytest.raises(DriverError, match="lacks"):
        load_driver("collections:OrderedDict")


def test_an_unknown_entry_point_names_the_group():
    with pytest.raises(DriverError, match="insi_harness.drivers"):
        load_driver("no-such-entry-point")


def test_the_suite_runs_through_a_python_driver(tmp_path):
    status = run(
        RunOptions(
            report_dir=tmp_path / "report",
            driver_spec="tests.python_driver_example:ReferenceApmDriver",
            tags=["@cnda-2.08"],
        )
    )
    assert status == 0
    assert "2.08" in (tmp_path / "report" / "coverage.md").read_text(encoding="utf-8")

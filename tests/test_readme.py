"""The README states facts the code must keep true."""

from __future__ import annotations

import re

from simulator.config import fixture
from simulator.conformance import RULES
from simulator.soap.catalogue import FaultCatalogue

from .conftest import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")


def _quick_start() -> list[str]:
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", section, re.S).group(1)
    return [line for line in block.splitlines() if line.strip()]


def test_quick_start_is_exactly_two_commands():
    commands = _quick_start()
    assert len(commands) == 2
    assert "insi-harness" in commands[0]
    assert "pytest" in commands[1]


def test_ci_runs_the_readme_test_command():
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert _quick_start()[1] in ci


def test_every_conformance_rule_is_in_the_findings_table():
    for rule in RULES:
        assert f"| `{rule.id}` |" in README, rule.id


def test_every_catalogue_fault_is_documented():
    for fault in FaultCatalogue.load(fixture("faults.yaml")):
        assert f"`{fault.key}`" in README, fault.key

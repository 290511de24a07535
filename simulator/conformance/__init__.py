"""Conformance: check each incoming INSi request against the INSi rules.

Pure (no I/O, no Flask, no Spyne). The soap layer calls it for every request,
the journal stores the findings; findings never change the simulator's answer.
"""

from .checker import ConformanceContext, check_request, check_unparsed
from .findings import RULES, RULES_BY_ID, Finding, Rule

__all__ = ["RULES", "RULES_BY_ID", "ConformanceContext", "Finding", "Rule", "check_request", "check_unparsed"]

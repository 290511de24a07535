"""SOAP layer: Spyne models, service, protocol (dispatch, faults, wire layout)."""

from . import spyne_compat  # noqa: F401  (Spyne 2.14 on Python 3.12+)

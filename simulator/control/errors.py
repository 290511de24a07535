"""Errors of the admin API, answered as JSON that names the field at fault."""

from __future__ import annotations

from typing import Any

from flask import current_app, request


class ApiError(Exception):
    def __init__(self, status: int, message: str, field: str | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.field = field

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"error": self.message}
        if self.field is not None:
            body["field"] = self.field
        return body


def bad(field: str, message: str) -> ApiError:
    return ApiError(400, message, field)


def int_arg(name: str, default: int, low: int, high: int) -> int:
    """The query parameter ``name`` as an integer between ``low`` and ``high`` (``default`` when absent)."""
    value = request.args.get(name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise bad(name, f"{name} must be an integer") from None
    if not low <= number <= high:
        raise bad(name, f"{name} must be between {low} and {high}")
    return number


def simulator():
    return current_app.config["SIMULATOR"]


def session_or_404(session_id: str):
    session = simulator().sessions.get(session_id)
    if session is None:
        raise ApiError(404, f"unknown session {session_id!r}", "session")
    return session


def json_body() -> dict[str, Any]:
    """The request's JSON object (an empty body reads as ``{}``)."""
    if not request.get_data():
        return {}
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise bad("body", "the body must be a JSON object")
    return data


def optional(data: dict, name: str, kind: type | tuple, default=None):
    value = data.get(name, default)
    if value is not None and not isinstance(value, kind):
        names = " or ".join(k.__name__ for k in (kind if isinstance(kind, tuple) else (kind,)))
        raise bad(name, f"{name} must be a {names}")
    if isinstance(value, bool) and kind is int:
        raise bad(name, f"{name} must be an int")
    return value

"""Load the YAML data files users edit, check them, and point at the faulty line.

Every data file (identity bases, error catalogue, wire layouts, scenario rules)
goes through :func:`load_yaml`: parsed with a safe loader that remembers the
line of every mapping, sequence and key, then checked against a JSON Schema.
An error is a :class:`DataFileError` whose message reads ``file:line: what``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import yaml


class DataFileError(ValueError):
    """A data file that cannot be used; ``str()`` names the file and the line."""

    def __init__(self, path: Path | str, line: int | None, message: str):
        self.path = str(path)
        self.line = line
        self.message = message
        where = f"{self.path}:{line}" if line else self.path
        super().__init__(f"{where}: {message}")


class LineDict(dict):
    """A mapping that knows its own line and the line of each of its keys."""

    line: int = 0
    key_lines: dict[Any, int]


class LineList(list):
    """A sequence that knows its own line and the line of each item."""

    line: int = 0
    item_lines: list[int]


class _LineLoader(yaml.SafeLoader):
    def construct_mapping(self, node, deep=False):
        mapping = LineDict(super().construct_mapping(node, deep=True))
        mapping.line = node.start_mark.line + 1
        mapping.key_lines = {
            self.construct_object(key_node, deep=True): key_node.start_mark.line + 1 for key_node, _ in node.value
        }
        return mapping

    def construct_sequence(self, node, deep=False):
        sequence = LineList(super().construct_sequence(node, deep=True))
        sequence.line = node.start_mark.line + 1
        sequence.item_lines = [item.start_mark.line + 1 for item in node.value]
        return sequence


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _LineLoader.construct_mapping)
_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _LineLoader.construct_sequence)


def line_of(data: Any, path: list | tuple = ()) -> int | None:
    """Best line for ``path`` inside ``data`` (the deepest node that knows one)."""
    line = getattr(data, "line", None)
    node = data
    for step in path:
        if isinstance(node, LineDict) and step in node:
            line = node.key_lines.get(step, line)
            node = node[step]
        elif isinstance(node, LineList) and isinstance(step, int) and step < len(node):
            line = node.item_lines[step]
            node = node[step]
        else:
            break
    return line


def parse_yaml(text: str, path: Path | str) -> Any:
    """Parse YAML text with line tracking; a syntax error names file and line."""
    try:
        return yaml.load(text, Loader=_LineLoader)  # noqa: S506 (a SafeLoader subclass)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else None
        raise DataFileError(path, line, f"not valid YAML: {error.problem}") from None
    except yaml.YAMLError as error:
        raise DataFileError(path, None, f"not valid YAML: {error}") from None


def check_schema(data: Any, schema: dict, path: Path | str) -> None:
    """Raise a :class:`DataFileError` for the first schema violation, with its line."""
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(data), key=lambda e: (len(e.absolute_path), e.message))
    if not errors:
        return
    error = errors[0]
    where = "/".join(str(step) for step in error.absolute_path) or "(top level)"
    raise DataFileError(path, line_of(data, list(error.absolute_path)), f"{where}: {error.message}")


def load_yaml(path: Path | str, schema: dict | None = None) -> Any:
    """Read, parse and (when a schema is given) check one YAML data file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise DataFileError(path, None, f"cannot read the file: {error.strerror}") from None
    except UnicodeDecodeError as error:
        raise DataFileError(path, None, f"not UTF-8 text: {error.reason}") from None
    data = parse_yaml(text, path)
    if schema is not None:
        check_schema(data, schema, path)
    return data

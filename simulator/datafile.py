"""Load the YAML data files users edit, check them, and point at the faulty line.

Every data file (identity bases, error catalogue, wire layouts, scenario rules)
goes through :func:`load_yaml`: parsed with a safe loader that remembers the
line of every mapping, sequence and key, then checked against a JSON Schema.
An error is a :class:`DataFileError` whose message reads ``file:line: what``.

Large files (a synthetic identity base of 100,000 people) go through
:func:`load_yaml_fast` instead: no line tracking on the way in (JSON-compatible
text is read by the ``json`` module, other text by libyaml when PyYAML was built
with it), and a compiled check of the schema. Only when something is wrong is
the file read again with line tracking, so errors name the same file and line
as :func:`load_yaml`'s.
"""

from __future__ import annotations

import gc
import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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


class _LineTracking:
    """Constructors that remember lines; mixed into the pure-Python and the libyaml safe loaders."""

    def construct_mapping(self, node, deep=False):
        mapping = LineDict(yaml.constructor.SafeConstructor.construct_mapping(self, node, deep=True))
        mapping.line = node.start_mark.line + 1
        mapping.key_lines = {
            self.construct_object(key_node, deep=True): key_node.start_mark.line + 1 for key_node, _ in node.value
        }
        return mapping

    def construct_sequence(self, node, deep=False):
        sequence = LineList(yaml.constructor.SafeConstructor.construct_sequence(self, node, deep=True))
        sequence.line = node.start_mark.line + 1
        sequence.item_lines = [item.start_mark.line + 1 for item in node.value]
        return sequence


class _LineLoader(_LineTracking, yaml.SafeLoader):
    pass


# libyaml (C) parsing, when PyYAML was built with it: same resolvers and constructors as
# SafeLoader, several times faster. Used only by the fast path of large files.
_CSafeLoader: type | None = getattr(yaml, "CSafeLoader", None)
_CLineLoader: type | None = type("_CLineLoader", (_LineTracking, _CSafeLoader), {}) if _CSafeLoader else None

for _loader in (_LineLoader, _CLineLoader):
    if _loader is not None:
        _loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _LineTracking.construct_mapping)
        _loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _LineTracking.construct_sequence)


@contextmanager
def gc_paused() -> Iterator[None]:
    """Building millions of small objects triggers the cyclic GC over and over (its cost grows
    with the heap: loading 100,000 identities took 3 times longer); nothing here makes cycles."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


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
        with gc_paused():
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


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as error:
        raise DataFileError(path, None, f"cannot read the file: {error.strerror}") from None
    except UnicodeDecodeError as error:
        raise DataFileError(path, None, f"not UTF-8 text: {error.reason}") from None


def load_yaml(path: Path | str, schema: dict | None = None) -> Any:
    """Read, parse and (when a schema is given) check one YAML data file."""
    path = Path(path)
    data = parse_yaml(_read_text(path), path)
    if schema is not None:
        check_schema(data, schema, path)
    return data


# -- the fast path, for large files -------------------------------------------------------------

_UNPARSED = object()
_COMMENT_LINE = re.compile(r"^ *#[^\n]*", re.MULTILINE)


class _NotPlainJson(ValueError):
    pass


def _reject(value: str) -> Any:
    raise _NotPlainJson(value)


def _json_compatible(text: str) -> str | None:
    """``text`` with its whole-line comments blanked, when it may be read as JSON; else None.

    YAML is a superset of JSON, with a few differences for PyYAML (YAML 1.1): escapes (``\\/``,
    surrogate pairs), tabs, non-ASCII line breaks, floats (``1e5`` is a string in YAML 1.1). Text
    with a backslash, a tab or a non-ASCII character is left to the YAML parser, and so is any
    number with a fraction or an exponent (see :func:`_parse_untracked`): what remains reads the
    same with both parsers. Blanking comment lines keeps every line where it was.
    """
    if not text.isascii() or "\t" in text or "\\" in text:
        return None
    blanked = _COMMENT_LINE.sub("", text)
    start = blanked.lstrip(" \r\n")
    return blanked if start[:1] in ("{", "[") else None


def _parse_untracked(text: str) -> Any:
    """Parse without line tracking (JSON-compatible text with ``json``, else libyaml, else
    PyYAML); :data:`_UNPARSED` when the text is not valid YAML."""
    with gc_paused():
        as_json = _json_compatible(text)
        if as_json is not None:
            try:
                return json.loads(as_json, parse_float=_reject, parse_constant=_reject)
            except ValueError:  # not plain JSON after all (JSONDecodeError, _NotPlainJson): read it as YAML
                pass
        # libyaml reads a few texts PyYAML refuses, mostly tabs used as separators: text with a tab
        # goes to PyYAML, so that it is refused (or read) as it always was.
        loader = _CSafeLoader if _CSafeLoader is not None and "\t" not in text else yaml.SafeLoader
        try:
            return yaml.load(text, Loader=loader)  # noqa: S506 (safe loaders only)
        except yaml.YAMLError:
            return _UNPARSED


def _parse_tracked_fast(text: str, path: Path | str) -> Any:
    """:func:`parse_yaml` through libyaml when it is there and the text parses; a syntax error
    (or no libyaml) goes to :func:`parse_yaml`, so its message and line are the usual ones."""
    if _CLineLoader is not None and "\t" not in text:
        try:
            with gc_paused():
                return yaml.load(text, Loader=_CLineLoader)  # noqa: S506 (a CSafeLoader subclass)
        except yaml.YAMLError:
            pass
    return parse_yaml(text, path)


def load_yaml_tracked(path: Path | str, schema: dict | None = None) -> Any:
    """:func:`load_yaml` (line numbers kept), parsing with libyaml when possible: for large files
    whose errors must name their line."""
    path = Path(path)
    data = _parse_tracked_fast(_read_text(path), path)
    if schema is not None and not fast_schema_check(schema)(data):
        check_schema(data, schema, path)
    return data


def load_yaml_fast(path: Path | str, schema: dict | None = None) -> Any:
    """Read, parse and check one data file fast; the data keeps no line numbers.

    A file that is not valid YAML or breaks the schema is read again with line tracking, and the
    error raised is the one :func:`load_yaml` raises (file and line). Checks made afterwards on
    the data cannot name a line (:func:`line_of` gives None): on such an error, load the file
    again with :func:`load_yaml_tracked` to report it.
    """
    path = Path(path)
    text = _read_text(path)
    data = _parse_untracked(text)
    if data is _UNPARSED:
        data = parse_yaml(text, path)  # raises the usual syntax error, with its line
        if schema is not None:  # (reached only if libyaml refused what PyYAML reads)
            check_schema(data, schema, path)
        return data
    if schema is None or fast_schema_check(schema)(data):
        return data
    data = _parse_tracked_fast(text, path)
    check_schema(data, schema, path)  # raises the usual schema error, with its line
    return data


# -- a compiled schema check ---------------------------------------------------------------------

# Keywords the compiled check knows. A schema using any other keyword is checked by jsonschema.
_ANNOTATIONS = {"title", "description", "$comment", "default", "examples"}
_TYPES: dict[str, type] = {"object": dict, "array": list, "string": str, "boolean": bool, "null": type(None)}
_compiled_checks: dict[int, tuple[dict, Callable[[Any], bool]]] = {}


def _always_ask_jsonschema(_: Any) -> bool:
    return False


class _Unsupported(Exception):
    pass


def _compile(schema: Any) -> Callable[[Any], bool]:
    """A predicate that is True only for data the JSON Schema accepts (False: let jsonschema say)."""
    if not isinstance(schema, dict) or set(schema) - _ANNOTATIONS - {
        "type",
        "enum",
        "pattern",
        "minLength",
        "minItems",
        "items",
        "required",
        "properties",
        "additionalProperties",
    }:
        raise _Unsupported
    checks: list[Callable[[Any], bool]] = []
    if "type" in schema:
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if any(name not in _TYPES for name in types):  # integer, number: not decided here
            raise _Unsupported
        classes = tuple(_TYPES[name] for name in types)
        checks.append(lambda value: isinstance(value, classes))
    if "enum" in schema:
        allowed = [(type(item), item) for item in schema["enum"]]
        checks.append(lambda value: any(type(value) is kind and value == item for kind, item in allowed))
    if "pattern" in schema:
        search = re.compile(schema["pattern"]).search
        checks.append(lambda value: not isinstance(value, str) or search(value) is not None)
    if "minLength" in schema:
        least = schema["minLength"]
        checks.append(lambda value: not isinstance(value, str) or len(value) >= least)
    if "minItems" in schema:
        fewest = schema["minItems"]
        checks.append(lambda value: not isinstance(value, list) or len(value) >= fewest)
    if "items" in schema:
        item_check = _compile(schema["items"])

        def check_items(value: Any) -> bool:
            if isinstance(value, list):
                for item in value:
                    if not item_check(item):
                        return False
            return True

        checks.append(check_items)
    if "required" in schema:
        required = tuple(schema["required"])
        checks.append(lambda value: not isinstance(value, dict) or all(key in value for key in required))
    properties = {key: _compile(sub) for key, sub in schema.get("properties", {}).items()}
    additional = schema.get("additionalProperties", True)
    if additional is not True and additional is not False:
        raise _Unsupported
    if properties or additional is False:

        def check_properties(value: Any) -> bool:
            if not isinstance(value, dict):
                return True
            for key, item in value.items():
                check = properties.get(key)
                if check is None:
                    if additional is False:
                        return False
                elif not check(item):
                    return False
            return True

        checks.append(check_properties)
    if len(checks) == 1:
        return checks[0]

    def check_all(value: Any) -> bool:
        for check in checks:
            if not check(value):
                return False
        return True

    return check_all


def fast_schema_check(schema: dict) -> Callable[[Any], bool]:
    """A compiled check of ``schema``: True means valid; False means "ask jsonschema" (invalid, or a
    case the compiled check does not decide). Knows a subset of the keywords; for a schema using
    others it always answers False."""
    cached = _compiled_checks.get(id(schema))
    if cached is None or cached[0] is not schema:
        try:
            check = _compile(schema)
        except _Unsupported:
            check = _always_ask_jsonschema
        cached = _compiled_checks[id(schema)] = (schema, check)
    return cached[1]

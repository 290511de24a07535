"""Make Spyne 2.14 (its last release) importable on Python 3.12 and 3.13.

Spyne ships a vendored copy of ``six`` whose lazy ``six.moves`` importer no
longer works on 3.12+ (``ModuleNotFoundError: spyne.util.six.moves``), and on
3.13 it imports the ``cgi`` module that the standard library removed.

The fix, applied once before the first ``import spyne``:

* every ``spyne.util.six[.…]`` import is answered with the maintained ``six``
  package (same API, kept up to date);
* on 3.13 the ``cgi`` module comes from the ``legacy-cgi`` distribution, a
  declared dependency of this project for that version.

Import :func:`install` (or this module) before anything imports ``spyne``;
``simulator.soap`` does it for the whole package.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import operator
import sys
from types import ModuleType

_VENDORED = "spyne.util.six"


class _SixAliasFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Answers ``spyne.util.six`` and its submodules with the real ``six``."""

    def find_spec(self, fullname: str, path=None, target=None):
        if fullname == _VENDORED or fullname.startswith(_VENDORED + "."):
            return importlib.machinery.ModuleSpec(fullname, self)
        return None

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        if spec.name != _VENDORED:  # spyne.util.six.moves[.…] -> six.moves[.…]
            return importlib.import_module("six" + spec.name[len(_VENDORED) :])
        return _vendored_six_facade()

    def exec_module(self, module: ModuleType) -> None:
        """The aliased module is already initialised by ``six`` itself."""


def _vendored_six_facade() -> ModuleType:
    """The maintained ``six`` plus the one helper Spyne's copy added.

    Spyne's vendored six (1.14) still has ``get_function_name``, which six
    dropped upstream; Spyne calls it when it builds an application. The facade
    is a new module object so the shared ``six`` module is left untouched.
    """
    import six

    facade = ModuleType(_VENDORED, six.__doc__)
    facade.__dict__.update({key: value for key, value in vars(six).items() if not key.startswith("__")})
    facade.get_function_name = operator.attrgetter("__name__")
    facade.__path__ = []  # a package, so that "spyne.util.six.moves" resolves
    return facade


def install() -> None:
    """Register the alias (idempotent). Must run before ``import spyne``."""
    if any(isinstance(finder, _SixAliasFinder) for finder in sys.meta_path):
        return
    sys.meta_path.insert(0, _SixAliasFinder())


install()

"""Settings of one simulator instance, and where its embedded data lives."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .engine.session import Profile
from .identity.base import FirstNameMatch


def data_root() -> Path:
    """Folder holding ``fixtures/`` and ``scenarios/``.

    In a source checkout (or an editable install) they sit beside the
    ``simulator`` package; a wheel bundles them inside it as ``_bundled``.
    """
    package = Path(__file__).resolve().parent
    bundled = package / "_bundled"
    return bundled if bundled.is_dir() else package.parent


def fixture(name: str) -> Path:
    return data_root() / "fixtures" / name


def scenario(name: str) -> Path:
    return data_root() / "scenarios" / name


MIB = 1024 * 1024


@dataclass
class Settings:
    profile: Profile = Profile.PRODUCTION
    data_dir: Path = field(default_factory=lambda: Path("insi-data"))
    base_files: list[Path] = field(default_factory=lambda: [fixture("cnda-base.yaml")])
    rule_files: list[Path] = field(default_factory=lambda: [scenario("default.yaml")])
    catalogue_file: Path = field(default_factory=lambda: fixture("faults.yaml"))
    layouts_file: Path = field(default_factory=lambda: fixture("wire-layouts.yaml"))
    layout: str | None = None  # None: the default of the layouts file
    first_names: FirstNameMatch = FirstNameMatch.FIRST_OR_LIST
    authorized_idams: frozenset[str] | None = None
    max_body_bytes: int = MIB
    journal: bool = True  # keep every request and answer (off only to measure its cost)
    conformance: bool = True  # check every request against the INSi rules
    retention_days: float | None = None  # None: keep the journal forever
    admin_token: str | None = None  # bearer token required by the admin API (None: open)

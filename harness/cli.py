"""The ``insi-harness`` command."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from simulator import __version__
from simulator.config import MIB, Settings
from simulator.datafile import DataFileError
from simulator.engine.engine import Profile
from simulator.identity.base import FirstNameMatch


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="insi-harness")
def main() -> None:
    """INSi teleservice simulator and CNDA accreditation harness."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535), help="Port (0: any free port).")
@click.option(
    "--profile",
    type=click.Choice([p.value for p in Profile]),
    default=Profile.PRODUCTION.value,
    show_default=True,
    help="production: absent person -> CR 01; qualification: -> fault insi_102/insi_101 (as the qualification env.).",
)
@click.option(
    "--data",
    "data_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("insi-data"),
    show_default=True,
    help="Folder for the simulator's state (created if missing).",
)
@click.option(
    "--base",
    "base_files",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Identity base YAML (repeatable; default: the embedded CNDA base).",
)
@click.option(
    "--rules",
    "rule_files",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Scenario rules YAML (repeatable; default: the embedded special cases).",
)
@click.option("--layout", default=None, help="Wire layout of the answers (live, cnda; default: live).")
@click.option(
    "--first-names",
    type=click.Choice([m.value for m in FirstNameMatch]),
    default=FirstNameMatch.FIRST_OR_LIST.value,
    show_default=True,
    help="Which sent first name finds a person.",
)
@click.option(
    "--idam", "idams", multiple=True, help="Authorized IDAM number (repeatable; default: any non-empty IDAM)."
)
@click.option(
    "--max-body", default=MIB, show_default=True, type=click.IntRange(1024), help="Largest request body in bytes."
)
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 256), help="Worker threads.")
@click.option("-v", "--verbose", is_flag=True, help="Debug logging.")
def serve(
    host, port, profile, data_dir, base_files, rule_files, layout, first_names, idams, max_body, threads, verbose
):
    """Start the INSi simulator (SOAP endpoint /lps, WSDL /lps?wsdl, admin /_admin)."""
    from simulator.app import create_app
    from simulator.server import configure_logging
    from simulator.server import serve as run_server

    configure_logging(verbose)
    settings = Settings(
        profile=Profile(profile),
        data_dir=data_dir,
        layout=layout,
        first_names=FirstNameMatch(first_names),
        authorized_idams=frozenset(idams) if idams else None,
        max_body_bytes=max_body,
    )
    if base_files:
        settings.base_files = list(base_files)
    if rule_files:
        settings.rule_files = list(rule_files)
    try:
        simulator = create_app(settings)
    except (DataFileError, ValueError) as error:
        click.echo(f"insi-harness: {error}", err=True)
        sys.exit(2)
    run_server(simulator, host, port, threads)


if __name__ == "__main__":
    main()

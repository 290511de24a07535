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
    help="Identity base YAML added to the embedded CNDA base (repeatable), e.g. from 'identities generate'.",
)
@click.option(
    "--without-cnda-base",
    is_flag=True,
    help="Serve only the --base files (not the embedded CNDA base nor its special-case rules).",
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
@click.option(
    "--admin-token",
    envvar="INSI_ADMIN_TOKEN",
    default=None,
    help="Bearer token required by the admin API (env INSI_ADMIN_TOKEN; default: open).",
)
@click.option(
    "--retention-days",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="Drop journal entries older than this (default: keep everything).",
)
@click.option("-v", "--verbose", is_flag=True, help="Debug logging.")
def serve(
    host,
    port,
    profile,
    data_dir,
    base_files,
    without_cnda_base,
    rule_files,
    layout,
    first_names,
    idams,
    max_body,
    threads,
    admin_token,
    retention_days,
    verbose,
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
        admin_token=admin_token,
        retention_days=retention_days,
    )
    if without_cnda_base:
        if not base_files:
            click.echo("insi-harness: --without-cnda-base needs at least one --base file", err=True)
            sys.exit(2)
        settings.base_files, settings.rule_files = [], []
    settings.base_files += list(base_files)
    if rule_files:
        settings.rule_files = list(rule_files)
    try:
        simulator = create_app(settings)
    except (DataFileError, ValueError) as error:
        click.echo(f"insi-harness: {error}", err=True)
        sys.exit(2)
    run_server(simulator, host, port, threads)


@main.group()
def identities() -> None:
    """Identity bases: generate synthetic ones."""


@identities.command("generate")
@click.option("--count", required=True, type=click.IntRange(1), help="Number of identities.")
@click.option(
    "--seed", required=True, type=int, help="Seed: the same count and seed give the same file, byte for byte."
)
@click.option(
    "--out",
    "out_file",
    required=True,
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Base file to write (YAML, for insi-harness serve --base).",
)
@click.option(
    "--homonym-share",
    default=0.02,
    show_default=True,
    type=click.FloatRange(0.0, 1.0),
    help="Share of identities in homonym groups (same traits, another birth place: CR 02 without LieuNaissance).",
)
def generate(count, seed, out_file, homonym_share):
    """Write a synthetic identity base (Faker fr_FR names, COG birth places, NIR/NIA with valid keys)."""
    import time

    from simulator.identity.synthetic import base_header, generate_base, write_base

    started = time.perf_counter()
    data = generate_base(count, seed, homonym_share)
    try:
        write_base(out_file, data, base_header(count, seed, homonym_share))
    except OSError as error:
        click.echo(f"insi-harness: cannot write {out_file}: {error.strerror}", err=True)
        sys.exit(2)
    click.echo(
        f"wrote {count} identities to {out_file} (seed {seed}) in {time.perf_counter() - started:.1f} s\n"
        f"serve them with: insi-harness serve --base {out_file}\n"
        f"or load them into a session: insi-harness identities load {out_file} --session SESSION",
        err=True,
    )


@identities.command("load")
@click.argument("base_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--session", required=True, help="Session to load the identities into (POST /_admin/sessions first).")
@click.option("--simulator", "simulator_url", default="http://127.0.0.1:8080", show_default=True)
@click.option("--admin-token", envvar="INSI_ADMIN_TOKEN", default=None, help="Bearer token of the admin API.")
def load(base_file, session, simulator_url, admin_token):
    """Add the identities of a base file to a session of a running simulator."""
    from simulator.client import AdminClient, AdminError

    client = AdminClient(simulator_url, token=admin_token, timeout=600)
    try:
        result = client.add_identities(session, base_file.read_text(encoding="utf-8"))
    except AdminError as error:
        click.echo(f"insi-harness: {error}", err=True)
        sys.exit(2)
    finally:
        client.close()
    click.echo(f"added {result['added']} identities to session {session} ({result['identities']} in all)")


@main.command()
@click.option("--apm", "apm_url", default=None, help="Base URL of an APM implementing the HTTP test port.")
@click.option("--driver", "driver_spec", default=None, help="Python driver: package.module:Class or an entry point.")
@click.option("--manual", is_flag=True, help="Guide an operator through the cases (APM without an API).")
@click.option("--tags", multiple=True, help="Behave tag expression (repeatable), e.g. --tags @cnda-2.08.")
@click.option(
    "--report",
    "report_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("insi-report"),
    show_default=True,
    help="Where the JUnit XML, HTML report, evidence pack and coverage table go.",
)
@click.option(
    "--reference-defect",
    "defects",
    multiple=True,
    help="Switch a defect on in the embedded reference APM (repeatable; see --list-reference-defects).",
)
@click.option("--list-reference-defects", is_flag=True, help="Print the reference APM's defects and exit.")
@click.option("--simulator", "simulator_url", default=None, help="Use a running simulator instead of starting one.")
@click.option("--admin-token", envvar="INSI_ADMIN_TOKEN", default=None, help="Bearer token of that simulator.")
@click.option(
    "--timeout-delay",
    "timeout_delay_ms",
    default=4000,
    show_default=True,
    type=click.IntRange(1),
    help="Delay (ms) the simulator injects to exceed the APM's INSi timeout in the timeout case.",
)
@click.option("--manual-timeout", default=300.0, show_default=True, help="Seconds to wait for the operator's request.")
def run(
    apm_url,
    driver_spec,
    manual,
    tags,
    report_dir,
    defects,
    list_reference_defects,
    simulator_url,
    admin_token,
    timeout_delay_ms,
    manual_timeout,
):
    """Run the CNDA-style accreditation suite against an APM (default: the embedded reference APM)."""
    from reference_apm.defects import list_defects

    if list_reference_defects:
        for name, what in list_defects():
            click.echo(f"{name}\t{what}")
        return
    if sum(bool(x) for x in (apm_url, driver_spec, manual)) > 1:
        click.echo("insi-harness: choose one of --apm, --driver, --manual", err=True)
        sys.exit(2)
    known = {name for name, _ in list_defects()}
    unknown = [name for name in defects if name not in known]
    if unknown:
        click.echo(f"insi-harness: unknown reference defect {unknown[0]!r} (see --list-reference-defects)", err=True)
        sys.exit(2)
    if defects and (apm_url or driver_spec or manual):
        click.echo("insi-harness: --reference-defect applies to the embedded reference APM only", err=True)
        sys.exit(2)
    from harness.runner import RunOptions
    from harness.runner import run as run_suite

    status = run_suite(
        RunOptions(
            report_dir=report_dir,
            apm_url=apm_url,
            driver_spec=driver_spec,
            manual=manual,
            tags=list(tags),
            reference_defects=list(defects),
            simulator_url=simulator_url,
            admin_token=admin_token,
            timeout_delay_ms=timeout_delay_ms,
            manual_timeout=manual_timeout,
        )
    )
    click.echo(f"report: {(report_dir / 'report.html').resolve()}")
    sys.exit(status)


if __name__ == "__main__":
    main()

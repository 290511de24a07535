"""The accreditation campaign end to end: the French features against the reference APM.

* the whole suite passes against the correct reference APM, and a run writes
  its reports (JUnit, HTML, evidence pack per CNDA test, coverage table);
* every defect of the reference APM makes at least one scenario fail, with a
  message that names the INS rule broken (the table defect -> scenarios is
  printed and written to ``defects.json`` under pytest's temporary folder);
* the manual driver, with a scripted operator: a thread reads the prompts of a
  campaign run with ``manual=True`` from a pipe, does what they say on the
  reference APM's test port, and answers the questions.

The defect campaigns and the manual campaign run in child processes
(``python -m tests.test_harness_run campaign …``), each with its own simulator
served in the child: they run side by side, and a child's exit closes every
connection its reference APM kept open to the simulator (the APM keeps one per
scenario endpoint until it ends; a simulator shared by several campaigns would
reach waitress's connection limit and stop accepting).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import subprocess
import sys
import threading
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

from reference_apm.defects import list_defects

REPO = Path(__file__).resolve().parent.parent
DEFECTS = [name for name, _ in list_defects()]
CNDA_TESTS = ("1.01", "1.02", "1.03", "2.04", "2.05", "2.08")
# A failure message names the rule it checks (features/steps/*.py).
RULE = re.compile(r"référentiel INS|contrat INSi|règles INSi")
# The defect campaigns use a shorter INSi timeout than the default run (2 s / 4 s delay), still far
# above the simulator's answer time: the "retries-on-fault" defect makes 10 attempts on a timeout.
DEFECT_APM_TIMEOUT = 1.0
DEFECT_DELAY_MS = 2500
WORKERS = max(2, min(4, 2 * (os.cpu_count() or 1)))
CHILD_TIMEOUT = 300


# -- a campaign in a child process -----------------------------------------------------------------


def _child_env() -> dict[str, str]:
    env = dict(os.environ, PYTHONUNBUFFERED="1", PYTHONIOENCODING="utf-8")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return env


def _campaign_command(report_dir: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "tests.test_harness_run", "campaign", "--report-dir", str(report_dir), *args]


def _child_main(argv: list[str]) -> int:
    """``campaign``: one run against a simulator served in this process; the exit code is run()'s."""
    parser = argparse.ArgumentParser(prog="python -m tests.test_harness_run")
    sub = parser.add_subparsers(dest="command", required=True)
    campaign = sub.add_parser("campaign")
    campaign.add_argument("--report-dir", type=Path, required=True)
    campaign.add_argument("--defect", dest="defects", action="append", default=[])
    campaign.add_argument("--tag", dest="tags", action="append", default=[])
    campaign.add_argument("--manual", action="store_true")
    campaign.add_argument("--manual-timeout", type=float, default=30.0)
    campaign.add_argument("--apm-timeout", type=float, default=2.0)
    campaign.add_argument("--delay-ms", type=int, default=4000)
    args = parser.parse_args(argv)

    from harness.runner import RunOptions, run
    from simulator.app import create_app
    from simulator.config import Settings
    from simulator.server import make_server

    simulator = create_app(Settings(data_dir=args.report_dir / "simulator-data"))
    server = make_server(simulator, "127.0.0.1", 0, threads=8)
    threading.Thread(target=server.run, name="insi-simulator", daemon=True).start()
    options = RunOptions(
        report_dir=args.report_dir,
        simulator_url=f"http://127.0.0.1:{server.effective_port}",
        reference_defects=args.defects,
        tags=args.tags,
        manual=args.manual,
        manual_timeout=args.manual_timeout,
        apm_timeout=args.apm_timeout,
        timeout_delay_ms=args.delay_ms,
        quiet=not args.manual,
    )
    return run(options)


@dataclass
class Campaign:
    code: int
    records: list[dict]
    seconds: float
    output: str = ""

    @property
    def failed(self) -> list[dict]:
        return [record for record in self.records if record["status"] == "failed"]


def _records(report_dir: Path) -> list[dict]:
    path = report_dir / "scenarios.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else []


def _run_child(report_dir: Path, *args: str) -> Campaign:
    start = time.monotonic()
    done = subprocess.run(
        _campaign_command(report_dir, *args),
        cwd=REPO,
        env=_child_env(),
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=CHILD_TIMEOUT,
        check=False,
    )
    return Campaign(done.returncode, _records(report_dir), time.monotonic() - start, done.stdout + done.stderr)


# -- 1. the whole suite against the correct reference APM -------------------------------------------


@pytest.fixture(scope="module")
def passing_run(tmp_path_factory):
    """The default run, in this process: simulator and reference APM started by the runner."""
    from harness.runner import RunOptions, run

    report_dir = tmp_path_factory.mktemp("campaign")
    start = time.monotonic()
    code = run(RunOptions(report_dir=report_dir, quiet=True))
    return Campaign(code, _records(report_dir), time.monotonic() - start), report_dir


def test_whole_suite_passes_against_the_reference_apm(passing_run, capsys):
    campaign, report_dir = passing_run
    failed = [f"{record['feature']} — {record['name']}: {record['error']}" for record in campaign.failed]
    assert campaign.code == 0, "scenarios failed against the correct reference APM:\n" + "\n".join(failed)
    assert len(campaign.records) >= 45 and all(record["status"] == "passed" for record in campaign.records)
    with capsys.disabled():
        print(f"\n[campaign] {len(campaign.records)} scenarios passed in {campaign.seconds:.1f} s (run() wall time)")


def test_a_run_writes_its_reports(passing_run):
    campaign, report_dir = passing_run
    junit = sorted((report_dir / "junit").glob("*.xml"))
    assert {path.stem.removeprefix("TESTS-") for path in junit} >= {
        "recherche_traits",
        "recherche_vitale",
        "cas_speciaux",
        "erreurs",
        "statuts",
        "conformite",
    }
    html = (report_dir / "report.html").read_text(encoding="utf-8")
    assert f"<b>{len(campaign.records)}/{len(campaign.records)}</b>" in html

    coverage = (report_dir / "coverage.md").read_text(encoding="utf-8")
    for key in [f"cnda-{number}" for number in CNDA_TESTS] + ["req-erreur", "req-incoherence", "req-export-ins"]:
        assert f"`{key}`" in coverage, f"{key} missing from coverage.md"
    assert "(untagged)" not in coverage

    with zipfile.ZipFile(report_dir / "evidence.zip") as pack:
        names = pack.namelist()
        assert len(names) == len(set(names)), "two scenarios share an evidence folder"
        for number in CNDA_TESTS:
            folders = {name.rsplit("/", 1)[0] for name in names if name.startswith(f"cnda-{number}/")}
            assert folders, f"no evidence folder for CNDA {number}"
            for folder in folders:
                files = [name.rsplit("/", 1)[1] for name in names if name.startswith(folder + "/")]
                assert "summary.json" in files, folder
                assert any(name.endswith("request.xml") for name in files), f"{folder}: no request XML"
                assert any(name.endswith("response.xml") for name in files), f"{folder}: no response XML"
                summary = json.loads(pack.read(f"{folder}/summary.json"))
                assert summary["verdict"] == "passed" and summary["exchanges"], folder
        index = json.loads(pack.read("index.json"))
        assert len(index) >= len(campaign.records)


def test_every_scenario_is_tagged_with_requirements():
    tags = re.compile(r"^\s*(@[^\s#]+(\s+@[^\s#]+)*)\s*$")
    for feature in sorted((REPO / "features").glob("*.feature")):
        lines = feature.read_text(encoding="utf-8").splitlines()
        assert lines[0] == "# language: fr", feature.name
        for number, line in enumerate(lines):
            if re.match(r"\s*(Scénario|Plan du scénario)\s*:", line):
                above = lines[number - 1]
                found = tags.match(above)
                assert found and "@req-" in above, f"{feature.name}:{number + 1}: scenario without a @req- tag"
                for tag in re.findall(r"@cnda-(\S+)", above):
                    assert tag in CNDA_TESTS, f"{feature.name}:{number + 1}: unknown CNDA test {tag}"


# -- 2. every defect makes at least one scenario fail, naming the rule ------------------------------


@pytest.fixture(scope="module")
def defect_campaigns(request, tmp_path_factory) -> dict[str, Campaign]:
    """The selected defects' campaigns, side by side in child processes."""
    selected = {
        item.callspec.params["defect"]
        for item in request.session.items
        if hasattr(item, "callspec") and "defect" in item.callspec.params
    }
    wanted = [defect for defect in DEFECTS if defect in selected] or DEFECTS
    root = tmp_path_factory.mktemp("defects")
    args = ["--apm-timeout", str(DEFECT_APM_TIMEOUT), "--delay-ms", str(DEFECT_DELAY_MS)]

    def one(defect: str) -> Campaign:
        return _run_child(root / defect, "--defect", defect, *args)

    start = time.monotonic()
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        campaigns = dict(zip(wanted, pool.map(one, wanted), strict=True))
    elapsed = time.monotonic() - start

    table = {
        defect: [
            {"feature": record["feature"], "scenario": record["name"], "error": record["error"]}
            for record in campaign.failed
        ]
        for defect, campaign in campaigns.items()
    }
    path = root / "defects.json"
    path.write_text(json.dumps(table, indent=2, ensure_ascii=False), encoding="utf-8")
    lines = [f"\n[defects] {len(campaigns)} campaigns in {elapsed:.1f} s ({WORKERS} at a time); table: {path}"]
    for defect, rows in table.items():
        lines.append(f"  {defect} ({campaigns[defect].seconds:.1f} s): {len(rows)} scenario(s) failed")
        lines.extend(f"    - {row['feature']} — {row['scenario']}\n        {row['error']}" for row in rows)
    capture = request.config.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled() if capture else contextlib.nullcontext():
        print("\n".join(lines))
    return campaigns


@pytest.mark.parametrize("defect", DEFECTS)
def test_each_defect_fails_a_scenario_naming_the_rule(defect, defect_campaigns):
    campaign = defect_campaigns[defect]
    assert campaign.records, f"{defect}: the campaign wrote no scenarios.json\n{campaign.output[-3000:]}"
    assert campaign.code == 1, f"{defect}: run() returned {campaign.code}"
    assert campaign.failed, f"{defect}: every scenario passed"
    silent = [f"{record['name']}: {record['error']}" for record in campaign.failed if not RULE.search(record["error"])]
    assert not silent, f"{defect}: failures that do not name the INS rule broken: {silent}"


# -- 3. the manual driver, with a scripted operator -------------------------------------------------


_FIELD_ANSWERS = (
    ("statut", lambda p: p["status"]),
    ("nom de naissance", lambda p: p["nom_naissance"]),
    ("prénoms", lambda p: " ".join(p["prenoms"])),
    ("sexe", lambda p: p["sexe"]),
    ("date de naissance", lambda p: p["date_naissance"]),
    ("lieu de naissance", lambda p: p.get("lieu_naissance") or ""),
    ("matricule", lambda p: p.get("matricule") or ""),
    ("clé", lambda p: p.get("cle") or ""),
    ("OID", lambda p: p.get("oid") or ""),
    ("INS historiques", lambda p: " ".join(item["matricule"] for item in p.get("ins_histo") or [])),
)


def _pairs(text: str) -> dict[str, str]:
    return dict(item.split("=", 1) for item in text.split(", ") if "=" in item)


@dataclass
class Operator:
    """A person at the APM: reads the harness's prompts from a pipe, acts on the APM's screen (here, its
    test port), and types the answers. Everything it read and typed is kept in ``transcript``."""

    apm_url: str
    prompts: object  # the child's stdout (binary pipe)
    answers: object  # the child's stdin (binary pipe)
    transcript: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    _instruction: str = ""
    _outcome: dict = field(default_factory=dict)
    _record: dict = field(default_factory=dict)

    def _port(self, method: str, path: str, **kwargs):
        response = requests.request(method, f"{self.apm_url}/test-port{path}", timeout=30, **kwargs)
        response.raise_for_status()
        return response.json() if response.content else None

    def _type(self, answer: str) -> None:
        self.transcript.append(f"<< {answer}")
        self.answers.write((answer + "\n").encode("utf-8"))
        self.answers.flush()

    def _act(self, instruction: str) -> None:
        """Do what the harness asked, as soon as it is said (searches are awaited on the journal)."""
        self._instruction = instruction
        if instruction.startswith("Repartez d'un environnement de test vide"):
            self._port("POST", "/reset")
        elif instruction.startswith("Réglez le point d'accès INSi de l'APM sur "):
            self._port("POST", "/config", json={"insi_endpoint": instruction.rsplit(" ", 1)[1]})
        elif found := re.match(r"Lancez la recherche INSi par traits du patient (\S+)(.*)", instruction):
            how = found[2]
            body = {"with_birth_place": "lieu de naissance" in how, "strategy": "stratégie" in how}
            if prenom := re.search(r"avec le prénom (\S+)", how):
                body["prenom"] = prenom[1]
            self._outcome = self._port("POST", f"/patients/{found[1]}/insi/traits", json=body)
        elif found := re.match(r"Lancez la recherche INSi par carte Vitale du patient (\S+): (.*)", instruction):
            self._outcome = self._port("POST", f"/patients/{found[1]}/insi/vitale", json=_pairs(found[2]))
        elif found := re.match(
            r"Enregistrez pour le patient (\S+) la vérification d'un\(e\) (\S+) \((.*)\)", instruction
        ):
            body = {"type": found[2], "high_trust": "haut niveau" in found[3]}
            self._port("POST", f"/patients/{found[1]}/id-document", json=body)
        elif found := re.match(r"Ouvrez le dossier du patient (\S+) ", instruction):
            self._record = self._port("GET", f"/patients/{found[1]}")

    def _answer(self, question: str) -> str:
        instruction = self._instruction
        if question == "Entrée quand c'est fait":
            return ""
        if question == "identifiant du patient dans l'APM":
            traits = _pairs(instruction.split(": ", 1)[1])
            traits["prenoms"] = traits["prenoms"].split()
            return str(self._port("POST", "/patients", json=traits)["id"])
        if question == "que montre l'APM":
            return self._outcome["outcome"]
        if question.startswith("message affiché"):
            return self._outcome.get("message", "")
        if question.startswith("contenu exporté"):
            found = re.match(r"Exportez le patient (\S+) au format (\w+)", instruction)
            return self._port("GET", f"/patients/{found[1]}/export", params={"format": found[2]})["content"]
        for prefix, value in _FIELD_ANSWERS:
            if question.startswith(prefix):
                return value(self._record)
        raise AssertionError(f"the operator does not know how to answer {question!r}")

    def play(self) -> None:
        """Read the pipe until it closes: ``[opérateur] …`` lines are instructions, ``  ? …: `` prompts."""
        buffer = b""
        try:
            while chunk := self.prompts.read1(4096) if hasattr(self.prompts, "read1") else self.prompts.read(1):
                buffer += chunk
                while True:
                    text = buffer.decode("utf-8", errors="ignore")
                    line_end = buffer.find(b"\n")
                    prompt = re.match(r"  \? (.*?): $", text) if line_end < 0 else None
                    if prompt:
                        buffer = b""
                        self.transcript.append(f">> ? {prompt[1]}")
                        self._type(self._answer(prompt[1]))
                        break
                    if line_end < 0:
                        break
                    line, buffer = buffer[:line_end].decode("utf-8", errors="replace"), buffer[line_end + 1 :]
                    if line.startswith("[opérateur] "):
                        self.transcript.append(f">> {line}")
                        self._act(line.removeprefix("[opérateur] "))
        except Exception as error:  # the test reports it with the transcript
            self.errors.append(f"{type(error).__name__}: {error}")
            self.answers.close()


def test_manual_driver_with_a_scripted_operator(tmp_path):
    from reference_apm.server import start_server

    apm = start_server(tmp_path / "apm.sqlite3")
    report_dir = tmp_path / "manual"
    # A CR 00 found by the traits, and the statuses up to "qualifiee" (ID document, HL7 and FHIR exports).
    subset = "(@recherche-traits and @req-ins-00) or @req-statut-provisoire"
    command = _campaign_command(report_dir, "--manual", "--manual-timeout", "20", "--tag", subset)
    child = subprocess.Popen(command, cwd=REPO, env=_child_env(), stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    operator = Operator(apm.url, child.stdout, child.stdin)
    player = threading.Thread(target=operator.play, name="operator", daemon=True)
    player.start()
    try:
        code = child.wait(timeout=120)
    except subprocess.TimeoutExpired:
        child.kill()
        code = child.wait()
    finally:
        player.join(timeout=10)
        apm.stop()
    transcript = "\n".join(operator.transcript)
    assert not operator.errors, f"{operator.errors}\n{transcript}"
    assert code == 0, f"the manual campaign returned {code}\n{transcript}"
    records = _records(report_dir)
    assert [(record["feature"], record["status"]) for record in records] == [
        ("Recherche de l'INS par les traits d'identité", "passed"),
        ("Statuts de l'identité et diffusion du matricule INS", "passed"),
    ], transcript
    assert [[entry["code_cr"] for entry in record["journal"]] for record in records] == [["00"], ["00"]]
    # The operator did what the prompts said, then typed what the APM showed.
    for instruction in ("Créez un patient", "Lancez la recherche INSi", "Enregistrez pour le patient", "Exportez"):
        assert any(instruction in line for line in operator.transcript), f"no {instruction!r}\n{transcript}"
    assert "<< found" in operator.transcript
    assert "<< 2751263220749" in operator.transcript
    assert any(line.startswith("<< PID|1||") and "1100863220830" in line for line in operator.transcript)


if __name__ == "__main__":
    sys.stdout.flush()
    status = _child_main(sys.argv[1:])
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)

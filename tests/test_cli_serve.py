"""`insi-harness serve` as a user runs it: starts, answers, logs, stops on SIGTERM."""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import time

import pytest
import requests

from .soap_helpers import CONTENT_TYPE, parse_resultat, traits_request


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_health(url: str, process: subprocess.Popen, seconds: float = 30) -> dict:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server exited early: {process.communicate()[0]}")
        try:
            return requests.get(f"{url}/_admin/health", timeout=1).json()
        except requests.RequestException:
            time.sleep(0.1)
    raise AssertionError("server did not start")


@pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM is POSIX; Ctrl-C is covered by the same handler")
def test_serve_answers_logs_without_traits_and_stops_on_sigterm(tmp_path):
    port = _free_port()
    data_dir = tmp_path / "state" / "nested"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "harness.cli",
            "serve",
            "--port",
            str(port),
            "--data",
            str(data_dir),
            "--profile",
            "qualification",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        url = f"http://127.0.0.1:{port}"
        health = _wait_for_health(url, process)
        assert health["profile"] == "qualification" and health["identities"] >= 19
        assert data_dir.is_dir()
        response = requests.post(
            f"{url}/lps",
            data=traits_request("ADRUN", "ZOE", "F", "1975-12-31"),
            headers={"Content-Type": CONTENT_TYPE},
            timeout=10,
        )
        assert parse_resultat(response.content).code_cr == "00"
        requests.post(
            f"{url}/lps",
            data=traits_request("D'AEION", "COEUR", "M", "1987-01-25"),
            headers={"Content-Type": CONTENT_TYPE},
            timeout=10,
        )
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=20)
    assert process.returncode == 0, output
    assert "rechercherInsAvecTraitsIdentite CodeCR=00" in output
    assert "rechercherInsAvecTraitsIdentite fault=insi_102" in output
    assert "stopped" in output
    for personal in ("ADRUN", "ZOE", "1975-12-31", "AEION"):
        assert personal not in output


def test_bad_base_file_stops_start_with_file_and_line(tmp_path):
    bad = tmp_path / "base.yaml"
    bad.write_text("identities:\n  - id: X\n    sexe: Q\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "harness.cli", "serve", "--base", str(bad), "--data", str(tmp_path / "d")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert f"{bad}:2:" in result.stderr


def test_one_log_line_per_request_at_info(prod_client, caplog):
    with caplog.at_level(logging.INFO, logger="insi.soap"):
        prod_client.post(traits_request("NESSI", "MICHELANGELO", "M", "2010-08-07"))
    lines = [record.getMessage() for record in caplog.records if record.name == "insi.soap"]
    assert len(lines) == 1
    assert lines[0].startswith("rechercherInsAvecTraitsIdentite CodeCR=00 session=default ")
    assert lines[0].endswith("ms") and "NESSI" not in lines[0]

"""What the harness keeps of each scenario: verdict, steps, SOAP frames, findings."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


def _status(value) -> str:
    return getattr(value, "name", str(value)).lower()


@dataclass
class ScenarioRecord:
    feature: str
    name: str
    tags: list[str]
    status: str
    session: str
    steps: list[dict[str, Any]] = field(default_factory=list)
    error: str = ""
    frames_zip: str = ""
    journal: list[dict[str, Any]] = field(default_factory=list)

    @property
    def cnda(self) -> list[str]:
        return [tag[len("cnda-") :] for tag in self.tags if tag.startswith("cnda-")]

    @property
    def requirements(self) -> list[str]:
        return [tag for tag in self.tags if tag.startswith("req-")]

    @property
    def findings(self) -> list[dict[str, Any]]:
        return [finding for entry in self.journal for finding in entry.get("findings", [])]

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(cnda=self.cnda, requirements=self.requirements)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ScenarioRecord:
        keys = {"feature", "name", "tags", "status", "session", "steps", "error", "frames_zip", "journal"}
        return cls(**{key: value for key, value in data.items() if key in keys})

    @classmethod
    def from_scenario(cls, scenario, session: str) -> ScenarioRecord:
        steps, error = [], ""
        for step in scenario.steps:
            steps.append(
                {
                    "keyword": step.keyword.strip(),
                    "name": step.name,
                    "status": _status(step.status),
                    "error": step.error_message or "",
                }
            )
            if step.error_message and not error:
                error = step.error_message.strip().splitlines()[-1] if step.error_message.strip() else ""
        return cls(
            feature=scenario.feature.name,
            name=scenario.name,
            tags=sorted(str(tag) for tag in scenario.effective_tags),
            status=_status(scenario.status),
            session=session,
            steps=steps,
            error=error,
        )


def record_scenario(admin, record: ScenarioRecord, report_dir: Path) -> ScenarioRecord:
    """Fetch the scenario's SOAP frames and findings from the simulator's journal."""
    frames = report_dir / "frames"
    frames.mkdir(parents=True, exist_ok=True)
    path = frames / f"{record.session}.zip"
    path.write_bytes(admin.export_journal(record.session))
    record.frames_zip = str(path.relative_to(report_dir))
    record.journal = admin.journal(record.session, limit=1000)["entries"]
    return record

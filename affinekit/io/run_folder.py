"""A training run's folder: the one place that knows its layout.

    RUN/config.json            the run's configs (model, train, the data it trains on, world size)
    RUN/log.jsonl              one JSON object per logged step (`runlog`)
    RUN/checkpoints/last.pt    the whole training state, for --resume
    RUN/generator.pt           the generator alone, written at the end
    RUN/samples/               sample grids (`training.callbacks.SampleSaver`)

The Trainer writes through it, `affinekit train` asks it whether a run is
already there, and the export scripts read what they record from it.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, TextIO

from affinekit.errors import AffinekitError
from affinekit.io.atomic import append_line, atomic_write_text, refuse_links
from affinekit.io.runlog import logged_step, read_log
from affinekit.json_limits import loads_bounded


class RunFolder:
    """The files of one training run under `path` (nothing is created until written)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.config_path = self.path / "config.json"
        self.log_path = self.path / "log.jsonl"
        self.checkpoint_path = self.path / "checkpoints" / "last.pt"
        self.generator_path = self.path / "generator.pt"
        self.samples_dir = self.path / "samples"

    @classmethod
    def containing(cls, file: str | Path) -> "RunFolder":
        """The run folder a file of it sits in (checkpoints/last.pt or generator.pt); for a file
        elsewhere, its own folder."""
        file = Path(file)
        return cls(file.parent.parent if file.parent.name == "checkpoints" else file.parent)

    def __repr__(self) -> str:
        return f"RunFolder({str(self.path)!r})"

    def holds_run(self) -> bool:
        """Whether a run has saved its training state here (what --resume continues)."""
        return self.checkpoint_path.is_file()

    def write_config(self, config: dict[str, Any]) -> None:
        """config.json, after refusing a linked checkpoints/ or samples/ (a received folder's links)."""
        self.path.mkdir(parents=True, exist_ok=True)
        for inside in (self.checkpoint_path, self.samples_dir / "step.png"):
            refuse_links(inside, self.path)
        atomic_write_text(self.config_path, json.dumps(config, indent=1), within=self.path)

    def read_config(self) -> dict[str, Any]:
        """config.json as written by `write_config`; one line naming the file when it is missing or damaged."""
        try:
            config = loads_bounded(self.config_path.read_text())
        except FileNotFoundError:
            raise AffinekitError(f"{self.config_path}: missing; pass a run folder written by "
                                 "`affinekit train`") from None
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise AffinekitError(f"{self.config_path}: damaged (not JSON); pass a run folder written by "
                                 "`affinekit train`") from None
        except ValueError as err:       # nested deeper than any run's config (`json_limits`)
            raise AffinekitError(f"{self.config_path}: {err}; pass a run folder written by `affinekit train`") from None
        if not isinstance(config, dict):
            raise AffinekitError(f"{self.config_path}: not a run's config (not a JSON object)")
        return config

    def start_log(self, resumed_at: int | None = None) -> None:
        """An empty log for a new run; for a run resumed at step s, the log without the lines logged
        after s (the run died later: those steps are redone) and without a half-written last line."""
        self.path.mkdir(parents=True, exist_ok=True)
        if resumed_at is None or not self.log_path.exists():
            atomic_write_text(self.log_path, "", within=self.path)      # replaces a planted link
            return
        keep = [line for line in self.log_path.read_text().splitlines() if logged_step(line) <= resumed_at]
        atomic_write_text(self.log_path, "".join(line + "\n" for line in keep), within=self.path)    # a kill now loses no line

    def open_log(self) -> TextIO:
        """The log, open for appending rows (`write_row`); a link or a non-file there is refused."""
        return append_line(self.log_path, within=self.path)

    @staticmethod
    def write_row(log: TextIO, row: dict[str, Any]) -> None:
        """One step's row, flushed: a run killed later keeps every row written so far."""
        log.write(json.dumps(row) + "\n")
        log.flush()

    def read_log(self) -> list[dict[str, Any]]:
        """The log's rows (none when there is no log yet)."""
        return read_log(self.log_path) if self.log_path.is_file() else []

    def progress(self) -> dict[str, Any]:
        """How far the run got, from its log: {"from": folder, "steps": last logged step, "train_seconds"}."""
        log = self.read_log()
        return {"from": str(self.path), "steps": log[-1]["step"] if log else 0,
                "train_seconds": round(sum(r.get("step_time", 0.0) for r in log))}

"""Issue 23's hostile inputs, rebuilt and run through the real command line: one row per case, class by class.

    python benchmarks/hostile_round2.py [--out figures/hostile_inputs_round2.md] [--skip-big] [--only WORD]

Every case runs `python -m affinekit ...` (or, for the notebook widget, a few lines of Python) in a fresh
process, on inputs made here in a scratch folder: the demo face (scikit-image's astronaut, NASA, public
domain) as photos and frame folders, a folder prepared from them at 16 px by `affinekit prepare` and a
model trained 2 steps on it by `affinekit train`. For each case the table gives the command, the exit
code, the one line printed (the error, or the last line of a success), whether every file that existed
before is byte-identical after, and the verdict:

  clear error        exit 2, one line on stderr naming what the issue asks for, nothing changed
  right result       exit 0 and the result checked (a clip made, a label read, a file re-prepared ...)
  working (stopped)  a request whose work is long but bounded in memory, stopped at its time limit
  TRACEBACK, HANG, SILENT (exit 0 where a refusal was due), WRONG, FILES CHANGED, NOT ONE LINE

Full disks and read-only folders are real: a small tmpfs or a read-only bind mount in a private mount
namespace (`unshare -m`, needs root; those cases are skipped otherwise). Memory caps are `prlimit --as`.
The cases and their checks, and what a case is and how one runs (`Case`, `run_process`), are in
`hostile_round2_cases.py`; this file imports them (one way) and makes the table.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

from hostile_round2_cases import CASES, REPO, Case, Result, make_base, run_process


def snapshot(*folders: Path) -> dict[str, str]:
    """Every file under the folders and a hash of its bytes (FIFOs and devices by kind only)."""
    seen = {}
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            if path.is_fifo():
                seen[str(path)] = "fifo"
            elif path.is_file():
                seen[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return seen


def changed_files(before: dict[str, str], after: dict[str, str], allowed: list[str]) -> list[str]:
    """Files that existed before and differ or vanished, plus new files, outside the allowed outputs."""
    lost = [p for p in before if after.get(p) != before[p] and not any(p.startswith(a) for a in allowed)]
    new = [p for p in after if p not in before and not any(p.startswith(a) for a in allowed)]
    return [f"{Path(p).name} {'changed' if p in after else 'lost'}" for p in lost] + [f"{Path(p).name} new"
                                                                                       for p in new]


def verdict(case: Case, res: Result, changed: list[str], problem: str | None) -> tuple[str, str]:
    """(verdict, the one line shown) for a finished case."""
    # a progress bar (tqdm: "40%|████  | 4/10") is not a message: the one line is the error after it
    err_lines = [line for line in res.stderr.replace("\r", "\n").splitlines()
                 if line.strip() and not re.search(r"\d+%\|", line)]
    out_lines = [line for line in res.stdout.splitlines() if line.strip()]
    if res.timed_out and case.slow_ok and "Traceback" not in res.stderr:
        return "working (stopped)", (f"still working after {case.timeout} s (work grows with the request), peak "
                                     f"{res.peak_mb:.0f} MB; stopped there")
    if res.timed_out:
        return "HANG", f"(killed after {case.timeout} s)"
    if res.rc == 3 and "Traceback" not in res.stderr:       # a case's own check of what it left
        return "WRONG: " + (err_lines or ["?"])[-1], (err_lines or ["?"])[-1]
    if "Traceback" in res.stderr or res.rc is None or res.rc < 0 or res.rc not in (0, 2, 130):
        return f"TRACEBACK (exit {res.rc})", (err_lines or ["(nothing)"])[-1]
    line = err_lines[-1] if res.rc else (out_lines or ["(nothing printed)"])[-1]
    if changed:
        return "FILES CHANGED: " + ", ".join(changed[:3]), line
    if res.rc == 2 and case.expect in ("refuse", "either"):
        if len(err_lines) != 1:
            return f"NOT ONE LINE ({len(err_lines)} lines)", " / ".join(err_lines[-3:])
        missing = [w for w in case.words if w not in err_lines[0]]
        return ("MISLEADING (lacks " + ", ".join(missing) + ")" if missing else "clear error"), err_lines[0]
    if res.rc == 0 and case.expect in ("works", "either"):
        return ("WRONG: " + problem if problem else "right result"), line
    if res.rc == 0:
        return "SILENT (exit 0)", line
    return f"WRONG (exit {res.rc}; {problem or 'a refusal where a result was due'})", line


def run_case(case: Case, base: Path, work: Path) -> dict[str, str]:
    work.mkdir(parents=True)
    if case.setup:
        case.setup(base, work)
    before = snapshot(base, work)
    argv = [a.format(B=base, W=work) for a in case.argv]
    res = case.run(case, base, work) if case.run else run_process(argv, case.timeout, case.wrap, case.python)
    problem = case.check(base, work, res) if case.check and res.rc == 0 else None
    allowed = [str(work / o) for o in case.outputs] if res.rc == 0 or case.run else []
    changed = changed_files(before, snapshot(base, work), allowed)
    shown_verdict, line = verdict(case, res, changed, problem)
    command = case.shown or " ".join(case.wrap[:2] + ["affinekit"] + [a.replace("{W}", "W").replace("{B}", "B")
                                                                     for a in case.argv])
    return {"class": case.cls, "case": case.name, "command": command, "exit": ("stopped" if case.slow_ok else "hang") if res.timed_out else str(res.rc),
            "line": line.replace(str(work), "W").replace(str(base), "B").strip(),
            "files": "changed" if changed else "identical", "verdict": shown_verdict, "seconds": f"{res.seconds:.1f}"}


def markdown(rows: list[dict[str, str]], seconds: float) -> str:
    """The table, one section per class, with a count of verdicts at the top."""
    good = sum(r["verdict"] in ("clear error", "right result", "working (stopped)") for r in rows)
    text = ["# Hostile inputs, round two (issue 23)", "",
            f"Made by `python benchmarks/hostile_round2.py` ({seconds / 60:.0f} min of runs; the rows are also in "
            f"hostile_inputs_round2.json): {len(rows)} cases, "
            f"{good} with a clear one-line error or the right result, {len(rows) - good} otherwise. "
            "B is the shared inputs folder, W the case's own folder; \"files\" says whether every file that "
            "existed before the command is byte-identical after it (on a tmpfs or a read-only mount, which vanish "
            "with the case, the case compares the old clip or checkpoint itself and fails when it changed).", ""]
    for cls in dict.fromkeys(r["class"] for r in rows):
        text += [f"## {cls}", "", "| case | command | exit | the one line | files | verdict |",
                 "| --- | --- | --- | --- | --- | --- |"]
        for r in (r for r in rows if r["class"] == cls):
            cells = [r["case"], f"`{r['command']}`", r["exit"], r["line"], r["files"], r["verdict"]]
            text.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
        text.append("")
    return "\n".join(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(REPO / "figures" / "hostile_inputs_round2.md"))
    parser.add_argument("--skip-big", action="store_true", help="leave out the 108 and 200 MP photos")
    parser.add_argument("--only", help="run only the cases whose name or class holds one of these comma-separated "
                        "words (their rows replace those of an earlier run in the table)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    args = parser.parse_args()
    start = time.perf_counter()
    scratch = Path(tempfile.mkdtemp(prefix="hostile-round2-"))
    saved = Path(args.out).with_suffix(".json")
    earlier = json.loads(saved.read_text()) if args.only and saved.is_file() else {"rows": [], "seconds": 0.0}
    rows: list[dict[str, str]] = []
    try:
        base = scratch / "B"
        make_base(base)
        chosen = [c for c in CASES if not (args.skip_big and c.big)
                  and (not args.only or any(w in c.name or w in c.cls for w in args.only.split(",")))]
        for i, case in enumerate(chosen):
            try:
                row = run_case(case, base, scratch / f"W{i:02d}")
            except Exception as err:     # noqa: BLE001 - the harness's own failure is a row, not the end of the run
                row = {"class": case.cls, "case": case.name, "command": case.shown or " ".join(case.argv), "exit": "-",
                       "line": f"{type(err).__name__}: {err}", "files": "-", "verdict": "SCRIPT ERROR",
                       "seconds": "0"}
            rows.append(row)
            print(f"[{i + 1}/{len(chosen)}] {row['verdict']:<14} {row['case']}: exit {row['exit']}, {row['line']}",
                  flush=True)
            write_table(args.out, earlier, rows, time.perf_counter() - start)     # a row at a time: kept if stopped
    finally:
        if not args.keep:
            shutil.rmtree(scratch, ignore_errors=True)
    print(f"wrote {args.out} and {saved.name}")


def write_table(out: str, earlier: dict, rows: list[dict[str, str]], seconds: float) -> None:
    """The table and its JSON, this run's rows replacing an earlier run's rows of the same cases."""
    fresh = {r["case"] for r in rows}
    order = [c.name for c in CASES]
    merged = sorted([r for r in earlier["rows"] if r["case"] not in fresh] + rows,
                    key=lambda r: order.index(r["case"]) if r["case"] in order else len(order))
    total = earlier["seconds"] + seconds
    from affinekit.io.atomic import atomic_write_text     # after __main__ put this checkout first on the path
    atomic_write_text(Path(out).with_suffix(".json"), json.dumps({"rows": merged, "seconds": total}, indent=1,
                                                                 ensure_ascii=False) + "\n")
    atomic_write_text(out, markdown(merged, total))


if __name__ == "__main__":
    sys.path[:0] = [str(Path(__file__).resolve().parent), str(REPO)]    # the cases; this checkout's affinekit
    main()

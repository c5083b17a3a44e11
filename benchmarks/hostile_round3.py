"""Issue 31's hostile inputs (round three): the round-three test modules run under a time limit, one row per case.

    python benchmarks/hostile_round3.py [--out figures/hostile_inputs_round3.md] [--timeout 1200] [--only WORD]

Round two drove the command line from a case list of its own (`hostile_round2.py`); round three's cases
are tests, each one a hostile input with its files on disk compared byte for byte
(tests/commands/test_hostile_inputs_3_*.py: whichever exist). This runs them with pytest in a fresh
process under `--timeout` seconds (a hang is a row, not a stuck benchmark), reads each test's outcome
from pytest's verbose lines as they come, and writes the table and its JSON:

  clear error   the test refuses the input: exit 2 (or an AffinekitError) with one line naming the
                file or option and the fix, nothing on disk changed (the test's name says "refused",
                "one line" or "is_checked"); it passed
  handled       the input is worked through as it should be (a clip made, a link replaced, a pair left
                out); it passed
  failure       the test failed, errored or did not finish in time
  skipped       the test could not run here (its reason is shown)
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TESTS = "tests/commands/test_hostile_inputs_3_*.py"
# the module's suffix -> the class of issue 31 it rebuilds
CLASSES = {"writes": "1. one write path", "received": "2. received folders and checkpoints",
           "features": "3. the new generate features", "evaluation": "4. evaluation that means what it says"}
REFUSAL = re.compile(r"refused|refuse|one_line|is_checked_before")
# "tests/x.py::test_a[the photo] PASSED   [ 50%]": a parameter may hold spaces
LINE = re.compile(r"^(?P<test>tests/.+?::.+?) (?P<outcome>PASSED|FAILED|ERROR|SKIPPED|XFAIL|XPASS)\b")


def modules(only: str | None = None) -> list[Path]:
    """The round-three test modules present in this checkout (optionally those whose name holds `only`)."""
    found = sorted(REPO.glob(TESTS))
    return [m for m in found if not only or any(w in m.name for w in only.split(","))]


def run_tests(paths: list[Path], timeout: float) -> tuple[list[str], bool, float]:
    """pytest -v on `paths` in a fresh, niced process: (its output lines, whether it was stopped, seconds)."""
    cmd = ["nice", "-n", "15", sys.executable, "-m", "pytest", "-v", "-p", "no:cacheprovider", "-rs",
           *[str(p.relative_to(REPO)) for p in paths]]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1"}
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
                            start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=timeout)
        stopped = False
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, 9)
        out, _ = proc.communicate()
        stopped = True
    return out.splitlines(), stopped, time.perf_counter() - start


def collected(paths: list[Path]) -> list[str]:
    """Every test id in `paths` (so that a test the time limit cut off still gets its row)."""
    out = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
                          *[str(p.relative_to(REPO)) for p in paths]], cwd=REPO, capture_output=True, text=True,
                         timeout=300, env={**os.environ, "PYTHONPATH": str(REPO)})
    return [line.strip() for line in out.stdout.splitlines() if "::" in line]


def skip_reasons(lines: list[str]) -> dict[str, str]:
    """`-rs` lines: SKIPPED [1] path:line: reason -> {path: reason} (by file and line: pytest names no test)."""
    reasons = {}
    for line in lines:
        m = re.match(r"SKIPPED \[\d+\] (\S+?):\d+: (.*)", line)
        if m:
            reasons[m.group(1)] = m.group(2)
    return reasons


def rows_from(ids: list[str], lines: list[str], stopped: bool) -> list[dict[str, str]]:
    """One row per test id: its class, the case in words, the result."""
    outcomes = {m.group("test"): m.group("outcome") for m in map(LINE.match, lines) if m}
    reasons = skip_reasons(lines)
    rows = []
    for test in ids:
        module, _, name = test.partition("::")
        suffix = Path(module).stem.rsplit("_", 1)[-1]
        outcome = outcomes.get(test)
        if outcome in ("PASSED", "XPASS"):
            result = "clear error" if REFUSAL.search(name) else "handled"
        elif outcome == "SKIPPED":
            result = "skipped: " + reasons.get(module, "")
        elif outcome is None:
            result = "failure (stopped by the time limit)" if stopped else "failure (no outcome reported)"
        else:
            result = f"failure ({outcome.lower()})"
        rows.append({"class": CLASSES.get(suffix, suffix), "case": case_words(name), "test": test, "result": result})
    return sorted(rows, key=lambda r: r["class"])       # the order (the classes are numbered)


def case_words(name: str) -> str:
    """test_layers_folder_with_planted_links[x] -> 'layers folder with planted links [x]'."""
    base, _, param = name.partition("[")
    words = base.removeprefix("test_").replace("_", " ")
    return f"{words} [{param.rstrip(']')}]" if param else words


def markdown(rows: list[dict[str, str]], seconds: float, stopped: bool, modules_run: list[str]) -> str:
    counts = {k: sum(r["result"].startswith(k) for r in rows) for k in ("clear error", "handled", "failure", "skipped")}
    text = ["# Hostile inputs, round three (issue 31)", "",
            f"Made by `python benchmarks/hostile_round3.py`: the tests of {', '.join(modules_run)} run with pytest "
            f"({seconds:.0f} s{', stopped by the time limit' if stopped else ''}). Each case is one test; where a case "
            "touches files, they are compared byte for byte before and after. "
            f"{len(rows)} cases: {counts['clear error']} clear errors, {counts['handled']} handled, "
            f"{counts['failure']} failures, {counts['skipped']} skipped. \"clear error\": the input is refused with "
            "one line naming the file or option and the fix, nothing changed; \"handled\": the input is worked "
            "through as it should be (the test checks the result).", ""]
    for cls in dict.fromkeys(r["class"] for r in rows):
        text += [f"## {cls}", "", "| case | result | test |", "| --- | --- | --- |"]
        for r in (r for r in rows if r["class"] == cls):
            cells = [r["case"], r["result"], f"`{r['test'].split('::')[-1]}`"]
            text.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
        text.append("")
    return "\n".join(text)


def main(argv: list[str] | None = None) -> int:
    from affinekit.errors import AffinekitError
    from affinekit.io.atomic import atomic_write_text
    from affinekit.io.destinations import output_file

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(REPO / "figures" / "hostile_inputs_round3.md"))
    parser.add_argument("--timeout", type=float, default=1200.0, help="seconds for the whole pytest run")
    parser.add_argument("--only", help="run only the modules whose name holds one of these comma-separated words")
    args = parser.parse_args(argv)
    try:
        if not args.timeout > 0:
            raise AffinekitError(f"--timeout must be a number of seconds above 0, got {args.timeout}")
        out = output_file(args.out, "--out", suffixes=(".md",))
        output_file(out.with_suffix(".json"), "--out")
        paths = modules(args.only)
        if not paths:
            raise AffinekitError(f"no round-three test module ({TESTS}) matches; check --only")
    except AffinekitError as err:
        print(f"hostile_round3: error: {err}", file=sys.stderr)
        return 2
    ids = collected(paths)
    lines, stopped, seconds = run_tests(paths, args.timeout)
    rows = rows_from(ids, lines, stopped)
    names = [p.name for p in paths]
    atomic_write_text(out.with_suffix(".json"), json.dumps({"modules": names, "seconds": round(seconds, 1),
                                                            "stopped": stopped, "rows": rows}, indent=1) + "\n")
    atomic_write_text(out, markdown(rows, seconds, stopped, names))
    failures = sum(r["result"].startswith("failure") for r in rows)
    print(f"wrote {out} and {out.with_suffix('.json').name}: {len(rows)} cases, {failures} failures, {seconds:.0f} s")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))        # this checkout's affinekit
    sys.exit(main())

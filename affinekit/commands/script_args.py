"""What scripts/ and benchmarks/ share with the `affinekit` command: arguments refused by argparse
with one line naming the option, and the library's user errors printed as one line, exit 2.

The scripts are part of the product. `train_ckplus_10min.py --seconds -5` trained nothing and
printed a "nan%" improvement with exit 0; a missing checkpoint or prepared folder given to a
benchmark ended in a traceback. Each numeric option now says its range through `whole` or
`number` (argparse prints `usage:` and `error: argument --seconds: ...`, as the commands do),
and `run_script(main)` prints an AffinekitError or an OSError met later as
`<script>: error: ...`, like `affinekit.cli.main`.
"""
from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from typing import Callable

from affinekit.cli import environment_error
from affinekit.config_check import SEED_LIMIT
from affinekit.errors import AffinekitError


def _range(low: float | None, high: float | None, above: bool) -> str:
    if low is not None and high is not None:
        return f"from {low:g} to {high:g}"
    if low is not None:
        return f"{'above' if above else 'at least'} {low:g}"
    return f"at most {high:g}" if high is not None else "any"


def whole(low: int | None = None, high: int | None = None) -> Callable[[str], int]:
    """An argparse `type`: a whole number from `low` to `high` (either may be None: unbounded)."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if (low is not None and value < low) or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"must be a whole number {_range(low, high, False)}, got {value}")
        return value
    parse.__name__ = "whole number"
    return parse


def number(low: float | None = None, high: float | None = None, above: bool = False) -> Callable[[str], float]:
    """An argparse `type`: a finite number from `low` (or strictly above it, `above`) to `high`."""
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        too_low = low is not None and (value <= low if above else value < low)
        if not math.isfinite(value) or too_low or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"must be a finite number {_range(low, high, above)}, got {text}")
        return value
    parse.__name__ = "number"
    return parse


SEED = whole(0, SEED_LIMIT - 1)     # numpy's and torch's seeds, as the configs' seed fields
COUNT = whole(1)                    # steps, runs, frames, batches: at least one
FRAMES = whole(1, 1000)             # frames of a clip, as `affinekit generate --frames`


def run_script(main: Callable[[], int | None], also: tuple[type[Exception], ...] = ()) -> int:
    """`main()`'s exit status; a user error (AffinekitError, an OSError of the machine's state, and the
    exception types in `also`, e.g. a config's ValueError) as one line on stderr and 2; Ctrl-C 130."""
    prog = Path(sys.argv[0]).name
    try:
        return int(main() or 0)
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130
    except AffinekitError as err:
        print(f"{prog}: error: {err}", file=sys.stderr)
    except OSError as err:
        print(f"{prog}: error: {environment_error(err)}", file=sys.stderr)
    except also as err:
        print(f"{prog}: error: {str(err).splitlines()[0] if str(err) else type(err).__name__}", file=sys.stderr)
    return 2

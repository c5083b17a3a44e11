"""commands/script_args.py: the argument types and the one-line errors scripts/ and benchmarks/ share."""
from __future__ import annotations

import argparse
import errno

import pytest

from affinekit.commands.script_args import number, run_script, whole
from affinekit.errors import AffinekitError


@pytest.mark.parametrize("text, low, high, want", [("3", 1, None, 3), ("0", 1, None, None), ("1001", 1, 1000, None),
                                                   ("2.5", 1, None, None), ("x", None, None, None), ("-4", None, 0, -4)])
def test_whole_takes_whole_numbers_in_range_only(text, low, high, want):
    parse = whole(low, high)
    if want is None:
        with pytest.raises(argparse.ArgumentTypeError):
            parse(text)
    else:
        assert parse(text) == want


@pytest.mark.parametrize("text, ok", [("0.5", True), ("0", False), ("-5", False), ("nan", False), ("inf", False),
                                      ("1e400", False), ("ten", False)])
def test_number_above_zero_is_finite_and_positive(text, ok):
    parse = number(0, above=True)
    if ok:
        assert parse(text) == float(text)
    else:
        with pytest.raises(argparse.ArgumentTypeError):
            parse(text)


@pytest.mark.parametrize("raised, code, words", [
    (AffinekitError("x.pt: no such checkpoint"), 2, "error: x.pt: no such checkpoint"),
    (OSError(errno.ENOSPC, "No space left on device", "out.pt"), 2, "out.pt: No space left on device; free some space"),
    (ValueError("model.depth=0 is not valid"), 2, "error: model.depth=0 is not valid"),
    (KeyboardInterrupt(), 130, "interrupted"),
], ids=["user error", "full disk", "config value", "ctrl-c"])
def test_run_script_turns_user_errors_into_one_line(raised, code, words, capsys):
    def main():
        raise raised
    assert run_script(main, (ValueError,)) == code
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and words in err


def test_run_script_lets_a_bug_show_its_traceback():
    def main():
        raise ValueError("a bug, not a user error")
    with pytest.raises(ValueError):
        run_script(main)
    assert run_script(lambda: 0) == 0 and run_script(lambda: None) == 0

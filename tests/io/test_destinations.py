"""Output destinations are checked before any work, with one line naming the option."""
from __future__ import annotations

import tempfile

import pytest

from affinekit.cli import main
from affinekit.errors import AffinekitError
from affinekit.io.destinations import writable_file, writable_folder


def test_a_new_folder_is_not_made_until_asked(tmp_path):
    target = tmp_path / "run" / "deeper"
    assert writable_folder(target) == target
    assert not (tmp_path / "run").exists()
    assert writable_folder(target, create=True).is_dir()


def test_a_file_in_the_way_names_it_and_the_option(tmp_path):
    (tmp_path / "taken").write_text("x")
    with pytest.raises(AffinekitError, match=r"taken is a file, not a folder; choose another --out-dir"):
        writable_folder(tmp_path / "taken" / "clips", "--out-dir")


def test_an_unwritable_folder_is_found_by_trying(tmp_path, monkeypatch):
    # Root may write anywhere by permissions, so the check must probe: simulate a read-only disk.
    def refuse(*args, **kwargs):
        raise PermissionError(30, "Read-only file system")
    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    with pytest.raises(AffinekitError, match=r"cannot write in .*Read-only file system.*choose another --json"):
        writable_file(tmp_path / "scores.json", "--json")


def test_file_checks(tmp_path):
    with pytest.raises(AffinekitError, match=r"must end in \.mp4 or \.gif, not '\.avi'"):
        writable_file(tmp_path / "clip.avi", "--out", (".mp4", ".gif"))
    with pytest.raises(AffinekitError, match="is a folder"):
        writable_file(tmp_path, "--out")
    with pytest.raises(AffinekitError, match="does not exist; create it"):
        writable_file(tmp_path / "nope" / "a.json", "--json")
    assert writable_file(tmp_path / "new" / "a.json", "--json", make_folder=True).parent.is_dir()
    # the probe leaves nothing behind
    assert [p.name for p in (tmp_path / "new").iterdir()] == []


@pytest.mark.parametrize("command", [
    ["prepare", "{data}", "--out", "{blocked}/prepared"],
    ["train", "--data", "{data}", "--out", "{blocked}/run"],
])
def test_commands_refuse_a_blocked_output_before_any_work(command, tmp_path, capsys):
    (tmp_path / "blocked").write_text("a file where a folder should be")
    data = tmp_path / "data"
    data.mkdir()
    (data / "manifest.json").write_text('{"sequences": [], "config": {}}')
    argv = [a.format(data=data, blocked=tmp_path / "blocked") for a in command]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "blocked is a file, not a folder" in err

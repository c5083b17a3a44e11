"""Whose faces a folder of frames holds, read from the names known sets give their files.

A folder of images that no reader recognises becomes one sequence (`folders.read_frame_folder`).
When its files are named like a known set's and those names say they are several people (a
JAFFE folder renamed `KA_HA1_29.png`, `KM_SU2_30.png`, ...; Yale's `subject01_happy.png`,
`subject02_sad.png`; CK+ frames of several sequences in one folder), that one sequence would
mix people, and training would morph one person into another. `mixed_people` says so, naming
two of the files, so the folder is refused with one line instead.
"""
from __future__ import annotations

import re
from pathlib import Path

# (the set, how its names start, the groups that say whose (and which take) the file is)
NAMINGS = (
    ("JAFFE", re.compile(r"^([A-Za-z]{2})[.\-_ ](?:NE|AN|DI|FE|HA|SA|SU)\d", re.IGNORECASE),
     "XX.EEn.NNN.tiff (person, expression and take)"),
    ("Yale", re.compile(r"^(subject\d+)(?=[.\-_ ]|$)", re.IGNORECASE), "subjectNN.<condition>"),
    ("CK+", re.compile(r"^(S\d{3}_\d{3})_\d{8}", re.IGNORECASE),
     "cohn-kanade-images/S###/###/S###_###_########.png, one folder per sequence"),
    ("FRLL", re.compile(r"^(\d{3})_\d{2}\.", re.IGNORECASE), "neutral_front/NNN_03.jpg and smiling_front/NNN_08.jpg"),
)


def mixed_people(folder: Path, frames: list[Path]) -> str | None:
    """Why `frames` (one folder's images) cannot be one sequence: their names are a known set's and name
    more than one person (or CK+ sequence); None when they do not."""
    for name, pattern, layout in NAMINGS:
        owners: dict[str, Path] = {}
        for frame in frames:
            match = pattern.match(frame.name)
            if match:
                owners.setdefault(match.group(1).upper(), frame)
        named = sum(1 for f in frames if pattern.match(f.name))
        if len(owners) > 1 and 2 * named >= len(frames):
            (a, first), (b, second) = list(owners.items())[:2]
            return (f"{folder}: its {len(frames)} images are named like {name} files of {len(owners)} "
                    f"different people or takes ({first.name}: {a}; {second.name}: {b}), but the folder "
                    f"does not parse as {name} ({layout}); one folder of frames is one sequence of one "
                    f"person, so it is refused: rename the files to {name}'s own names, or put each "
                    "sequence in a folder of its own")
    return None

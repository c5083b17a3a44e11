"""The evaluation wing scores models and never trains one: no optimizer, no backward pass, in its source."""
from __future__ import annotations

import re
from pathlib import Path

import affinekit.evaluation

EVALUATION = Path(affinekit.evaluation.__file__).parent
# an optimizer built or named (torch.optim, an Optimizer subclass, a scheduler) or a backward pass
TRAINING = re.compile(r"torch\.optim|\boptim\.|\bOptimizer\b|lr_scheduler|\.backward\(|autograd\.grad\(")


def training_lines(folder: Path) -> list[str]:
    """`file:line: text` of every source line in `folder` that builds an optimizer or runs a backward pass."""
    found = []
    for path in sorted(folder.rglob("*.py")):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if TRAINING.search(line.split("#", 1)[0]):
                found.append(f"{path.name}:{number}: {line.strip()}")
    return found


def test_evaluation_trains_nothing():
    assert sorted(p.name for p in EVALUATION.glob("*.py"))      # the scan sees the wing's files
    assert training_lines(EVALUATION) == []


def test_the_scan_sees_an_optimizer_and_a_backward_pass(tmp_path):
    (tmp_path / "fits.py").write_text("import torch\nopt = torch.optim.Adam(params)\n"
                                      "loss.backward()  # learns\n# loss.backward() in a comment is fine\n")
    assert training_lines(tmp_path) == ["fits.py:2: opt = torch.optim.Adam(params)",
                                        "fits.py:3: loss.backward()  # learns"]

"""environment.yml and pyproject.toml list the same dependencies, and the conda file can solve."""
from __future__ import annotations

import ast
import re
import sys
import tomllib
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~ \[]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _pyproject() -> set[str]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    reqs = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        reqs += extra
    return {_name(r) for r in reqs}


def _environment() -> tuple[dict, set[str], set[str]]:
    env = yaml.safe_load((REPO / "environment.yml").read_text())
    conda, pip = set(), set()
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            pip |= {_name(r) for r in dep["pip"] if not r.startswith("-")}
        else:
            conda.add(_name(dep))
    return env, conda - {"python", "pip"}, pip


def test_conda_file_lists_what_pyproject_lists():
    _, conda, pip = _environment()
    assert conda | pip == _pyproject()
    assert not conda & pip                                     # each package from one place only


def test_conda_file_uses_conda_forge_alone_and_pins_torch_like_pyproject():
    env, conda, pip = _environment()
    assert env["channels"] == ["conda-forge"]                  # the `pytorch` channel stopped at 2.5
    assert "cpuonly" not in conda and "pytorch" not in conda
    pip_lines = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    torch_pin = next(r for r in tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
                     if _name(r) == "torch")
    assert torch_pin in pip_lines and "--extra-index-url https://download.pytorch.org/whl/cpu" in pip_lines
    assert "-e ." in pip_lines


def test_pyproject_names_every_third_party_import_of_the_library():
    imported = set()
    for path in (REPO / "affinekit").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):   # real imports only, not prose in docstrings
            if isinstance(node, ast.Import):
                imported |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                imported.add(node.module.split(".")[0])
    to_package = {"cv2": "opencv-python-headless", "skimage": "scikit-image", "PIL": "pillow",
                  "dlib": "dlib-bin", "yaml": "pyyaml", "imageio_ffmpeg": "imageio-ffmpeg",
                  "IPython": "ipykernel", "ipywidgets": "ipywidgets", "nbformat": "nbformat", "papermill": "papermill",
                  "jupyter_client": "jupyter-client", "zmq": "pyzmq"}
    stdlib = set(sys.stdlib_module_names) | {"__future__", "affinekit"}
    packages = _pyproject()
    missing = sorted(m for m in imported - stdlib if to_package.get(m, m).lower() not in packages)
    assert not missing, f"imported by affinekit but not a dependency in pyproject.toml: {missing}"


def test_make_install_leaves_the_users_jupyter_kernels_alone():
    makefile = (REPO / "Makefile").read_text()
    line = next(ln for ln in makefile.splitlines() if "ipykernel install" in ln)
    assert "--sys-prefix" in line and "--user" not in line and "--name affinekit" in line

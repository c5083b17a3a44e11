"""`affinekit figures`: the notebooks run with papermill, their figures and tables written (see `affinekit.notebook.figures`)."""
from __future__ import annotations

import argparse

from affinekit.notebook.figures import make_figures, parse_params, select_notebooks


def main(args: argparse.Namespace) -> int:
    """Entry point of `affinekit figures [--out DIR] [--tiny] [--only NB ...] [--param [NB:]NAME=VALUE ...]`."""
    notebooks = select_notebooks(args.only)
    make_figures(args.out, tiny=args.tiny, notebooks=notebooks,
                 parameters=parse_params(args.param, notebooks))
    return 0

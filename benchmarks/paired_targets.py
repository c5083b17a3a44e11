"""The still-pair targets of a paired evaluation, read from its JSON, each said met or missed.

    affinekit evaluate --protocol paired --data prepared/frll,prepared/jaffe,prepared/yale --json paired.json
    python benchmarks/paired_targets.py paired.json [--model NAME]

- FRLL: the model's mouth-point error at least 30% below the neutral photo's (copy-input), and its
  mouth-box SSIM above the neutral photo's and above landmark-warp's;
- JAFFE and Yale: the model's mouth-point error below the neutral photo's for every expression;
- issue 19 (a mouth that looks real), over every scored pair: the model's mouth sharpness ratio
  (variance of the Laplacian, generated over real) at least 0.6, its mouth two-sample accuracy at
  most 0.75, and its mouth-box SSIM above the same model's with the refiner off (the row named
  "<model> (refiner off)"; 'not measured' when the table has no such row).
"""
from __future__ import annotations

import argparse
import sys
from collections import defaultdict

import numpy as np

from affinekit.commands.script_args import run_script
from affinekit.errors import AffinekitError
from affinekit.io.json_values import read_json


def means(items: list[dict], key: str) -> dict[tuple[str, str, str], float]:
    """{(row, source, label): mean of `key`} over the pairs."""
    groups: dict[tuple[str, str, str], list[float]] = defaultdict(list)
    for item in items:
        if item.get(key) is not None and np.isfinite(item[key]):
            groups[(item["row"], item["source"], item["label"])].append(item[key])
            groups[(item["row"], item["source"], "*")].append(item[key])
    return {k: float(np.mean(v)) for k, v in groups.items()}


REFINER_OFF = "(refiner off)"


def refiner_off_row(rows: list[str], model: str) -> str | None:
    """The row of `model` with its mouth refiner off, by name: "<model> (refiner off)"."""
    wanted = f"{model} {REFINER_OFF}"
    return wanted if wanted in rows else None


def mouth_realism(overall: dict[str, dict], model: str, off: str | None) -> list[str]:
    """Issue 19's targets, one line each, from the table's overall row summaries."""
    say = lambda ok: "met" if ok else "MISSED"
    mine = overall[model]
    lines = [f"mouth sharpness ratio {mine['sharpness']:.2f} (target >= 0.6): {say(mine['sharpness'] >= 0.6)}"
             if mine.get("sharpness") is not None else "mouth sharpness ratio: not measured"]
    if mine.get("two_sample") is None:
        lines.append("mouth two-sample accuracy: not measured (a table from before the column)")
    else:
        lines.append(f"mouth two-sample accuracy {mine['two_sample']:.2f} [{mine['two_sample_low']:.2f}, "
                     f"{mine['two_sample_high']:.2f}] over {mine['two_sample_patches']} patches (target <= 0.75): "
                     f"{say(mine['two_sample'] <= 0.75)}")
    if off is None:
        lines.append(f"mouth SSIM above the refiner-off model's: not measured (no row '{model} {REFINER_OFF}')")
    else:
        lines.append(f"mouth SSIM {mine['mouth_ssim']:.3f} vs refiner off {overall[off]['mouth_ssim']:.3f}: "
                     f"{say(mine['mouth_ssim'] > overall[off]['mouth_ssim'])}")
        if overall[off].get("two_sample") is not None:
            lines.append(f"  refiner off: two-sample accuracy {overall[off]['two_sample']:.2f}, sharpness ratio "
                         f"{overall[off]['sharpness']:.2f}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("json")
    parser.add_argument("--model", help="the model row (default: the first model row)")
    args = parser.parse_args()
    fix = "pass the JSON written by `affinekit evaluate --protocol paired --json`"
    table = read_json(args.json, fix)
    if not isinstance(table, dict) or not all(isinstance(table.get(k), t) for k, t in
                                              (("items", list), ("rows", list), ("overall", (dict, list)))):
        raise AffinekitError(f"{args.json}: not a paired table (no items, rows and overall); {fix}")
    rows = sorted({i["row"] for i in table["items"]})
    models = [r for r in table["rows"] if str(r).startswith("model") and REFINER_OFF not in r]
    if not args.model and not models:
        raise AffinekitError(f"{args.json}: the table has no model row; {fix}")
    model = args.model or models[0]
    if model not in rows:
        raise AffinekitError(f"--model {model}: no such row in {args.json} (rows: {', '.join(map(str, rows))})")
    err, ssim = means(table["items"], "mouth_error"), means(table["items"], "mouth_ssim")
    say = lambda ok: "met" if ok else "MISSED"
    if ("copy-input", "frll", "*") in err:
        neutral, mine = err[("copy-input", "frll", "*")], err[(model, "frll", "*")]
        cut = 1 - mine / neutral
        print(f"FRLL mouth error: {mine:.4f} vs neutral {neutral:.4f}: {cut:.0%} below (target >= 30%): {say(cut >= 0.3)}")
        s_m, s_n, s_w = (ssim[(r, "frll", "*")] for r in (model, "copy-input", "landmark-warp"))
        print(f"FRLL mouth SSIM: {s_m:.3f} vs neutral {s_n:.3f} and landmark-warp {s_w:.3f}: "
              f"{say(s_m > s_n and s_m > s_w)}")
    for source in ("jaffe", "yale"):
        labels = sorted({l for (r, s, l) in err if s == source and l != "*"})
        for label in labels:
            n, m = err[("copy-input", source, label)], err[(model, source, label)]
            print(f"{source} {label:9s} mouth error {m:.4f} vs neutral {n:.4f}: {say(m < n)}")
    print(f"issue 19, {model}, every scored pair:")
    for line in mouth_realism(table["overall"], model, refiner_off_row(rows, model)):
        print(f"  {line}")


if __name__ == "__main__":
    sys.exit(run_script(main))

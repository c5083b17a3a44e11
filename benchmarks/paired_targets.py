"""The still-pair targets of a paired evaluation, read from its JSON, each said met or missed.

    affinekit evaluate --protocol paired --data prepared/frll,prepared/jaffe,prepared/yale --json paired.json
    python benchmarks/paired_targets.py paired.json [--model NAME]

- FRLL: the model's mouth-point error at least 30% below the neutral photo's (copy-input), and its
  mouth-box SSIM above the neutral photo's and above landmark-warp's;
- JAFFE and Yale: the model's mouth-point error below the neutral photo's for every expression.
"""
from __future__ import annotations

import argparse
import json
from collections import defaultdict

import numpy as np


def means(items: list[dict], key: str) -> dict[tuple[str, str, str], float]:
    """{(row, source, label): mean of `key`} over the pairs."""
    groups: dict[tuple[str, str, str], list[float]] = defaultdict(list)
    for item in items:
        if item.get(key) is not None and np.isfinite(item[key]):
            groups[(item["row"], item["source"], item["label"])].append(item[key])
            groups[(item["row"], item["source"], "*")].append(item[key])
    return {k: float(np.mean(v)) for k, v in groups.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("json")
    parser.add_argument("--model", help="the model row (default: the first model row)")
    args = parser.parse_args()
    table = json.load(open(args.json))
    rows = sorted({i["row"] for i in table["items"]})
    model = args.model or next(r for r in rows if r.startswith("model"))
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


if __name__ == "__main__":
    main()

"""Training throughput and clip-generation time of the generator, per image size, on this machine.

    python benchmarks/bench_train_throughput.py [--sizes 64 128 256] [--steps 3] [--batch-size 8]
                                                [--targets 5] [--base-width 32] [--depth 4] [--device cpu]

Training throughput = batch x K target frames per step / step time (one
discriminator and one generator update), measured on in-memory random data
after one warm-up step, so it is the model's cost and not the disk's. Clip time
is one 16-frame clip from one face (median of 5 after a warm-up).

Reference: the original AffineGAN code (a 74M-parameter U-Net, batch 1, five
target frames per step, 256 px) takes about 12 s per step on this CPU, i.e.
5 / 12 = 0.42 frames/s.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time

import torch

from affinekit.commands.script_args import COUNT, run_script, whole
from affinekit.config import ModelConfig, TrainConfig
from affinekit.models.generator import Generator
from affinekit.training.loop import Trainer

ORIGINAL_STEP_S = 12.0
ORIGINAL_FPS = 5 / ORIGINAL_STEP_S


class RandomSequences(torch.utils.data.Dataset):
    """Items shaped like SequenceDataset's, random content (speed does not depend on it)."""

    def __init__(self, n: int, k: int, channels: int, size: int):
        g = torch.Generator().manual_seed(0)
        self.x = torch.rand(n, k + 1, channels, size, size, generator=g) * 2 - 1
        self.k, self.size = k, size
        self.mask = torch.zeros(k, 1, size, size)
        self.mask[:, :, int(0.65 * size):int(0.85 * size), size // 3: 2 * size // 3] = 1

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, i: int) -> dict:
        return {"x0": self.x[i, 0], "targets": self.x[i, 1:], "positions": torch.linspace(0.2, 1, self.k),
                "label": torch.tensor(i % 7), "masks": self.mask, "x0_landmarks": torch.zeros(68, 2),
                "landmarks": torch.zeros(self.k, 68, 2), "key": str(i)}


def clip_time(cfg: ModelConfig, device: str, frames: int = 16, runs: int = 5) -> float:
    torch.manual_seed(0)
    g = Generator(cfg).to(device).eval()
    x0 = torch.rand(1, cfg.channels, cfg.image_size, cfg.image_size, device=device) * 2 - 1
    y, lam = torch.tensor([4], device=device), torch.linspace(0, 1, frames, device=device)
    times = []
    with torch.inference_mode():
        for i in range(runs + 1):
            t = time.perf_counter()
            g.generate(x0, y, lam)
            if device.startswith("cuda"):
                torch.cuda.synchronize()
            if i:
                times.append(time.perf_counter() - t)
    return statistics.median(times)


def train_time(cfg: ModelConfig, batch: int, k: int, steps: int, device: str) -> float:
    data = RandomSequences(max(batch, 8), k, cfg.channels, cfg.image_size)
    with tempfile.TemporaryDirectory() as tmp:
        trainer = Trainer(cfg, TrainConfig(batch_size=batch, device=device, steps=steps + 1), data, tmp)
        times = []
        for step in range(1, steps + 2):
            b = trainer.batches[step]
            t = time.perf_counter()
            trainer.train_step(b, step)
            if device.startswith("cuda"):
                torch.cuda.synchronize()
            if step > 1:                      # the first step warms up allocators and kernels
                times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", type=whole(16, 4096), nargs="+", default=[64, 128, 256])
    p.add_argument("--steps", type=COUNT, default=3)
    p.add_argument("--batch-size", type=COUNT, default=8)
    p.add_argument("--targets", type=COUNT, default=5)
    p.add_argument("--base-width", type=COUNT, default=32)
    p.add_argument("--depth", type=whole(1, 10), default=4)
    p.add_argument("--max-width", type=COUNT, default=256)
    p.add_argument("--device", default="cpu")
    p.add_argument("--heads", nargs="+", default=["motion", "pixels"], choices=["motion", "pixels"],
                   help="output heads to compare at each size (same network otherwise)")
    args = p.parse_args()

    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, device {args.device}; "
          f"batch {args.batch_size} x K={args.targets} targets; base width {args.base_width}, depth {args.depth}")
    print(f"{'size':>5} {'head':>7} {'params':>8} {'step s':>8} {'frames/s':>9} {'x original':>10} {'16-frame clip s':>16}")
    for size in args.sizes:
        for head in args.heads:
            cfg = ModelConfig(image_size=size, base_width=args.base_width, depth=args.depth,
                              max_width=args.max_width, output=head)
            params = sum(p.numel() for p in Generator(cfg).parameters()) / 1e6
            step_s = train_time(cfg, args.batch_size, args.targets, args.steps, args.device)
            fps = args.batch_size * args.targets / step_s
            clip_s = clip_time(cfg, args.device)
            print(f"{size:>5} {head:>7} {params:>7.2f}M {step_s:>8.2f} {fps:>9.2f} {fps / ORIGINAL_FPS:>9.1f}x "
                  f"{clip_s:>16.3f}", flush=True)
    print(f"original AffineGAN: 74M params, {ORIGINAL_STEP_S:.0f} s/step at 256 px, batch 1 x 5 targets "
          f"= {ORIGINAL_FPS:.2f} frames/s ('x original' compares frames/s, each size against that 256 px figure)")


if __name__ == "__main__":
    sys.exit(run_script(main, (ValueError,)))

"""The notebook's live training board: loss curves and the latest generated frames, redrawn in place."""
from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure

from affinekit.show.charts import plot_losses
from affinekit.show.plots import montage, new_figure, pick_frames, save, to_png


class LiveBoard:
    """A live training board: loss curves and the latest generated frames, redrawn in place.

    It owns one `display(..., display_id=True)` handle and updates it, at most
    every `every` seconds, so a long run shows one figure that changes rather
    than hundreds of figures. Use it as a `Trainer` callback:

        board = LiveBoard()
        Trainer(model_cfg, train_cfg, data, out, callbacks=[board]).fit()

    `panels` groups the logged keys per plot (default: G_L1 | D_frame_real, D_frame_fake, the
    paper's Figs. 6 and 7); `on_sample` frames (a clip batch (B, T, C, H, W) in
    [-1, 1]) fill a third panel. Outside a notebook (no IPython kernel) it keeps
    the history and draws nothing unless `display_fn` is given.
    """

    def __init__(self, panels: Sequence[Sequence[str]] = (("G_L1",), ("D_frame_real", "D_frame_fake")),
                 every: float = 2.0, window: int = 0, max_clips: int = 4, max_frames: int = 8,
                 title: str = "training", display_fn: Callable[..., Any] | None = None,
                 clock: Callable[[], float] = time.monotonic):
        self.panels = [tuple(p) for p in panels]
        self.every = float(every)
        self.window = window
        self.max_clips = max_clips
        self.max_frames = max_frames
        self.title = title
        self.log: list[dict[str, Any]] = []
        self.samples: np.ndarray | None = None   # montage of the latest sample frames
        self.sample_step: int | None = None
        self.draws = 0
        self._clock = clock
        self._last = -math.inf
        self._display_fn = display_fn
        self._handle: Any = None

    # -- trainer callbacks -------------------------------------------------
    def on_step(self, trainer: Any, step: int, logs: Mapping[str, Any]) -> None:
        """Record one step's losses; redraw if the last draw is `every` seconds old."""
        row = {"step": int(step)}
        for k, v in logs.items():
            if hasattr(v, "item") and getattr(v, "ndim", 0) == 0:
                v = v.item()
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                row[k] = float(v)
        self.log.append(row)
        self.update()

    def on_sample(self, trainer: Any, step: int, frames: Any) -> None:
        """Keep the newest generated frames (B, T, C, H, W) for the frame panel."""
        if hasattr(frames, "detach"):
            frames = frames.detach().cpu().numpy()
        frames = np.asarray(frames)
        if frames.ndim == 4:                      # one clip (T, C, H, W)
            frames = frames[None]
        clips = [pick_frames(list(clip), self.max_frames) for clip in frames[: self.max_clips]]
        self.samples = montage(clips, pad=1)
        self.sample_step = int(step)
        self.update(force=True)

    def on_end(self, trainer: Any) -> None:
        """Draw the final state whatever the throttle says."""
        self.update(force=True)

    # -- drawing -----------------------------------------------------------
    def update(self, force: bool = False) -> bool:
        """Redraw if forced or the throttle allows; return whether it drew."""
        now = self._clock()
        if not force and now - self._last < self.every:
            return False
        self._last = now
        self.draws += 1
        self._show(self.figure())
        return True

    def figure(self) -> Figure:
        """The board as a figure: one loss panel per group, then the frames."""
        n = len(self.panels) + (1 if self.samples is not None else 0)
        fig = new_figure(4.2 * n if self.samples is None else 4.2 * len(self.panels) + 5.0, 3.2)
        ratios = [1.0] * len(self.panels) + ([1.25] if self.samples is not None else [])
        axes = fig.subplots(1, n, squeeze=False, width_ratios=ratios)[0]
        window = self.window or max(1, len(self.log) // 50)
        for ax, keys in zip(axes, self.panels):
            plot_losses(ax, self.log, keys, window=window)
        if self.samples is not None:
            ax = axes[-1]
            ax.imshow(self.samples)
            ax.set_axis_off()
            ax.set_title(f"generated, step {self.sample_step} (neutral -> apex)", fontsize=9)
        step = self.log[-1]["step"] if self.log else 0
        fig.suptitle(f"{self.title}: step {step}", fontsize=10)
        return fig

    def _show(self, fig: Figure) -> None:
        png = to_png(fig, dpi=80)
        if self._display_fn is not None:
            if self._handle is None:
                self._handle = self._display_fn(png, display_id=True)
            else:
                self._handle.update(png) if hasattr(self._handle, "update") else self._display_fn(png, display_id=True)
            return
        try:
            from IPython import get_ipython
            from IPython.display import Image, display
        except ImportError:
            return
        if get_ipython() is None:
            return
        if self._handle is None:
            self._handle = display(Image(data=png), display_id=True)
        else:
            self._handle.update(Image(data=png))

    def save(self, path: str | Path) -> Path | None:
        """Save the board as it stands now."""
        return save(self.figure(), path)

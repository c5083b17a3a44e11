"""Notebook pictures moved out of the notebooks: the toy's sequence and scores, the field lengths."""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from affinekit.show.look_inside import field_lengths
from affinekit.show.toy_view import toy_scores, toy_sequence


def test_toy_sequence_titles_each_frame_by_its_true_intensity():
    fig = toy_sequence(np.zeros((3, 16, 16, 3), np.uint8), np.full((3, 68, 2), 8.0), [0.0, 0.25, 1.0], "P0_happy")
    assert [ax.get_title() for ax in fig.axes] == ["l* = 0.00", "l* = 0.25", "l* = 1.00"]
    assert all(len(ax.lines[0].get_xdata()) == 68 for ax in fig.axes)


def test_toy_scores_plot_every_held_out_frame_and_the_clips():
    truth = {"a_happy": np.array([0, 0.5, 1.0]), "b_surprise": np.array([0, 1.0, 0.5])}
    score = SimpleNamespace(truth=truth, inferred={k: v * 0.5 for k, v in truth.items()}, per_sequence=1.0,
                            pooled=0.9, position=0.5)
    fig = toy_scores(score, ["happy", "surprise"], list(truth), steps=7)
    left, right = fig.axes
    assert sum(len(line.get_xdata()) for line in left.lines[:2]) == 6        # every frame, by label
    assert len(right.lines) == 4 and "7 steps" in fig._suptitle.get_text()


def test_field_lengths_share_one_scale():
    maps = {"|F_y|": np.ones((2, 4, 4)), "|learned|": np.full((2, 4, 4), 3.0)}
    fig = field_lengths(maps, ["happy", "anger"])
    images = [ax.images[0] for ax in fig.axes if ax.images]
    assert len(images) == 4 and {im.get_clim() for im in images} == {(0.0, 3.0)}

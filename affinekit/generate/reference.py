"""A reference face: which mixture of expressions, at which intensity, explains another photo?

`affinekit generate photo.jpg --like other.jpg` reads the expression off `other.jpg`
and makes the clip of *this* face going to it. The hidden-affine model already
answers "how far along its direction is this frame?" for one label
(`affine.project_intensity`, used in training). Here every label's direction of
this face, a_i = E_d(x0, y_i), is fitted at once to the change
of base code the reference shows, with non-negative intensities:

    E_b(x_ref) - E_b(x0)  ~  sum_i c_i a_i,   c_i >= 0   (`affine.project_mixture`)

over the LIKE_LEVELS coarsest levels of the U-Net (the bottleneck and the two skip levels above it),
each weighing the same per element, for *which* expressions (the bottleneck alone under
`model.mixing=bottleneck`, where the decoder mixes nowhere else); *how far* is the bottleneck's fit's
total, where training calibrates l.

The clip then goes from the photo to `E_b(x0) + l * sum_i w_i a_i` with
l = sum_i c_i and w_i = c_i / l: its last code is the fit itself.

When the reference is another person, the change of base code also holds the
difference between the two faces; only the part of it along the expression
directions counts, but that part is not zero, so the same person's apex is the
cleaner case (`benchmarks/reference_face.py` measures both).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from affinekit.expressions import EXPRESSIONS
from affinekit.generate.mixtures import describe
from affinekit.io.images import network_input
from affinekit.models.affine import project_mixture


# The coarsest levels fitted. Chosen on the bundled generator's *training* people (CK+, JAFFE and Yale
# apexes, 8 Dec): read from another person's neutral face, as --like is used, the top weight was right in
# 36% of 1032 pairs from the bottleneck alone, 43% from the two coarsest levels, 44% from three and 40%
# from all five; from the person's own neutral face 53%, 61%, 61% and 66%.
LIKE_LEVELS = 3


@dataclass
class InferredMixture:
    """The non-negative intensity of each label's direction that best explains a reference face."""
    coefficients: np.ndarray      # (L,) c_i >= 0

    @property
    def intensity(self) -> float:
        """l = sum_i c_i: how far the clip goes."""
        return float(np.sum(self.coefficients))

    @property
    def weights(self) -> np.ndarray:
        """w_i = c_i / l (zeros when the reference shows no expression)."""
        total = self.intensity
        return self.coefficients / total if total > 0 else np.zeros_like(self.coefficients)

    @property
    def top_label(self) -> int:
        """The label with the largest weight."""
        return int(np.argmax(self.coefficients))

    def mixture(self) -> dict[str, float]:
        """{expression: weight} of the labels with a weight, for `Animator.animate`."""
        return {EXPRESSIONS[i]: float(w) for i, w in enumerate(self.weights) if w > 0}

    def __str__(self) -> str:
        if self.intensity <= 0:
            return "no expression (the reference projects onto no direction)"
        return f"{describe(self.weights)} at intensity {self.intensity:.2f}"


@torch.inference_mode()
def infer_mixture(generator, neutral: torch.Tensor, reference: torch.Tensor, levels: int = LIKE_LEVELS
                  ) -> InferredMixture:
    """The mixture of a reference face seen from a neutral one, fitted at the `levels` coarsest levels.

    neutral, reference: aligned crops (C, H, W) in [-1, 1] (any size and channel
    count: they are brought to the network's); generator: a hidden-affine
    `Generator` (either head: both have the encoders).
    """
    cfg = generator.cfg
    device = next(generator.parameters()).device
    # each face brought to the network's channels and size on its own: a grey photo and a colour one
    # (or crops of two sizes) cannot be stacked as they come
    pair = torch.cat([network_input(torch.as_tensor(face)[None].float(), cfg.channels, cfg.image_size)
                      for face in (neutral, reference)]).to(device)
    codes = generator.base_encoder(pair)                                      # per level (2, C, h, w)
    labels = torch.arange(cfg.num_labels, device=device)
    _, directions = generator.encode(pair[:1].expand(cfg.num_labels, -1, -1, -1), labels)
    depth = 1 if generator.bottleneck_only else min(levels, len(codes))     # where l * direction is mixed in
    fitted = range(len(codes) - depth, len(codes))
    which = project_mixture([codes[k][1] for k in fitted], [codes[k][0] for k in fitted],
                            [directions[k] for k in fitted]).numpy()
    # how far: the bottleneck's fit, the level where training calibrates l (G_sup and G_landmark act on
    # the projection there); the finer levels' codes move less than their directions, and a fit over
    # them reads a CK+ apex at about a third of its intensity
    far = float(project_mixture(codes[-1][1], codes[-1][0], directions[-1]).sum())
    total = float(which.sum())
    return InferredMixture(which / total * far if total > 0 else which)

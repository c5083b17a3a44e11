"""The mouth refiner with an exemplar bank: teeth and cavities copied from real mouths, then harmonised.

Today's refiner (`models.mouth.MouthRefiner`) paints luma from nothing and gives a smooth grey band
where teeth should be. This one carries a bank of real open mouths inside the generator's file
(JPEG bytes of mouth patches at the refiner's size, their lip shapes, who they are: FRLL training
people and open clips, never a source the kit may not ship). Per clip:

1. the frame's lip points are the neutral face's carried by the motion field (`exemplars.moved_points`),
   in the mouth patch's coordinates (inter-ocular distances);
2. one exemplar is chosen **once per clip**, at its strongest frame, as the bank's nearest shape
   (`exemplars.nearest`), so the teeth cannot flicker from frame to frame; with `mouth.smile_teeth`
   a happy clip chooses among the mouths that show teeth (a parted smile shows them; a talking mouth
   of the same opening often shows a dark gap, and the shape alone cannot tell the two apart);
3. each frame, the exemplar is warped into that frame's lips (`exemplars.tps_warp`) and the network
   reads it beside the composite patch, the neutral patch, the inner-lip polygon, label and l;
4. the network predicts a mask m, a colour correction that is smooth by construction (predicted at
   an eighth of the patch and spread bilinearly: it can shift colour and light, not invent texture),
   and how much to soften the exemplar (a blend with a blurred copy, one weight per patch, to match
   the frame's focus). Where m opens, the frame becomes the corrected exemplar, in colour.

The texture inside the mouth therefore comes from a real mouth, and the network only fits it in.
A bank may store its mouths larger than the patch (`MouthConfig.bank_size`): the network reads them
at the patch's size, and where the photo's mouth is larger than the patch (a 1024 px photo's is about
three times larger) the same correction is applied to the exemplar warped at the bank's size, so the
copied teeth keep the detail they have instead of being the patch stretched.
"""
from __future__ import annotations

import contextlib
from typing import Iterator

import numpy as np
import torch
import torch.nn.functional as F

from affinekit.config import MouthConfig
from affinekit.expressions import EXPRESSIONS
from affinekit.io.images import tensor_channels, to_model_scale
from affinekit.models.exemplars import INNER, LIPS, OUTER, decode_jpeg, descriptor, moved_points, nearest, \
    polygon_mask, teeth_shares, tps_points, tps_warp
from affinekit.models.motion import pixels_to_normalised
from affinekit.models.mouth import MouthRefiner, cut_patches, mouth_square, paste_patches, refine_frames

MASK_PRIOR = 3.0         # the mask's logit starts this much higher inside the exemplar's opening
COLOUR_POOL = 8          # the colour correction's resolution: the patch's size over this
BLUR_SIGMA = 1.5         # the blurred copy of the exemplar (patch pixels)
MASK_SIGMA = 1.0         # the mask's logit is smoothed this much (patch pixels): the U-Net's 2 x 2 pixel
                         # blocks otherwise leave a dotted grid in it, which reads as speckle on the lips
HAPPY = EXPRESSIONS.index("happy")     # the label `mouth.smile_teeth` applies to


def patch_shapes(landmarks: torch.Tensor, size: int, flow: torch.Tensor, theta: torch.Tensor) -> torch.Tensor:
    """Lip shapes (B, T, 20, 2) in patch coordinates of each frame a field makes: landmarks (B, 68, 2)
    in pixels of the size x size crop x0, flow (B, T, 2, h, w), theta (B, 2, 3) patch -> crop."""
    lips = pixels_to_normalised(torch.as_tensor(landmarks).float()[:, LIPS], size)
    moved = moved_points(lips, flow)                                              # (B, T, 20, 2) crop
    A, b = theta[:, :, :2].float(), theta[:, :, 2].float()
    return torch.einsum("bij,btpj->btpi", torch.linalg.inv(A), moved - b[:, None, None])


def gaussian_blur(images: torch.Tensor, sigma: float = BLUR_SIGMA) -> torch.Tensor:
    """images (N, C, s, s) blurred by a separable Gaussian (reflecting edges)."""
    r = int(np.ceil(3 * sigma))
    t = torch.arange(-r, r + 1, dtype=images.dtype)
    k = torch.exp(-0.5 * (t / sigma) ** 2)
    k = (k / k.sum()).to(images)
    C = images.shape[1]
    x = F.pad(images, (r, r, r, r), mode="reflect")
    x = F.conv2d(x, k.view(1, 1, 1, -1).expand(C, 1, 1, -1), groups=C)
    return F.conv2d(x, k.view(1, 1, -1, 1).expand(C, 1, -1, 1), groups=C)


class ExemplarRefiner(MouthRefiner):
    """(composite patch, neutral patch, warped exemplar, inner-lip polygon, label, l) -> (m, colour)."""

    EXTRA_INPUTS = 5      # the warped exemplar (RGB), its opening and the frame's inner-lip polygon
    OUT_MAPS = 5          # colour correction (3), mask, softening

    def __init__(self, cfg: MouthConfig, num_labels: int):
        if cfg.exemplars < 1:
            raise ValueError("an ExemplarRefiner needs a bank: mouth.exemplars >= 1")
        super().__init__(cfg, num_labels)
        K = cfg.exemplars
        # the bank travels in the generator's state dict (uint8 stays uint8 in a float16 export)
        self.register_buffer("bank_jpeg", torch.zeros(cfg.bank_bytes, dtype=torch.uint8))
        self.register_buffer("bank_offsets", torch.zeros(K + 1, dtype=torch.int64))
        self.register_buffer("bank_shapes", torch.zeros(K, 20, 2))
        self.register_buffer("bank_people", torch.zeros(K, dtype=torch.int64))
        self._decoded: dict[int, torch.Tensor] = {}
        self._teeth: torch.Tensor | None = None
        self.bank_names: list[str] = []      # whose mouths, by `bank_people` number (the file records them)
        self.left_out: int | None = None     # a bank person no clip copies (`leaving_out`)

    def set_bank(self, jpeg: torch.Tensor, offsets: torch.Tensor, shapes: torch.Tensor, people: torch.Tensor) -> None:
        """Fill the bank (sizes must match the config's exemplars and bank_bytes)."""
        for name, value in (("bank_jpeg", jpeg), ("bank_offsets", offsets), ("bank_shapes", shapes),
                            ("bank_people", people)):
            getattr(self, name).copy_(value)
        self._decoded.clear()
        self._teeth = None

    def _decode(self, k: int) -> torch.Tensor:
        """Bank mouth k (3, b, b) in [-1, 1]."""
        a, b = int(self.bank_offsets[k]), int(self.bank_offsets[k + 1])
        rgb = decode_jpeg(self.bank_jpeg[a:b].cpu().numpy())
        return to_model_scale(torch.from_numpy(rgb).permute(2, 0, 1).float())

    def exemplar_images(self, picks: torch.Tensor) -> torch.Tensor:
        """The bank's mouths (N, 3, b, b) in [-1, 1] (b: `cfg.bank_side`) for indices picks (N,); each decoded once."""
        for k in picks.tolist():
            if k not in self._decoded:
                self._decoded[k] = self._decode(k)
        return torch.stack([self._decoded[k] for k in picks.tolist()]).to(self.bank_shapes.device)

    def teeth_shown(self) -> torch.Tensor:
        """(K,) the share of each bank mouth's opening that shows teeth (`exemplars.teeth_shares`), measured
        once; the mouths are decoded for it one at a time and not kept (a clip copies one of them)."""
        if self._teeth is None:
            shapes = self.bank_shapes.cpu()
            self._teeth = torch.cat([teeth_shares(self._decode(k)[None], shapes[k:k + 1])
                                     for k in range(shapes.shape[0])])
        return self._teeth

    def allowed(self, labels: torch.Tensor | None) -> torch.Tensor | None:
        """(B, K) which bank mouths each clip may copy, for labels (B,) or mixture weights (B, L): under
        `cfg.smile_teeth`, a clip that is mostly happy only those that show teeth; None: any."""
        if labels is None or not self.cfg.smile_teeth:
            return None
        labels = torch.as_tensor(labels).cpu()
        happy = labels[:, HAPPY] >= 0.5 if labels.dim() == 2 else labels == HAPPY
        teeth = self.teeth_shown() >= self.cfg.smile_teeth
        if not bool(teeth.any()):
            return None                      # a bank without a smile: copy by shape alone
        return ~happy.view(-1, 1) | teeth.view(1, -1)

    def choose(self, shapes: torch.Tensor, intensities: torch.Tensor, exclude: torch.Tensor | None = None,
               labels: torch.Tensor | None = None) -> torch.Tensor:
        """One exemplar per clip (B,): the bank's nearest shape to the clip's frame of largest |l|
        (shapes (B, T, 20, 2), intensities (B, T)) among those the clip's label allows (`allowed`);
        `exclude` (B,) bank people to skip (training; otherwise the person `leaving_out` names)."""
        apex = intensities.abs().argmax(1)
        query = shapes[torch.arange(shapes.shape[0]), apex]
        if exclude is None and self.left_out is not None:
            exclude = torch.full((shapes.shape[0],), self.left_out, dtype=torch.int64)
        return nearest(descriptor(self.bank_shapes.float()), descriptor(query), self.bank_people, exclude,
                       allowed=self.allowed(labels))

    def forward(self, patch: torch.Tensor, neutral: torch.Tensor, warped: torch.Tensor, polygons: torch.Tensor,
                label: torch.Tensor, intensity: torch.Tensor,
                fine: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """(m (N, 1, s, s), the colour to show (N, 3, s, s) in [-1, 1]); polygons (N, 2, s, s): the warped
        exemplar's opening and the frame's inner lips. With `fine` (N, 3, S, S), the same exemplar warped
        at a larger size S, the colour is shown at S: the same correction and softening, applied to it."""
        raw = self.maps(patch, neutral, label, intensity, warped, polygons)
        level = intensity.to(patch).view(-1, 1, 1, 1)
        logit = gaussian_blur(raw[:, 1:2], MASK_SIGMA) + MASK_PRIOR * (2 * polygons[:, :1] - 1)
        mask = torch.sigmoid(logit) * self.window.to(patch) * level.abs().clamp(max=1.0)
        cfg = self.cfg
        soften = cfg.soften_limit * torch.sigmoid(raw[:, 4:5].mean((2, 3), keepdim=True) - 2.0)  # starts near 0.1
        shift = cfg.shift_limit * torch.tanh(F.avg_pool2d(torch.cat([raw[:, :1], raw[:, 2:4]], 1), COLOUR_POOL))
        shown = warped if fine is None else fine
        scale = shown.shape[-1] / patch.shape[-1]            # the blur is the same on the face at any size
        shift = F.interpolate(shift, size=shown.shape[-2:], mode="bilinear", align_corners=False)
        image = (1 - soften) * shown + soften * gaussian_blur(shown, BLUR_SIGMA * scale) + shift
        return mask, image.clamp(-1, 1)


def exemplar_inputs(refiner: ExemplarRefiner, shapes: torch.Tensor, picks: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(warped exemplars (N, 3, s, s), polygons (N, 2, s, s): the exemplar's opening where the warp
    draws it, the frame's inner lips) for frames with lip shapes (N, 20, 2) in patch coordinates and
    chosen exemplars picks (N,).

    The warp follows the outer lips: the exemplar keeps its own opening, fitted to the frame's
    mouth. A field that parts the lips less than a real smile does (or not at all) then still gets
    a real smile's teeth at their real size, and the network decides how much of them shows.
    """
    s = refiner.cfg.size
    images = refiner.exemplar_images(picks)
    if images.shape[-1] != s:          # the network reads a larger bank's mouths at its own size
        images = F.interpolate(images, size=(s, s), mode="area")
    src = refiner.bank_shapes[picks].float()
    warped = tps_warp(images, src[:, OUTER], shapes[:, OUTER].float())
    opening = tps_points(src[:, INNER], src[:, OUTER], shapes[:, OUTER].float())
    return warped, torch.cat([polygon_mask(opening, s), polygon_mask(shapes[:, INNER], s)], 1)


def fine_exemplars(refiner: ExemplarRefiner, shapes: torch.Tensor, picks: torch.Tensor) -> torch.Tensor:
    """The chosen exemplars (N, 3, b, b) warped as `exemplar_inputs` warps them, at the bank's own size b."""
    src = refiner.bank_shapes[picks].float()
    return tps_warp(refiner.exemplar_images(picks), src[:, OUTER], shapes[:, OUTER].float())


def shown_larger(refiner: ExemplarRefiner, theta: torch.Tensor, frame_size: tuple[int, int]) -> bool:
    """Whether the patch that maps theta (N, 2, 3) (patch -> frame, normalised) cuts covers more frame
    pixels than the patch has, and the bank holds its mouths larger: then they are shown larger."""
    h, w = frame_size
    side = float(torch.linalg.det(theta[:1, :, :2].double()).abs().sqrt()) * (w * h) ** 0.5
    return refiner.cfg.bank_side > refiner.cfg.size and side > refiner.cfg.size


def refine(refiner: MouthRefiner, frames: torch.Tensor, neutral: torch.Tensor, theta: torch.Tensor,
           labels: torch.Tensor, intensities: torch.Tensor, shapes: torch.Tensor | None = None,
           picks: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(frames (N, C, H, W) in [-1, 1] with their mouths refined, the mask m and what was painted on the
    patch) by either refiner (the one inference path): today's paints luma; the exemplar one needs
    each frame's lip shape (N, 20, 2) and pick (N,) (`clip_plan`) and paints colour."""
    if not isinstance(refiner, ExemplarRefiner):
        return refine_frames(refiner, frames, neutral, theta, labels, intensities)
    s = refiner.cfg.size
    patch = cut_patches(tensor_channels(frames, 3), theta, s)
    base = cut_patches(tensor_channels(neutral, 3), theta, s)
    warped, polygon = exemplar_inputs(refiner, shapes, picks)
    fine = fine_exemplars(refiner, shapes, picks) if shown_larger(refiner, theta, frames.shape[-2:]) else None
    mask, image = refiner(patch, base, warped, polygon, labels, intensities, fine)
    return paste_patches(frames, theta, mask, image), mask, image


def clip_plan(refiner: MouthRefiner, landmarks: torch.Tensor, size: int, flow: torch.Tensor,
              intensities: torch.Tensor, labels: torch.Tensor | None = None
              ) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor | None]:
    """(theta (B, 2, 3), shapes (B, T, 20, 2) or None, picks (B,) or None) for clips of faces with
    landmarks (B, 68, 2) in pixels of their size x size crop, moved by flow (B, T, 2, h, w) at
    intensities (B, T), labels (B,) or mixture weights (B, L): the mouth square, and for an exemplar
    refiner what each frame shows."""
    theta = mouth_square(torch.as_tensor(landmarks).float(), size, refiner.cfg)
    if not isinstance(refiner, ExemplarRefiner):
        return theta, None, None
    shapes = patch_shapes(landmarks, size, flow.float().cpu(), theta)
    return theta, shapes, refiner.choose(shapes, intensities.float().cpu(), labels=labels)


@contextlib.contextmanager
def leaving_out(refiner: MouthRefiner | None, person: str) -> Iterator[None]:
    """Inside the block, clips never copy the mouths of the bank's person named `person` ("clip-<stem>",
    "frll-NNN"; a name the bank does not hold changes nothing). An evaluation uses it for a face whose
    own mouths the bank holds, as training leaves each target's own mouths out."""
    if not isinstance(refiner, ExemplarRefiner) or person not in refiner.bank_names:
        yield
        return
    before, refiner.left_out = refiner.left_out, refiner.bank_names.index(person)
    try:
        yield
    finally:
        refiner.left_out = before


def make_refiner(cfg: MouthConfig, num_labels: int) -> MouthRefiner:
    """The refiner a config describes: with a bank (cfg.exemplars > 0) or today's."""
    return ExemplarRefiner(cfg, num_labels) if cfg.exemplars > 0 else MouthRefiner(cfg, num_labels)

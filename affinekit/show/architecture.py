"""One picture of the whole model: encoders, the hidden affine mix at each level, the motion head,
the warp, the mouth stage, and the discriminators with what each of them sees.

Drawn from boxes and arrows (no network is run), so it describes the kit's defaults
(`ModelConfig()`, `model.output=motion`); `generator_shapes.md` gives the measured shapes.
"""
from __future__ import annotations

from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from affinekit.show.plots import new_figure

# box colours by role: inputs, networks, codes, fixed operations, discriminators, losses
COLOURS = {"input": "#f2f2f2", "net": "#cfe2f3", "code": "#fff2cc", "op": "#d9ead3", "disc": "#f4cccc",
           "refiner": "#e6d0f0", "loss": "#fce5cd"}
# (key, x, y, width, height, kind, text): x and y in a 100 x 60 canvas, y up
BOXES = [
    ("x0", 1, 44, 13, 8, "input", "neutral photo $x_0$\n(aligned crop, 64 px)"),
    ("y", 1, 33, 13, 7, "input", "label $y$\n(7 planes, one all ones)"),
    ("xt", 1, 22, 13, 7, "input", "real frame $x_t$\n(training only)"),
    ("Eb", 18, 44, 12, 8, "net", "base encoder $E_b$\n(U-Net down path)"),
    ("Ed", 18, 32, 12, 8, "net", "direction encoder $E_d$\n(reads $x_0$ and $y$)"),
    ("mix", 34, 34, 17, 18, "code", "hidden affine mix,\nat every skip level\nand the bottleneck:\n\n$b_k + l \\cdot d_k$\n\n"
                                     "($b_k$ base code,\n$d_k$ direction code)"),
    ("proj", 18, 20, 16, 8, "op", "projection at the bottleneck\n$l_t = \\langle E_b(x_t) - E_b(x_0), d\\rangle"
                                  " / \\|d\\|^2$"),
    ("dec", 55, 40, 12, 10, "net", "decoder\n(U-Net up path,\none skip per level)"),
    ("head", 71, 40, 14, 12, "op", "motion head\nfield $F = l F_y$ + correction\nmask $A$, residual $R$"),
    ("prior", 71, 54, 14, 5, "input", "prior $F_y$: the label's landmark\nmotion at $l$ = 1 (least squares)"),
    ("warp", 71, 27, 14, 9, "op", "compose\n$(1-A)\\,\\mathrm{warp}(x_0, F) + A\\,R$\n(at generate time:\non the full photo)"),
    ("mouth", 88, 27, 11, 14, "refiner", "mouth stage:\na real open mouth\nfrom a bank, warped\ninto the lips and\n"
                                          "harmonised (mask,\ncolour, focus);\n(trained after G)"),
    ("frame", 88, 45, 11, 8, "input", "frame $\\hat x_t$\nat intensity $l$"),
    ("losses", 38, 19, 30, 10, "loss", "terms against the real frame $x_t$ (training):\n"
                                        "G_L1: the frame at $l_t$ vs $x_t$\n"
                                        "G_landmark: $F$ at $l_t$ carries $x_t$'s landmarks to $x_0$'s\n"
                                        "G_sup: $l_t$ vs the frame's measured intensity; G_smooth, G_mask;\n"
                                        "G_keep: the learned field along the prior"),
    ("Dlam", 1, 2, 22, 11, "disc", "intensity discriminator\nsees each inferred $l_t$\nvs uniform samples in [0, 1]\n"
                                   "D_lambda; G_lambda"),
    ("Dframe", 26, 2, 22, 11, "disc", "frame PatchGAN\nsees $x_0$, the frame, $y$\n8x8 verdicts, one per patch\n"
                                       "D_frame_real / D_frame_fake; G_frame"),
    ("Dlip", 51, 2, 22, 11, "disc", "lip discriminator\nsees a 32 px crop of\nframe x lip mask, beside $x_0$'s\n"
                                    "D_lip; G_lip"),
    ("Dapex", 76, 2, 23, 11, "disc", "apex discriminator: the generated\napex ($l$ = 1) and $y$ vs unpaired real\n"
                                     "apex faces; D_apex_*, G_apex; beside it\nan expression classifier of those\n"
                                     "faces reads the apex's warp: G_expression"),
]
ARROWS = [("x0", "Eb"), ("x0", "Ed"), ("y", "Ed"), ("Eb", "mix"), ("Ed", "mix"), ("xt", "proj"), ("proj", "mix"),
          ("mix", "dec"), ("dec", "head"), ("prior", "head"), ("head", "warp"), ("warp", "mouth"), ("mouth", "frame"),
          ("proj", "Dlam")]
BUS_Y = 16.5          # the generated frames (beside real ones) go down this line to the three image discriminators


def _ends(a: tuple, b: tuple) -> tuple[tuple[float, float], tuple[float, float]]:
    """Where an arrow from box a to box b leaves a and enters b: the facing sides' middles."""
    _, ax_, ay, aw, ah, *_ = a
    _, bx, by, bw, bh, *_ = b
    dx, dy = (bx + bw / 2) - (ax_ + aw / 2), (by + bh / 2) - (ay + ah / 2)
    if abs(dx) * 0.6 > abs(dy):
        return ((ax_ + aw, ay + ah / 2), (bx, by + bh / 2)) if dx > 0 else ((ax_, ay + ah / 2), (bx + bw, by + bh / 2))
    return ((ax_ + aw / 2, ay), (bx + bw / 2, by + bh)) if dy < 0 else ((ax_ + aw / 2, ay + ah), (bx + bw / 2, by))


def _arrow(ax, start: tuple[float, float], end: tuple[float, float], head: bool = True) -> None:
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>" if head else "-", mutation_scale=10, lw=0.8,
                                 color="#555555", shrinkA=1, shrinkB=1))


def architecture_diagram(title: str = "affinekit's generator and its discriminators (model.output=motion)") -> Figure:
    """The model as boxes and arrows: what reads what, where the affine mix happens, what each
    discriminator sees and which log keys its losses carry. Returns a Figure (save it with `plots.save`)."""
    fig = new_figure(15, 9)
    ax = fig.add_axes([0, 0, 1, 0.95])
    ax.set_xlim(0, 100)
    ax.set_ylim(0, 60)
    ax.axis("off")
    boxes = {b[0]: b for b in BOXES}
    for key, x, y, w, h, kind, text in BOXES:
        ax.add_patch(FancyBboxPatch((x, y), w, h, boxstyle="round,pad=0.3", fc=COLOURS[kind], ec="#444444", lw=0.8))
        ax.text(x + w / 2, y + h / 2, text, ha="center", va="center", fontsize=7.5)
    for a, b in ARROWS:
        _arrow(ax, *_ends(boxes[a], boxes[b]))
    # the composite goes down to a bus over the image discriminators, which also see real frames
    _, wx, wy, ww, _, *_ = boxes["warp"]
    _arrow(ax, (wx + ww / 2, wy), (wx + ww / 2, BUS_Y), head=False)
    centres = [boxes[k][1] + boxes[k][3] / 2 for k in ("Dframe", "Dlip", "Dapex")]
    _arrow(ax, (centres[0], BUS_Y), (centres[-1], BUS_Y), head=False)
    for c in centres:
        _arrow(ax, (c, BUS_Y), (c, 13.3))
    ax.text(centres[0] + 1, BUS_Y + 0.6, "generated frames at 64 px, each D also shown real ones", fontsize=7.5)
    ax.text(1, 14.3, "discriminators: training only", fontsize=8, weight="bold")
    fig.suptitle(title + "\n$l$: 0 neutral, 1 apex, above 1 exaggerated. In training the inferred $l_t$ drives "
                 "the decoder; G_sup and G_landmark supervise it", fontsize=9.5)
    return fig

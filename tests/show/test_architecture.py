"""The architecture diagram names every part the notebooks teach, and every discriminator's log keys."""
from __future__ import annotations

from affinekit.show.architecture import ARROWS, BOXES, architecture_diagram
from affinekit.training.losses import GENERATOR_TERMS


def test_diagram_draws_every_box_and_names_every_adversarial_term():
    fig = architecture_diagram()
    texts = " ".join(t.get_text() for ax in fig.axes for t in ax.texts)
    for part in ("base encoder", "direction encoder", "hidden affine mix", "motion head", "mouth stage",
                 "frame PatchGAN", "lip discriminator", "apex discriminator", "intensity discriminator"):
        assert part in texts, part
    # each generator term the trainer weighs with a discriminator's verdict or a real frame is on the page
    missing = [key for key in GENERATOR_TERMS if key not in texts and key != "G_rec"]
    assert not missing, f"terms not in the diagram: {missing}"
    keys = {b[0] for b in BOXES}
    assert all(a in keys and b in keys for a, b in ARROWS)
    assert len(fig.axes[0].patches) >= len(BOXES) + len(ARROWS)

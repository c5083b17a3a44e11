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


def test_lip_discriminator_sees_a_half_size_square_of_frame_times_mask():
    import numpy as np

    from affinekit.show.lip_view import lip_discriminator_input

    crop = np.full((128, 128, 3), 200, np.uint8)
    mask = np.zeros((128, 128), np.uint8)
    mask[80:100, 44:84] = 1                                   # the lips, low and centred
    fig, seen = lip_discriminator_input(crop, mask, image_size=64)
    assert seen.shape == (3, 32, 32)                          # half the model's 64 px
    # inside the mask the frame's value (200 -> 200/127.5 - 1), outside it 0: flat grey
    assert np.isclose(seen.max(), 200 / 127.5 - 1, atol=1e-3) and np.isclose(seen.min(), 0.0, atol=1e-3)
    assert len(fig.axes) >= 4

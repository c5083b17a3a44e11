# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.7
#   kernelspec:
#     display_name: Python (affinekit)
#     language: python
#     name: affinekit
# ---

# %% [markdown]
# # 2. Lip patches: where the expression is
#
# Most of an expression happens around the mouth. AffineGAN gives the mouth a
# discriminator of its own: beside the one that judges the whole face, a
# **local discriminator** sees only the lips, so the generator cannot get away
# with a blurry mouth. To cut the lips out, every training frame gets a binary
# *lip patch*. This notebook builds one step by step, on real faces
# (the paper's Fig. 4):
#
# 1. **detect** the face (dlib's HOG detector);
# 2. find the **68 landmarks** inside the face box;
# 3. **align** the face to a square crop; the landmarks move with it;
# 4. fill the **lip polygon**, points 48-59 (the outer lip), in an empty image;
# 5. **dilate** it a few pixels, so the lip border is in, and keep the pixels
#    of the crop under it: the **patch**.
#
# The code is `affinekit.data.faces` (steps 1-3) and `affinekit.data.lips`
# (steps 4-5).

# %% tags=["parameters"]
CKPLUS = ""           # a CK+ root; empty: AFFINEKIT_CKPLUS, data/ckplus/, else the demo data
N_FACES = 6           # faces in the gallery, one per expression while there are any
CROP_SIZE = 128       # aligned face crop, pixels
DILATION = 3          # pixels the lip polygon grows by
FIGURES_DIR = ""
RESULTS_JSON = ""

# %%
import numpy as np
from IPython.display import display

from affinekit.show import plots
from affinekit.data.faces import FaceAligner, apply_transform
from affinekit.data.lips import lip_mask, lip_patch
from affinekit.show.lip_view import lip_discriminator_input
from affinekit.notebook.setup import setup

# the data, where figures and recorded values go
nb = setup(globals(), limit="N_FACES")
DATA, records = nb.data, nb.records
aligner = FaceAligner(size=CROP_SIZE)
print(f"data: {DATA}; faces: {[r.key for r in records]}")

# %% [markdown]
# ## One face, step by step
#
# We take the **apex** frame of the first sequence (the last frame: the
# mouth is most open there). Steps 1 and 2: the detector returns one box;
# the shape predictor places the landmarks inside it.

# %%
record = records[0]
image = record.load_frames()[-1]
box = aligner.detect(image, record.key)
points = aligner.landmarks(image, record.key, box=box)
print(f"photo {image.shape}, face box (left, top, right, bottom) = {box}, landmarks {points.shape}")
display(plots.landmark_overlay(image, points, title="1-2. face box and 68 landmarks", highlight=range(48, 68)))

# %% [markdown]
# Step 3: the similarity transform `M` (2x3) maps photo pixels to crop pixels.
# It is fitted so that the eye centres and two nose points land on a fixed
# template; the same `M` moves the landmarks into the crop.

# %%
M = aligner.transform(points)
crop = aligner.warp(image, M)
crop_points = apply_transform(M, points)
print("M =\n", np.round(M, 3))
display(plots.landmark_overlay(crop, crop_points, title="3. aligned crop", highlight=range(48, 68)))

# %% [markdown]
# Steps 4 and 5: `lip_mask` fills the outer lip polygon (48-59) with ones and
# dilates it by `DILATION` pixels; `lip_patch` zeroes everything outside the
# mask. The lip discriminator does not see this full-size patch: in training it sees a
# 32 px square cut around the lips from the frame times its mask, at the model's 64 px
# (`models.discriminators.lip_crops`), beside the same square of the neutral frame (times the
# same mask), for real and generated frames alike. At 64 px the lips span a few pixels, which
# is why it crops around them.

# %%
mask = lip_mask(crop_points, CROP_SIZE, dilation=DILATION)
patch = lip_patch(crop, mask)
print(f"mask: {mask.dtype}, values {np.unique(mask).tolist()}, {int(mask.sum())} pixels "
      f"({100 * mask.mean():.1f}% of the crop)")
fig = plots.lip_steps(image, points, crop, crop_points, mask, patch, box=box,
                      title=f"lip patch of {record.key} ({record.label}, apex)")
nb.save(fig, "fig4_lip_patch.png", faces=True)
display(fig)

# %% [markdown]
# The committed figure (Fig. 4 of the paper), on a demo clip:
#
# ![lip patch step by step](../figures/fig4_lip_patch_demo.png)
#
# **What the lip discriminator receives.** Not this patch: in training, the frame and its mask
# are brought to the model's size (64 px), multiplied, and a square of half that size is cut
# around the lips (`models.discriminators.lip_crops`, through `show.lip_view`). Outside the
# mask the product is the middle grey of the models' range. Real and generated frames are cut
# the same way, beside the same square of the neutral frame.

# %%
fig, lip_seen = lip_discriminator_input(crop, mask, title=f"what the lip discriminator sees of {record.key}")
nb.save(fig, "lip_discriminator_input.png", faces=True)
display(fig)

# %% [markdown]
# ![what the lip discriminator receives](../figures/lip_discriminator_input_demo.png)

# %% [markdown]
# ## Neutral against apex
#
# The patch follows the lips through the sequence: the same steps on the
# neutral (first) frame give a smaller, closed mouth. With one transform per
# sequence (CK+: the head is still), only the lips move between the two masks;
# clips in the wild are aligned frame by frame.

# %%
frames = record.load_frames()
crops, seq_points, _ = aligner.align_sequence(frames[[0, -1]], record.key, per_frame=DATA != "ckplus")
masks = [lip_mask(p, CROP_SIZE, dilation=DILATION) for p in seq_points]
fig = plots.frame_grid([[crops[0], masks[0] * 255, lip_patch(crops[0], masks[0])],
                        [crops[1], masks[1] * 255, lip_patch(crops[1], masks[1])]],
                       row_labels=["neutral", "apex"], col_labels=["crop", "mask", "patch"], cell=1.8)
display(fig)
print(f"mask area neutral {int(masks[0].sum())} px, apex {int(masks[1].sum())} px")

# %% [markdown]
# ## More faces
#
# The same pipeline on one apex frame per expression. The patch size changes
# with the expression: surprise and happy open the mouth, anger and sadness
# press the lips.

# %%
rows, labels, areas = [], [], {}
for r in records:
    crop_r, pts_r, _ = aligner.align(r.load_frames()[-1], r.key)
    m = lip_mask(pts_r, CROP_SIZE, dilation=DILATION)
    rows.append([crop_r, m * 255, lip_patch(crop_r, m)])
    labels.append(f"{r.label}\n{r.key}")
    areas[r.key] = int(m.sum())
fig = plots.frame_grid(rows, row_labels=labels, col_labels=["apex crop", "mask", "patch"], cell=1.6)
nb.save(fig, "lip_patch_gallery.png", faces=True)
display(fig)

# %% [markdown]
# The committed gallery, on the six demo clips: they hold only three expressions (happy three
# times, surprise twice, anger once), so sadness is not there. The happy and surprise
# masks are the large ones; anger's pressed lips give the smallest.
#
# ![lip patches on several faces](../figures/lip_patch_gallery_demo.png)

# %% [markdown]
# ## Exercises
#
# Answers: `notebooks/ANSWERS.md` (measured by `python scripts/exercise_answers.py --only data`).
#
# 1. **No dilation**: `DILATION = 0`. Check: the mask area (`mask.sum()`) against the default's.
#    Hint: the mask hugs the lip polygon; the lip border, where an open mouth shows first, falls
#    partly outside it.
# 2. **A wider border**: `DILATION = 8`. Check: the share of the mask that is lips (the polygon's
#    area over the mask's). Hint: the patch grows into chin and cheeks, and the lip
#    discriminator sees less of the mouth per pixel.
# 3. **A smaller crop**: `CROP_SIZE = 64`. Check: by how much the mask area shrinks. Hint: the face
#    has a quarter of the pixels, but the dilation stays `DILATION` pixels; at 64 px (the model's
#    size) the lips span a few pixels, which is why the lip discriminator crops around them.

# %%
nb.record(data=DATA, n_faces=len(rows), box=list(box), landmarks_shape=list(points.shape),
          mask_values=np.unique(mask).tolist(), mask_area=int(mask.sum()), crop_shape=list(crop.shape),
          neutral_area=int(masks[0].sum()), apex_area=int(masks[1].sum()), areas=areas,
          patch_outside_zero=bool((patch[mask == 0] == 0).all()))

# %% [markdown]
# **Next:** `03_training.ipynb` trains the generator, with these patches
# feeding the local discriminator.

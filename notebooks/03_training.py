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
# # 3. Training the hidden-affine GAN, with live loss plots
#
# **The idea.** Given a neutral face $x_0$ and an expression $y$, the generator
# makes frame $t$ of a clip from an *intensity* $l_t$ (0 = neutral, 1 = apex):
#
# $$\hat x_t = \mathrm{Dec}\big(E_b(x_0) + l_t \, E_d(x_0, y)\big)$$
#
# Two encoders of the same U-Net shape read the photo: the **base** encoder
# $E_b$ says what the face is, the **direction** encoder $E_d$ (which also
# sees $y$ as one-hot planes) says which way this face moves for this
# expression. At every skip level the decoder gets the base code plus $l_t$
# times the direction: an affine path in feature space, hidden inside the
# network, hence the name. $l = 0$ must give back $x_0$, $l = 1$ the apex,
# $l > 1$ exaggerates.
#
# **Two readings of "affine".** The seed paper describes its affine parameters as "scaling,
# rotating, and shifting the facial features" (§3.3): a geometric reading, as if each feature of
# the face were moved by an affine map. What the kit computes, and what the equation above says,
# is different: the *codes* move on a straight line in $l$, $b + l\,d$, at every level; the
# "affine" is in $l$, and nothing restricts what that line does to the picture (a code change can
# paint teeth into an opening mouth, which no moving of the features already there shows). The
# kit does move features
# geometrically, but elsewhere: its motion head's field $F = l \cdot F_y + \dots$ (below) is a
# dense displacement, one vector per pixel, not a scaling, rotation and shift, and it lives outside
# the codes. Read the seed's sentence as an intuition for what a direction ends up doing to a
# face, not as a description of the computation.
#
# The whole model on one page (`affinekit.show.architecture.architecture_diagram`): the two
# encoders, the mix at each level, the decoder and its motion head, the warp, the mouth stage of
# the bundled model, and the four discriminators with what each one sees.
#
# ![the model: encoders, the hidden affine mix, motion head, warp, mouth stage, discriminators](../figures/architecture.png)
#
# The generator of the committed run, level by level (made by `look_inside.shapes_markdown` from
# the model itself, `figures/generator_shapes.md`; shapes are (channels, height, width)):
#
# | level | E_b(x0) | E_d(x0, y) | decoder receives |
# |---|---|---|---|
# | input | x0 (1, 64, 64) | x0 and 7 label planes (8, 64, 64) | |
# | skip 0 | (32, 64, 64) | (32, 64, 64) | E_b + l * E_d |
# | skip 1 | (64, 32, 32) | (64, 32, 32) | E_b + l * E_d |
# | skip 2 | (128, 16, 16) | (128, 16, 16) | E_b + l * E_d |
# | skip 3 | (256, 8, 8) | (256, 8, 8) | E_b + l * E_d |
# | bottleneck | (256, 4, 4) | (256, 4, 4) | E_b + l * E_d |
# | output | | | field 2 + mask 1 + residual 1 maps, then (1 - A) warp(x0, F) + A R, at 64 px |
#
# The decoder climbs back from the bottleneck, joining each level's mixed code as a U-Net skip.
#
# **Intensities of real frames are not labelled**: CK+ frames come in order,
# but nobody measured how strong the expression is in each. The model infers
# them: project the change of base code onto the direction,
# $l_t = \langle E_b(x_t) - E_b(x_0), a \rangle / \lVert a \rVert^2$ at the
# bottleneck, and decode the real frame's own intensity.
#
# **What the decoder outputs** (`model.output`). The paper's decoder draws
# the frame's pixels (`"pixels"`). The kit's default (`"motion"`) makes it
# *move* the photo instead: for each code it outputs a backward displacement
# field $F$, a mask $A \in [0, 1]$ and a residual image $R$, and
#
# $$\hat x_t = (1 - A) \odot \mathrm{warp}(x_0, F) + A \odot R .$$
#
# $F = l \cdot F_y + (\text{learned correction})$ starts from $F_y$, the mean
# landmark motion of expression $y$ in the training sequences, made dense
# (`affinekit.models.prior`); $F$ and $A$ vanish at $l = 0$, so $l = 0$ gives
# $x_0$ back exactly. A warp keeps identity, colour and detail, and the field
# computed on the 64 px crop is applied to the full-resolution photo; the
# residual paints only what a warp cannot show (a mouth cavity, teeth).
#
# **Losses** (logged every step, plotted live below; their weights are in the table further down):
# - `G_L1`: mean absolute difference between generated and real frames, each decoded at its
#   driving intensity (the paper's Fig. 6 shows it falling; the motion head's need not, see below);
# - `D_frame_real`, `D_frame_fake`: the **frame discriminator** (`d["frame"]`), a conditional PatchGAN, judges (neutral, frame,
#   expression) real or fake (Fig. 7); `G_frame` is the generator's side of it;
# - `D_lip`: the **lip discriminator**, on a 32 px crop around the lips of the frame times its lip
#   mask (notebook 02's patch), beside the same crop of $x_0$; `G_lip` is the generator's side;
# - `D_apex_real`, `D_apex_fake`: the **apex discriminator**, which the paper does not have: it judges
#   the generated apex ($l = 1$) with its label against real apex faces of that expression drawn
#   unpaired from a pool (here the training sequences' last frames; for the bundled model also
#   CK+48's apex crops of other people); `G_apex` is the generator's side. In this notebook's
#   committed run it supplies most of the adversarial gradient (Fig. 7's paragraph);
# - `D_lambda`: the **intensity discriminator** keeps the inferred intensities spread like uniform
#   samples in [0, 1], so they do not collapse to one value; `G_lambda` is the generator's side;
# - `G_rec`: $l = 0$ reconstructs $x_0$ (zero by construction for the motion head);
# - `G_sup`: the intensity anchor, inferred $l$ against the frame's position (the paper has none;
#   notebook 03b);
# - motion head only: `G_landmark`, the distance (pixels) between where the field sends frame $t$'s
#   68 landmarks and the same landmarks in $x_0$. That field is the one at the *inferred* $l_t$, and
#   the projection passes gradient into $l$, so `G_landmark` **supervises $l$ too**: it pulls $l_t$
#   towards whatever value makes $l_t F_y$ + correction carry the landmarks back, a regression of
#   $l$ onto landmark motion. `G_smooth`, the learned field's roughness; `G_mask`, the mask's mean
#   (paint little).
#
# The bundled model that notebooks 04 and 05 load was trained with more than this notebook trains
# (`affinekit/weights/MODEL_CARD.md`): a **multi-source mixture** (CK+ sequences beside still pairs
# from FRLL, JAFFE, Yale and MEAD, in colour, batches drawn evenly by expression and then by source;
# CK+48's apex faces for the apex discriminator) and a **mouth stage** (the mouth refiner, a small
# network trained afterwards behind the frozen generator, which repaints the mouth's luma at the
# photo's own resolution). This notebook trains the generator alone, grey, on one source.
#
# We prepare the data, split it **by subject**, look at one training item,
# and train with a `LiveBoard`: one figure that redraws in place, throttled,
# with the loss curves and frames generated from fixed inputs. What the intensity it infers means
# is notebook 03b's question, asked of this run.

# %% tags=["parameters"]
CKPLUS = ""            # a CK+ root; empty: AFFINEKIT_CKPLUS, data/ckplus/, else the demo data
PREPARED_DIR = ""      # prepared sequences (empty: prepared/<data>_<crop>px in the repository)
RUN_DIR = ""           # run folder: log.jsonl, checkpoints/ (empty: runs/notebook03_<data>)
MAX_SEQUENCES = 0      # 0: every labelled sequence
CROP_SIZE = 128        # prepared crop size, pixels
IMAGE_SIZE = 64        # model resolution (crops are resized on the fly)
BASE_WIDTH = 32        # channels of the first U-Net level
STEPS = 300            # training steps (about 7 minutes on a free 2-core CPU)
LR_DECAY_FROM = 0.5    # learning rates constant until this fraction of STEPS, then falling to 0 (1: constant)
AVERAGE_DECAY = 0.99   # the generator scored and shown is a running average of the trained weights (0: none)
BATCH_SIZE = 8
SAMPLE_EVERY = 100     # steps between generated samples on the board
BOARD_SECONDS = 5.0    # the board redraws at most this often
SEED = 0
SCORE_EVERY = 50       # steps between scorings of the held-out subjects (0: none)
FIGURES_DIR = ""
RESULTS_JSON = ""

# %%
import json
import math

import torch
from IPython.display import Markdown, display

from affinekit.show import charts, look_inside, plots
from affinekit.show.architecture import architecture_diagram

from affinekit.show.live_board import LiveBoard
from affinekit.data.dataset import SequenceDataset, subject_split
from affinekit.data.prepare import prepare_records
from affinekit.data.prepared import load_manifest
from affinekit.expressions import EXPRESSIONS
from affinekit.training.gan_step import GeneratorStep
from affinekit.training.run import train
from affinekit.training.losses import GAN_CHANCE, frame_losses, weighted
from affinekit.models.generator import Generator
from affinekit.io.images import to_network_size
from affinekit.io.runlog import read_log
from affinekit.notebook.held_out import HeldOutCurve, plot_held_out
from affinekit.notebook.trained_run import notebook03_recipe
from affinekit.notebook.loss_table import loss_table, share_labels
from affinekit.notebook.setup import plain, setup
from affinekit.show.run_summary import curve_summary

# the data, where figures and recorded values go
nb = setup(globals(), limit="MAX_SEQUENCES")
DATA, records = nb.data, nb.records
prepared = nb.prepared_dir(PREPARED_DIR, CROP_SIZE)
run_dir = nb.folder(RUN_DIR, "runs", f"notebook03_{DATA}")
print(f"data: {DATA}, {len(records)} sequences; {STEPS} steps at {IMAGE_SIZE} px")

# %% [markdown]
# ## Prepare: align every frame, find landmarks, cut lip masks
#
# `prepare_records` runs notebook 02's pipeline on every frame and writes one
# compressed `.npz` per sequence plus a `manifest.json`. It is resumable: a
# second run reuses what is done.

# %%
prepare_cfg = nb.data_config(CROP_SIZE)     # aligned per frame for clips in the wild (the head moves)
report = prepare_records(records, prepared, prepare_cfg, progress=False)
print(report.summary())
keys = report.ok

# %% [markdown]
# ## Split by subject
#
# A face the model trained on would make testing too easy: the test subjects
# must be people it never saw. `subject_split` keeps each subject on one side.

# %%
entries = [e for e in load_manifest(prepared)["sequences"] if e["key"] in set(keys)]
train_keys, test_keys = subject_split(entries, test_fraction=0.2, seed=SEED)
print(f"train: {len(train_keys)} sequences; test: {len(test_keys)} sequences of other subjects")

# %% [markdown]
# ## One training item
#
# An item is a neutral frame $x_0$, $K$ target frames drawn from the sequence
# (the apex always among them), their positions in the sequence (frame index
# over length, in [0, 1]) and their lip masks. Positions drive the generator
# only during the warm-up (`train.lambda_warmup`, 500 steps), handing over to
# the intensity it infers for each frame (notebook 03b, with what supervises it); a run
# shorter than the warm-up, like the committed 300 steps, never fully hands over.

# %%
data = SequenceDataset(prepared, train_keys, num_targets=5, augment=True, seed=SEED, channels=1)
item = data[0]
fig = plots.frame_grid([[item["x0"], *item["targets"]], [None, *(item["masks"] * 2 - 1)]],
                       row_labels=["frames", "lip masks"],
                       col_labels=["x0"] + [f"pos {p:.2f}" for p in item["positions"].tolist()],
                       title=f"{item['key']}: {EXPRESSIONS[int(item['label'])]}")
display(fig)

# %% [markdown]
# ## The model
#
# A `ModelConfig` fixes the shapes; the generator has two encoders and one
# decoder, measured below level by level (the table at the top of the notebook).

# %%
model_cfg, train_cfg, data_cfg = notebook03_recipe(image_size=IMAGE_SIZE, base_width=BASE_WIDTH, crop_size=CROP_SIZE,
                                                   steps=STEPS, batch_size=BATCH_SIZE, sample_every=SAMPLE_EVERY,
                                                   seed=SEED, lr_decay_from=LR_DECAY_FROM,
                                                   average_decay=AVERAGE_DECAY)
n_params = sum(p.numel() for p in Generator(model_cfg).parameters())
print(model_cfg)
print(f"generator parameters: {n_params / 1e6:.2f} M")
shapes = look_inside.shapes_markdown(Generator(model_cfg))
nb.save_text("generator_shapes.md", shapes)
display(Markdown(shapes))
nb.save(architecture_diagram(), "architecture.png")     # the diagram at the top of the notebook

# %% [markdown]
# ## One training step, by hand
#
# What `train` repeats, shown once on a fresh model, for the generator's side: the three
# terms measured against the real frames (`G_L1`, `G_rec`, `G_sup`). The trainer first updates
# the discriminators, then adds their verdicts (`G_frame`, `G_lip`, `G_apex`, `G_lambda`) and the
# motion head's `G_landmark`, `G_smooth` and `G_mask` to this loss (`GANStep.step` in `affinekit/training/gan_step.py`); at the
# defaults `G_landmark` alone supplies about half of G's gradient (Fig. 7's paragraph).
# Both encoders read $x_0$; each real target frame's intensity is inferred by
# the projection; during the warm-up the generator is driven by the frame's
# position instead (`blend` = 1 at step 0, falling to 0 at `train.lambda_warmup`),
# clamped to `train.lambda_range`; the frames are decoded at those intensities and
# compared with the real ones.

# %%
g = Generator(model_cfg)
optimizer = torch.optim.Adam(g.parameters(), lr=train_cfg.lr_g, betas=(0.5, 0.999))
items = [data[i % len(data)] for i in range(2)]
# the kit's one resize to the network's size: the trainer's batches and generation use it too
x0 = to_network_size(torch.stack([it["x0"] for it in items]), IMAGE_SIZE)                # (B, C, H, W)
targets = to_network_size(torch.stack([it["targets"] for it in items]), IMAGE_SIZE)      # (B, K, C, H, W)
positions = torch.stack([it["positions"] for it in items]).float()             # (B, K), in [0, 1]
label = torch.stack([it["label"] for it in items]).long()
blend = 1.0                                           # step 0 of the warm-up: driven by the positions
rec, fake, lam, *motion = GeneratorStep(g, train_cfg.lambda_range)(x0, label, targets, positions, blend)
# G_L1: frames decoded at the driving intensities; G_rec: l = 0 gives x0 back; G_sup: the anchor,
# inferred intensity vs position. The very function and weights GANStep.step uses.
one_step = frame_losses(rec, fake, lam, x0, targets, positions)
loss = sum(weighted(one_step, train_cfg).values())
optimizer.zero_grad()
loss.backward()
optimizer.step()
print(f"inferred l (before the step): {lam.detach().numpy().round(2).tolist()}; positions: "
      f"{positions.numpy().round(2).tolist()}; clamp {train_cfg.lambda_range}")
print(", ".join(f"{k} {v.item():.3f}" for k, v in one_step.items()) + f", weighted sum {loss.item():.3f}")

# %% [markdown]
# ## Every loss, its weight, its name in the log
#
# The discriminators, first. A **PatchGAN** (pix2pix's) does not give one
# real/fake verdict per image: it is a small stack of stride-2 convolutions
# whose output is a grid of logits, each judging one patch of the input (here
# the neutral face, the frame and the label planes, stacked). The loss averages
# over the grid, so the generator is pushed to get every patch right.
#
# `train.gan_loss` picks the adversarial loss: `bce` (binary cross-entropy,
# the original GAN) or `lsgan` (least squares: the mean squared distance of the
# logits from 1 for real, 0 for fake). A discriminator that cannot tell real
# from fake answers 0.5 everywhere, and then sits at ln 2 = 0.693 (BCE) or
# 0.25 (LSGAN): the dashed line on the D curves below.

# %%
weights_table = loss_table(train_cfg)          # every weight of TrainConfig: its default, this run's value
nb.save_text("loss_weights.md", weights_table)
display(Markdown(weights_table))

# %% [markdown]
# At the defaults (`figures/loss_weights.md`, written by the cell above; `G_rec` and the
# adversarial terms are described in the list at the top):
#
# <!-- figures/loss_weights.md -->
# | log key | weight | default | this run | what it measures |
# |---|---|---|---|---|
# | `G_frame` | `train.w_frame` | 1 | 1 | fool the frame PatchGAN |
# | `G_lip` | `train.w_lip` | 0.5 | 0.5 | fool the lip discriminator |
# | `G_lambda` | `train.w_lambda` | 0.1 | 0.1 | inferred intensities look uniform to the intensity discriminator |
# | `G_apex` | `train.w_apex` | 1 | 1 | the generated apex fools the apex discriminator (unpaired real apex faces) |
# | `G_expression` | `train.w_expression` | 0 | 0 | a classifier of the same real apex faces reads the generated apex (its warp alone, by default: `train.expression_reads`) as the requested expression (StarGAN's classification term); with `train.expression_fakes` it also learns generated apexes as no expression |
# | `G_L1` | `train.w_l1` | 100 | 100 | mean absolute difference from the real frames, decoded at the driving intensities |
# | `G_rec` | `train.w_rec` | 100 | 100 | l = 0 gives x0 back (zero by construction for the motion head) |
# | `G_landmark` | `train.w_landmark` | 5 | 5 | motion head: the field at the driving l carries frame t's landmarks back to x0's (pixels); through l it supervises the intensity too |
# | `G_smooth` | `train.w_smooth` | 1 | 1 | motion head: roughness of the learned field |
# | `G_keep` | `train.w_keep` | 0 | 0 | motion head: how much the learned field changes the prior's strength (its part along the prior, either way): the prior sets the strength, the learned field bends it |
# | `G_mask` | `train.w_mask` | 1 | 1 | motion head: mean mask (paint little) |
# | `G_sup` | `train.w_lambda_sup` | 10 | 10 | inferred intensity vs frame position (an anchor; the paper has none) |
#
# Discriminators: `D_frame_real` + `D_frame_fake` (frame PatchGAN), `D_lip` (lips), `D_lambda` (intensities), `D_apex_real` + `D_apex_fake` (apex faces, when given), `D_expression` (the expression classifier of those faces, when `train.w_expression` > 0); GAN loss `lsgan`, chance level 0.250.
# <!-- end figures/loss_weights.md -->

# %% [markdown]
# ## Train, watching the board
#
# `LiveBoard` is a `Trainer` callback: `on_step` appends the losses,
# `on_sample` takes frames generated from fixed inputs (rows: sequences,
# columns: intensity 0 to 1), and the figure is redrawn **in place** at most
# every `BOARD_SECONDS`. Stop the cell at any time: the trainer saves a
# checkpoint first.
#
# What to look for. The motion head starts from the prior $F_y$, so its frames are
# warp-like from step 1 and `G_L1` starts low; it need not fall (Fig. 6). `D_frame_real`
# and `D_frame_fake` are worth reading against the dashed chance line (Fig. 7): on it, the
# discriminator cannot tell real from fake and its verdict teaches the generator
# nothing; `D_frame_fake` running to 0 would mean it had won instead. The shares panel says
# how much of G's gradient each loss term supplies (`train.share_every`).
#
# A second callback, `HeldOutCurve`, scores the generator on the **held-out subjects** every
# `SCORE_EVERY` steps, starting from the run's own step 0: the motion head with its prior fitted
# and nothing learned yet. That is the question a falling `G_L1` cannot answer: is training
# making faces the model never saw any closer to the real ones than the prior alone?

# %%
board = LiveBoard(every=BOARD_SECONDS, title=f"AffineGAN on {DATA}")
curve = HeldOutCurve(prepared, test_keys, every=SCORE_EVERY, last_step=STEPS) if test_keys and SCORE_EVERY else None
# the same entry as `affinekit train`: the run folder records its configs and training keys
trainer = train(prepared, run_dir, model_cfg, train_cfg, data_cfg,
                keys=train_keys, callbacks=[board] + ([curve] if curve else []))
print(f"{trainer.step} steps; checkpoint {trainer.checkpoint_path}")

# %% [markdown]
# ## Interpreting the logs
#
# The seed paper plots its discriminator's *outputs* in Fig. 7: what D says on real frames and
# on generated ones, which should go to 1 and to 0 as it learns to tell them apart. The kit
# plots *losses*, so the same story reads upside down and on another scale. With the least-squares
# loss (`lsgan`, the default), for D's output $o$ (a grid of them, one per patch):
#
# - `D_frame_real` = mean $(o_{\text{real}} - 1)^2$: 0 when D says 1 on every real frame (the seed's
#   "should reach 1"), 0.25 when it says 0.5, 1 when it says 0;
# - `D_frame_fake` = mean $o_{\text{fake}}^2$: 0 when D says 0 on every generated frame (the seed's
#   "should reach 0"), 0.25 at 0.5;
# - `G_frame` = mean $(o_{\text{fake}} - 1)^2$: the same output seen from the generator's side, 0
#   when D takes its frames for real.
#
# Where D answers one value everywhere, $o_{\text{real}} = 1 - \sqrt{D_{\text{real}}}$ and
# $o_{\text{fake}} = \sqrt{D_{\text{fake}}}$ translate a loss back into the seed's output (with
# outputs that vary over patches this is only an approximation). The **chance line at 0.25**
# (dashed on the D curves) is D answering 0.5 to everything. Read the two sides of it so:
#
# | `D_frame_real` | `D_frame_fake` | what it means |
# |---|---|---|
# | below 0.25 | below 0.25 | D tells real from generated: its verdicts carry information the generator can follow |
# | near 0.25 | near 0.25 | D cannot tell them apart (or has stopped trying): the adversarial terms teach little |
# | below 0.25 | above 0.25 | D takes generated frames for real and real ones too: the generator is fooling it |
# | towards 0 | towards 0 | D wins outright; `G_frame` climbs towards 1 and its gradient may be all G hears |
#
# The same holds for `D_lip` and the apex discriminator's `D_apex_real` / `D_apex_fake`. With
# `train.gan_loss=bce` the chance line is $\ln 2 = 0.693$ instead (the TensorFlow pix2pix
# tutorial reads its curves against $\log 2$ the same way), and a loss of 0 again means a
# certain, correct D. A falling `G_L1` says the frames get closer to the real ones; it is
# unrelated to the chance line.
#
# ## The loss curves (Figs. 6 and 7)
#
# The same log, read back from `log.jsonl`: faint lines are every step,
# solid lines a moving average.
#
# The committed run's curves (CK+ sample, 300 steps at 64 px, `figures/README.md`):
#
# ![G_L1](../figures/fig6_g_l1.png) ![D curves](../figures/fig7_d_real_fake.png)
#
# Read them as they are (the numbers are the moving averages drawn, recorded in
# `figures/training_ckplus.json`; `tests/notebook/test_prose_numbers.py` checks this paragraph
# against that file). **Fig. 6 climbs before it falls**: the smoothed `G_L1` starts near
# 0.049, climbs to about 0.060 by step 14 and ends near 0.040 at step 300, a net fall of
# 20%. It is back near its start by step 20 and hovers between 0.038 and 0.050 until step 150;
# over the second half, while the learning rates fall to 0, it drifts lower (0.034 to 0.046
# over the last 100 steps). The prior already gives warp-like frames at step 1; the
# first steps add error while the learned correction, the discriminators and the
# projection start to move. The paper's curve, falling quickly and then slowly, is not
# what a model that starts from a good warp draws. (And a falling training loss is not a
# better model on new faces: the held-out curve below says how much of this fall carries over.)
# **Fig. 7 shows discriminators at chance**: from their start (`D_frame_real` high, `D_frame_fake`
# low) the two close on the LSGAN chance line (0.25) within about 20 steps, wobble between
# steps 105 and 125, and both stay within 0.02 of it from about step 123 to the end. They cannot tell real from
# fake, so `G_frame` and `G_lip` give the generator little to follow. At this notebook's
# settings (`lr_d` 2e-4, GAN weights 1 / 0.5 / 1; the shares panel below), averaged over its 300 steps
# the adversarial terms are 8.0% of G's gradient, 7.0 points of it from the apex
# discriminator (`G_apex`, whose share climbs to about an eighth by step 300) and only 1.0 from
# the frame and lip PatchGANs together, against 37% for `G_L1` and 55% for `G_landmark`. The
# adversarial terms are a small part, which fits notebook 06 finding no difference between BCE
# and LSGAN, or with and without the lip discriminator, in 300-step runs at these settings. The
# bundled model was trained with `lr_d` 1e-3 and GAN weights 4, which lifted the adversarial share
# to 60% by step 1500.
#
# **What the shares can and cannot see.** `train.share_every` measures each term's gradient
# on G's *raw outputs*, the field, mask and residual (`losses.gradient_shares`): everything a
# term asks of the frame passes through them. A term that reaches G by another road reads
# exactly 0 by construction, however hard it pulls: `G_sup` and `G_lambda` act on the inferred
# $l$ alone and reach G through the encoders, and `G_smooth` acts on the field's learned
# correction before it joins the field (`G_rec` is 0 for the motion head anyway). So the panel
# ranks the terms that shape the frame; it cannot say how much of the encoders' training comes
# from the anchor, nor how much of `G_landmark`'s pull reaches $l$: the legend marks those
# zeros as such, and names each adversarial term by its discriminator (`G_lip`: the lip
# discriminator; `G_frame`: the frame PatchGAN; `G_apex`: the apex discriminator).
#
# ![each term's share of G's gradient](../figures/gradient_shares.png)

# %%
log = read_log(trainer.log_path)
fig6 = charts.loss_curves(log, panels=[("G_L1",)], titles=["generator L1 loss (Fig. 6)"])
fig7 = charts.loss_curves(log, panels=[("D_frame_real", "D_frame_fake")], titles=["discriminator losses (Fig. 7)"],
                         lines=[(GAN_CHANCE[train_cfg.gan_loss], f"chance ({train_cfg.gan_loss})")])
fig_lambda = charts.loss_curves(log, panels=[("lambda_mean", "lambda_std"), ("lambda_corr",)],
                               titles=["inferred intensities", "correlation with frame position"],
                               ylabels=["inferred l", "Pearson r"])
share_keys = sorted({k for row in log for k in row if k.startswith("share_")})
fig_shares = charts.loss_curves(log, panels=[share_keys], titles=["each term's share of G's gradient (on its raw outputs)"],
                                ylabels=["share (terms add up to 1)"], labels=share_labels(log))
for name, fig in (("fig6_g_l1.png", fig6), ("fig7_d_real_fake.png", fig7), ("intensity_stats.png", fig_lambda),
                  ("gradient_shares.png", fig_shares)):
    nb.save(fig, name)
display(fig6, fig7, fig_lambda, fig_shares)
loss_summary = curve_summary(log, GAN_CHANCE[train_cfg.gan_loss])
loss_summary["blend_last"] = log[-1].get("lambda_blend")
print(json.dumps(loss_summary, indent=1))

# %% [markdown]
# ## Did training help? The held-out subjects against step 0
#
# `HeldOutCurve`'s scores: the PSNR of the clips made from the held-out subjects' neutral frames
# (scored as notebook 04 scores them) every `SCORE_EVERY` steps, with the run's own step 0, the
# prior alone, as the dashed line. A point above the line is a model that learned something
# that carries over to people it never saw; below it, training has so far made things worse.
#
# ![held-out PSNR against training step](../figures/held_out_psnr_ckplus.png)
#
# The committed run (the CK+ sample, 300 steps, the learning rates falling linearly to 0 over
# steps 151-300, and the generator that is scored a running average of the trained weights,
# `train.average_decay=0.99`, about the last 100 steps; held-out subjects S111 and S124, 7 clips,
# `figures/training_ckplus.json`): step 0, the prior alone, scores 23.23 dB. The model climbs to
# 23.27 dB at step 50 and 23.36 at step 100, peaks at 23.38 at step 150, and ends at 23.24 dB
# at step 300: **0.02 dB above its own step 0** (23.243 against 23.226), while its `G_L1` fell 20%
# over the same steps. Neither the length, the schedule nor the average was chosen on these people.
# On two *training-side*
# people held out for the choice (S074 and S113, in a run that did not train on them) the
# constant-rate recipe rose through step 300, by 0.87 dB (`python scripts/choose_notebook03_steps.py
# --lr-decay-from 1`). Checked again on all eight training-side people, each third held out in
# turn (`--folds 3`, `figures/notebook03_steps_ckplus.jsonl`): the mean held-out PSNR rises from
# 24.02 dB at step 0 to 24.24 at step 250 and 24.21 at step 300, but one third (S052, S125, S130)
# is best at step 0 and ends 0.32 dB below it, as the test subjects did. Letting both learning
# rates fall over the second half (`train.lr_decay_from=0.5`, pix2pix's schedule; the same
# folds, `figures/notebook03_lr_decay_ckplus.jsonl`) lifts that mean at step 300 to 24.33 dB, so
# it became the default; that third still ends 0.12 dB below its step 0. Scoring a running average
# of the weights rather than the last ones (`train.average_decay=0.99`, as GANs have been scored
# since progressive GANs; the same folds, `figures/notebook03_average_ckplus.jsonl`) lifts the mean
# at step 300 to 24.41 dB and brings every third above its own step 0 (that third ends 0.09 dB
# above it), so it became the default too. On the test subjects the two earlier recipes ended
# below step 0 (23.17 dB with constant rates, 23.18 with the schedule); with the average the run
# ends level with it, after a rise of 0.15 dB to step 150 that it gives back. A choice made on
# some people carries only partly to others, and
# on 7 clips a second seed moves PSNR by about 0.4 dB (`notebooks/ANSWERS.md`, exercise 2),
# more than this whole curve spans from step 0. Read it as: at this length, on these faces,
# training adds little measurable to the prior; the average keeps the run from ending below it,
# and the gain of the middle steps does not last.

# %%
held_out_rows = curve.rows if curve else []
if held_out_rows:
    fig = plot_held_out(held_out_rows, title=f"held-out subjects ({len(test_keys)} sequences of {DATA})")
    nb.save(fig, f"held_out_psnr_{DATA}.png")
    display(fig)
    first, last = held_out_rows[0], held_out_rows[-1]
    # three places: the committed run ends 0.02 dB from its step 0, which two would print as nearly equal
    print(f"held-out PSNR: step 0 (the prior alone) {first['psnr']:.3f} dB, step {last['step']} {last['psnr']:.3f} dB "
          f"({last['psnr'] - first['psnr']:+.3f} dB); copy-input {first['copy_psnr']:.2f} dB")
else:
    print("no held-out subject in this data (or SCORE_EVERY = 0): nothing to score")

# %% [markdown]
# ## Faces the model never saw
#
# Neutral frames of the held-out subjects, animated from intensity 0 to 1.5:
# past 1 the model extrapolates along the same direction. (With a short run
# or the small demo data, expect blurry frames: the point here is the
# mechanics; the bundled model of notebooks 04 and 05 trained for longer.)

# %%
from affinekit.generate.aligned import faces_from_crops
from affinekit.generate.render import render_clips

held_out = SequenceDataset(prepared, test_keys or train_keys, num_targets=1, channels=1,
                          intensity="position")   # shown, not taught: a weak item is still a held-out face
batch = [held_out[i] for i in range(min(4, len(held_out)))]
x0 = to_network_size(torch.stack([b["x0"] for b in batch]), IMAGE_SIZE).to(trainer.device)
labels = torch.stack([b["label"] for b in batch]).to(trainer.device)
intensities = torch.linspace(0, 1.5, 7)
# the kit's one render function, its crop view: what evaluation scores and `generate` shows
clips = render_clips(trainer.generator.eval(), faces_from_crops(x0), labels, intensities, view="crop")
fig = plots.frame_grid(clips, row_labels=[f"{EXPRESSIONS[int(b['label'])]}\n{b['key']}" for b in batch],
                       col_labels=[f"l={v:.2f}" for v in intensities.tolist()],
                       title="held-out subjects" if test_keys else "training subjects (no held-out subject)")
nb.save(fig, "training_samples.png", faces=True)
display(fig)

# %% [markdown]
# ## The prior, and what training added to it
#
# The motion head's field is $F = l \cdot F_y + (\text{learned correction})$. Before any step the
# correction is zero and the mask almost closed, so a fresh model already warps each face by its
# label's mean landmark motion $F_y$: the **prior only** row. Beside it the trained model at $l = 1$,
# and the two parts of its field as arrow lengths (pixels of the model's crop): $F_y$, fitted on the
# training subjects, and the learned correction for this face. `model.prior=off` trains without $F_y$.

# %%
prior_only = Generator(model_cfg).to(trainer.device).eval()
prior_only.prior.copy_(trainer.generator.prior)                  # step 0: the prior, nothing learned
with torch.no_grad():
    apex_prior = prior_only.generate(x0, labels, torch.tensor([1.0]))[:, 0].cpu()
    apex_trained = trainer.generator.generate(x0, labels, torch.tensor([1.0]))[:, 0].cpu()
    moved = trainer.generator.motion(x0, labels, torch.tensor([1.0]))
px = IMAGE_SIZE / 2                                          # normalised units -> pixels
prior_len = (trainer.generator.prior[labels].norm(dim=1) * px).cpu()
learned_len = (moved.correction[:, 0].norm(dim=1) * px).cpu()
fig = plots.frame_grid([[x0[i].cpu(), apex_prior[i], apex_trained[i]] for i in range(len(batch))],
                       row_labels=[EXPRESSIONS[int(b["label"])] for b in batch],
                       col_labels=["x0", "prior only (step 0), l=1", f"trained ({trainer.step} steps), l=1"])
nb.save(fig, "prior_and_trained.png", faces=True)
display(fig)
fig = look_inside.field_lengths({"|F_y|": prior_len, "|learned|": learned_len},
                                [EXPRESSIONS[int(b["label"])] for b in batch])
nb.save(fig, "prior_and_learned_field.png", faces=True)   # the learned part traces the face's edges
display(fig)
field_px = {"prior_mean": float(prior_len.mean()), "learned_mean": float(learned_len.mean())}
print(f"mean |F_y| {field_px['prior_mean']:.2f} px, mean |learned correction| {field_px['learned_mean']:.2f} px")

# %% [markdown]
# ## Where the kit departs from the paper and its code
#
# | what | the paper / official code | this kit | why |
# |---|---|---|---|
# | output head | decoder draws pixels | default: a field, mask and residual that warp the photo (`model.output=motion`); the pixel head stays as `pixels` | a warp keeps identity, colour and detail and can move a mouth; drawn pixels came out grey and blurred |
# | motion start | - | the field starts from each label's mean landmark motion (a buffer fitted on the training subjects) | L1 alone regresses to a timid average motion |
# | extra losses | - | landmark, field smoothness, mask sparsity | teach where things move; keep the residual for what a warp cannot show. `G_landmark` also trains `l` (through the field at the inferred `l`) |
# | intensity anchor | none | `G_sup` (weight 10) and a position-driven warm-up, `l` clamped to [-0.25, 1.5] | the projection's sign and scale are arbitrary at first, and the anchor fixes them; notebook 03b's anchor comparison shows the prior alone also orders the frames, so whether a run needs the anchor is open |
# | motion prior | - | on by default; `model.prior=off` trains the field from zero | the prior fixes the direction and scale of `l` (notebook 03b's anchor comparison) |
# | projection | $\lvert\langle f_t - f_0, a\rangle\rvert / \lVert a \rVert$ (unsigned, over $\lVert a \rVert$, not its square), and `float(alpha)`: no gradient where it drives the decoder | signed, over $\lVert a \rVert^2$, gradients through both codes; the official one is `model.projection=official` | a signed `l` can tell neutral-ward from apex-ward, and $\lVert a \rVert^2$ makes `l` = 1 mean one whole direction; the gradient is how the encoders learn a direction whose projection explains the frames |
# | mixing | `base + l * direction` | the same at every skip level and the bottleneck; `model.mixing=bottleneck` at the bottleneck only | the method's description; the switch lets one compare |
# | reconstruction | every target frame rebuilt from its own base code (l = 0), L1 weight 10 | only x0 at l = 0 (`G_rec`, weight 100; zero by construction for the motion head) | the motion head returns x0 exactly at l = 0; rebuilding each target is not implemented |
# | apex discriminator | - | `D_apex`: the generated apex ($l$ = 1) and its label against unpaired real apex faces (`train.w_apex`, weight 1) | a judge of what the apex should look like, beyond the one real clip of the item; most of the adversarial share of this notebook's run |
# | intensity discriminator | judges an item's K intensities jointly (a vector of K against K uniform samples) | judges each intensity alone (`D_lambda`, weight 0.1) | items here may hold 1 to K targets; single values keep it simple (the joint test is stricter) |
# | lip discriminator input | the full frame times its own lip mask, beside x0 times x0's mask | a crop around the lips of frame times mask, beside x0's crop (`lip_crops`) | the mouth is small in a 64 px frame; a crop gives the discriminator its pixels |
# | size | 256 px colour (`unet_256`) | 64 px; grey in this notebook, colour in the bundled model | CPU training; the field is applied to the full-resolution photo at generate time |
# | models per expression | one model per expression | one model, the label as input planes | the direction encoder is conditioned on the label, as the method describes; one file serves all seven |
# | learning rates | 2e-4 (Adam, beta1 0.5), constant for `niter` (10000) epochs, then falling linearly to 0 over `niter_decay` (100): the last 1% of the run | the same 2e-4; this notebook's run holds them for its first half and lets them fall linearly to 0 over the second (`train.lr_decay_from=0.5`), the library's default stays constant | chosen on training-side subjects (3 folds): mean held-out PSNR at step 300 24.33 dB against 24.21 with constant rates; on the test subjects the two end 0.01 dB apart |
# | weights scored and saved | the last ones | notebook 03's run scores, shows and saves a running average of G's weights (`train.average_decay=0.99`, about the last 100 steps; the weights trained and the discriminators are untouched); the library's default is the last weights (0) | chosen on the same training-side folds: mean held-out PSNR at step 300 24.41 dB against 24.33 without it, and every third ends above its step 0 |
# | GAN loss | BCE | least squares by default (`train.gan_loss`) | a choice, not a measured gain: notebook 06 finds no difference between the two at these settings, where the adversarial terms are a few percent of G's gradient; BCE remains one switch away |
# | splits | random frames | by subject (`subject`), the paper's as `paper` | frames of one sequence are near-duplicates: a random split tests on faces it trained on |
# | data | CK+ only | plus training augmentation (light, blur, noise, scale, shift, flip); the bundled model learns from a **mixture** of six sources (CK+ and AffineGAN-sample sequences, FRLL, JAFFE, Yale and MEAD still pairs or clips; `data.sources`), drawn evenly by expression, then by source | photos in the wild are not CK+, and CK+ has ten people in the sample |
# | mouth | - | the bundled model's **mouth stage** (`affinekit.models.mouth_exemplar`), trained after the generator, behind it: a real open mouth from a bank (for a smile, one that shows teeth) is warped into a 128 px square at the photo's resolution and a small network matches its colour, light and focus | a 64 px residual cannot draw teeth or an open mouth on a large photo |

# %% [markdown]
# ## Exercises
#
# Each needs one parameter or `--set` switch; rerun the notebook (or `affinekit train`) with it.
# Answers, with the runs that gave them: `notebooks/ANSWERS.md`.
#
# 1. **Without the GAN**: `train_cfg = dataclasses.replace(train_cfg, w_frame=0, w_lip=0, w_apex=0,
#    w_lambda=0)` at the end of the model cell: all four adversarial terms off (leaving `w_apex` on keeps most of the adversarial
#    share). Check: the run's last `G_L1` (moving average, `loss_summary["G_L1"]["last"]`)
#    against the default run's. Answer: `notebooks/ANSWERS.md`.
# 2. **A second seed**: `SEED = 1`. Check: how far the held-out PSNR and the apex `l` move from
#    seed 0's. That movement is the noise any difference between two arms must beat.
#
# Exercises about what the inferred `l` means (the official projection, the paper's setting)
# are notebook 03b's.

# %%
summary = dict(held_out=held_out_rows, curves=loss_summary, field_px=field_px, train_sequences=len(train_keys),
               test_sequences=len(test_keys))
nb.save_text(f"training_{DATA}.json", json.dumps(plain(summary), indent=1, sort_keys=True))
last = log[-1]
nb.record(curves=loss_summary, field_px=field_px, data=DATA,
          steps=trainer.step, log_rows=len(log),
          final={k: last[k] for k in ("G_L1", "D_frame_real", "D_frame_fake", "G_frame", "D_lip") if k in last},
          finite=all(math.isfinite(r[k]) for r in log for k in ("G_L1", "D_frame_real", "D_frame_fake")),
          checkpoint=str(trainer.checkpoint_path), checkpoint_exists=trainer.checkpoint_path.is_file(),
          board_draws=board.draws, train_sequences=len(train_keys), test_sequences=len(test_keys),
          sample_shape=list(clips.shape), chance_line=GAN_CHANCE[train_cfg.gan_loss], gan_loss=train_cfg.gan_loss,
          one_step_losses={k: v.item() for k, v in one_step.items()}, held_out=held_out_rows)

# %% [markdown]
# **Next:** `03b_what_l_means.ipynb` asks what this run's inferred intensity `l` means: along a
# held-out sequence, through the frame discriminator, with and without the anchor, against the lips.

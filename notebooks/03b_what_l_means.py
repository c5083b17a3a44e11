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
# # 3b. What `l` means: the intensity the generator infers
#
# Notebook 03 trained the generator and watched its losses. This notebook looks at the one number
# that makes the method a *hidden affine* one: the intensity $l$ at which each frame is decoded,
#
# $$\hat x_t = \mathrm{Dec}\big(E_b(x_0) + l_t \, E_d(x_0, y)\big).$$
#
# For a real frame the model infers it, projecting the change of base code onto the direction:
# $l_t = \langle E_b(x_t) - E_b(x_0), a \rangle / \lVert a \rVert^2$ at the bottleneck. What does that
# number measure? Four looks at it: `l` along a sequence the model never saw; what
# the frame discriminator sees, patch by patch; the same sequence after short runs with and without
# the kit's intensity anchor (the paper has none); and `l` beside how far the lips moved.
#
# **The run it reads.** Everything below reads notebook 03's trained run, its generator and its
# frame discriminator, in `RUN_DIR`: by default the folder notebook 03 trains into,
# `runs/notebook03_<data>`. The parameters repeat notebook 03's: with the same values, a run that is
# already there is read back and nothing is trained (`affinekit.notebook.trained_run.reuse_or_train`);
# without one, this notebook first trains it with notebook 03's own call (at the default 300 steps,
# about 7 minutes on a free 2-core CPU). Run notebook 03 first to watch that training.

# %% tags=["parameters"]
CKPLUS = ""            # a CK+ root; empty: AFFINEKIT_CKPLUS, data/ckplus/, else the demo data
PREPARED_DIR = ""      # prepared sequences (empty: prepared/<data>_<crop>px in the repository)
RUN_DIR = ""           # notebook 03's run folder, read back or else trained (empty: runs/notebook03_<data>)
MAX_SEQUENCES = 0      # 0: every labelled sequence
CROP_SIZE = 128        # prepared crop size, pixels
IMAGE_SIZE = 64        # model resolution (crops are resized on the fly)
BASE_WIDTH = 32        # channels of the first U-Net level
STEPS = 300            # training steps, as in notebook 03 (used only when the run must be trained here)
LR_DECAY_FROM = 0.5    # learning rates constant until this fraction of STEPS, then falling to 0 (1: constant)
AVERAGE_DECAY = 0.99   # the generator scored and shown is a running average of the trained weights (0: none)
BATCH_SIZE = 8
SAMPLE_EVERY = 100     # as in notebook 03 (part of its training config)
SEED = 0
COMPARE_STEPS = 300    # steps of each run in the intensity-anchor comparison
COMPARE_SIZE = 32      # its model resolution: small, so each run takes a few CPU minutes
FIGURES_DIR = ""
RESULTS_JSON = ""

# %%
import json

import numpy as np
from IPython.display import display

from affinekit.data.dataset import subject_split
from affinekit.data.folders import read_source
from affinekit.data.prepare import prepare_records
from affinekit.data.prepared import load_manifest, load_sequence
from affinekit.expressions import EXPRESSIONS
from affinekit.config import DataConfig
from affinekit.notebook import experiments, lip_intensity
from affinekit.notebook.inputs import DEMO_FRLL, load_animator
from affinekit.notebook.setup import plain, setup
from affinekit.notebook.trained_run import notebook03_recipe, reuse_or_train
from affinekit.show import charts, look_inside, patch_verdicts, plots
from affinekit.weights.bundled import DEFAULT_WEIGHTS

# the data, where figures and recorded values go: as in notebook 03
nb = setup(globals(), limit="MAX_SEQUENCES")
DATA, records = nb.data, nb.records
prepared = nb.prepared_dir(PREPARED_DIR, CROP_SIZE)
run_dir = nb.folder(RUN_DIR, "runs", f"notebook03_{DATA}")
print(f"data: {DATA}, {len(records)} sequences; notebook 03's run: {run_dir}")

# %% [markdown]
# ## Notebook 03's data, split and run
#
# The same preparation (resumable: already done if notebook 03 ran), the same split by subject and
# the same configs as notebook 03, so the held-out subjects below are people its model never saw.
# Then the run: read back from `RUN_DIR` when its checkpoint is there, else trained into it.

# %%
report = prepare_records(records, prepared, nb.data_config(CROP_SIZE), progress=False)
entries = [e for e in load_manifest(prepared)["sequences"] if e["key"] in set(report.ok)]
train_keys, test_keys = subject_split(entries, test_fraction=0.2, seed=SEED)
model_cfg, train_cfg, data_cfg = notebook03_recipe(image_size=IMAGE_SIZE, base_width=BASE_WIDTH, crop_size=CROP_SIZE,
                                                   steps=STEPS, batch_size=BATCH_SIZE, sample_every=SAMPLE_EVERY,
                                                   seed=SEED, lr_decay_from=LR_DECAY_FROM,
                                                   average_decay=AVERAGE_DECAY)
trainer, reused = reuse_or_train(prepared, run_dir, model_cfg, train_cfg, data_cfg,
                                 train_keys)
print(f"{'read back' if reused else 'trained'}: {trainer.step} steps, {trainer.checkpoint_path}; "
      f"train: {len(train_keys)} sequences, test: {len(test_keys)} of other subjects")

# %% [markdown]
# ## Intensity inference, on a real sequence the model never saw
#
# Nobody labelled how strong the expression is in each frame. The model
# infers it: it projects the change of each frame's bottleneck base code onto
# the label's direction (`Generator.infer_intensity`). Below, every frame of
# one held-out sequence: its inferred `l` against its position in the
# sequence, and the frame the generator decodes at that `l` under the real one.
#
# What is supervised, honestly: the kit does not leave `l` wholly hidden. Three things
# train it. For the first `train.lambda_warmup` steps the generator is driven by the frame's
# position, handing over to the inferred `l` as the warm-up ends; throughout, `G_sup` pulls
# the inferred `l` towards the position with weight `train.w_lambda_sup`; and throughout,
# `G_landmark` (weight `train.w_landmark`, about half of G's gradient at the defaults) asks the
# field at the inferred `l` to carry the frame's landmarks back to $x_0$'s, and the gradient
# flows through `l`: the intensity is regressed onto landmark motion. `l` is clamped to
# `train.lambda_range` ([-0.25, 1.5]) when it drives the generator. The paper has none of the three: its setting is
# `w_lambda_sup=0`, no warm-up and no landmark term (`--set train.w_lambda_sup=0 --set
# train.lambda_warmup=0 --set train.w_landmark=0` for `affinekit train`); the anchor
# section below trains with and without the first two.

# %%
probe_key = (test_keys or train_keys)[0]
probe = load_sequence(prepared, probe_key)
lam_real, decoded = look_inside.intensity_on_sequence(trainer.generator.eval().cpu(), probe.frames,
                                                      EXPRESSIONS.index(probe.label))
positions = np.linspace(0, 1, len(lam_real))
fig = charts.intensity_against_position({"inferred l": lam_real}, title=f"{probe_key} ({probe.label})")
nb.save(fig, "intensity_on_sequence.png")
display(fig)
show = np.linspace(0, len(lam_real) - 1, min(6, len(lam_real))).round().astype(int)
real_row = [probe.frames[i] for i in show]
fig = plots.frame_grid([real_row, [decoded[i] for i in show]], row_labels=["real", "decoded at inferred l"],
                       col_labels=[f"l={lam_real[i]:.2f}" for i in show], value_range=(0, 1))
nb.save(fig, "decoded_at_inferred_l.png", faces=True)
display(fig)
order = float(np.corrcoef(positions, lam_real)[0, 1]) if np.std(lam_real) > 0 else float("nan")
print(f"correlation of inferred l with frame position: {order:.2f}")

# %% [markdown]
# The committed plot, from the CK+ run of `figures/README.md` (notebook 03's 300 steps; a held-out
# subject's sequence, S111's surprise): `l` stays near 0 over the first five frames, rises as the
# surprise forms and levels off near 0.79 at the apex, short of the 1 that `G_sup` pulls it towards
# after only 300 steps; its correlation with frame position is 0.96. Beside it, the training frames'
# `l` during the run (notebook 03 draws it from the run's log): the mean and the spread rise together
# over the first 50 steps, then the mean keeps climbing to about 0.55 while the spread stays near
# 0.35-0.45, and the correlation with frame position climbs to about 0.85-0.9 as the anchor pulls.
#
# ![inferred intensity against frame position](../figures/intensity_on_sequence.png) ![intensity statistics during training](../figures/intensity_stats.png)

# %% [markdown]
# ## What the frame discriminator sees
#
# The frame PatchGAN does not answer "real" or "fake" once per frame: it answers once per patch
# (an 8 x 8 grid at 64 px, each cell seeing about a quarter of the face), beside the neutral face
# and the label. Below, the trained one judges three frames of a held-out face, each beside that
# face's neutral frame: the neutral frame itself offered as the expression (not the expression:
# it should read fake), the real apex and the generator's frame at `l` = 1. Red cells it calls
# real, blue fake; 0.5 is chance. Then the same on a face from another dataset: one of the six
# FRLL people shipped in `data/demo/frll/` (Face Research Lab London Set, DeBruine & Jones 2017,
# CC BY 4.0), whose real smile exists.

# %%
d_frame = trainer.model.d["frame"].eval()
gen = trainer.generator.eval()
d_verdicts = {}
pairs = [(probe.frames[0], probe.frames[-1], EXPRESSIONS.index(probe.label), f"held-out {probe_key} ({probe.label})")]
frll_dir = run_dir.with_name(f"frll_demo_{CROP_SIZE}px")
frll_record = read_source(DEMO_FRLL)[0]                          # one pair is enough: prepare only it
prepare_records([frll_record], frll_dir, DataConfig(crop_size=CROP_SIZE, channels=1), progress=False)
frll_key = frll_record.key
frll = load_sequence(frll_dir, frll_key)
pairs.append((frll.frames[0], frll.frames[-1], EXPRESSIONS.index("happy"), f"FRLL {frll_key} (happy; CC BY 4.0)"))
for (neutral, real, label, title), tag in zip(pairs, ("held_out", "frll")):
    frames, verdicts = patch_verdicts.judge_pair(gen, d_frame, neutral, real, label, trainer.train_cfg.gan_loss)
    fig = patch_verdicts.plot_patch_verdicts(frames, verdicts, title=f"frame PatchGAN after {trainer.step} steps: {title}")
    nb.save(fig, f"d_verdicts_{tag}.png", faces=tag == "held_out")
    display(fig)
    d_verdicts[tag] = {name: float(v.mean()) for name, v in zip(frames, verdicts)}
print(json.dumps(d_verdicts, indent=1))

# %% [markdown]
# The committed figure, from the CK+ run of `figures/README.md` (300 steps at 64 px), on the
# FRLL pair (the held-out CK+ face's figure stays on your machine: `*_ckplus-faces.png`):
#
# ![the frame PatchGAN's verdict per patch, FRLL pair](../figures/d_verdicts_frll.png)
#
# This is what "at chance" in Fig. 7 (notebook 03) looks like from inside. The patches' verdicts spread a
# little either side of 0.5, but the three frames get the same mean verdict to within 0.01
# (0.49, 0.49 and 0.49 here; 0.49, 0.50 and 0.50 on the held-out CK+ surprise; each time the neutral
# face offered as the expression, the real expression, the generated one): the discriminator does not even
# reject the neutral face offered as the expression. A generator can learn nothing from such a judge
# about what a smile or an open mouth looks like; that is the adversarial share of a few percent,
# seen per patch.

# %% [markdown]
# ## With the anchor and without it (the paper's setting)
#
# How much of the ordering above is the anchor's doing? Two short runs, the
# same in everything but the anchor: the kit's defaults (`G_sup` and the
# warm-up) and the paper's setting (`train.w_lambda_sup=0`,
# `train.lambda_warmup=0`: the generator is driven by the inferred `l` from
# the first step, and nothing tells `l` which way is apex). Both train for
# `COMPARE_STEPS` steps at `COMPARE_SIZE` pixels through `training.run.train` from the
# same seed on the same training subjects, and infer `l` on the same held-out
# sequence as above. Beside them, for reference, the bundled model: trained
# the kit's way (with the anchor) for far longer.
#
# What to expect, honestly: the anchored run orders the frames by
# construction, since it was trained to put `l` at the position; that is not
# evidence that the projection discovers intensity. It also trains inside the
# 500-step warm-up (`train.lambda_warmup`): at its last step the position still
# drives G with weight 1 - steps/500 (0.4 after 300 steps). The unanchored run has
# no `G_sup` and no warm-up, but it keeps the motion prior $F = l \cdot F_y + \dots$,
# which fixes which way `l` goes and how far: a frame that moved like the label's mean
# motion is matched best at `l` near 1. The third arm drops the prior too
# (`model.prior=off`): only there must the projection find the direction alone.

# %%
anchors = {"kit: G_sup + warm-up": [], "paper: no anchor": ["train.w_lambda_sup=0", "train.lambda_warmup=0"],
           "no anchor, no prior": ["train.w_lambda_sup=0", "train.lambda_warmup=0", "model.prior=off"]}
lam_by_anchor = {}
for i, (name, overrides) in enumerate(anchors.items()):
    run = experiments.train_variant(prepared, run_dir.with_name(f"{run_dir.name}_anchor{i}"), train_keys,
                                    overrides + [f"train.batch_size={BATCH_SIZE}"], COMPARE_STEPS,
                                    image_size=COMPARE_SIZE, base_width=BASE_WIDTH, seed=SEED)
    lam_by_anchor[name] = look_inside.intensity_on_sequence(run.generator.eval().cpu(), probe.frames,
                                                            EXPRESSIONS.index(probe.label))[0]
nb.uses_weights(DEFAULT_WEIGHTS, notebook="03b")   # the figures from here on record the bundled file's hash
bundled = load_animator()[0].generator.eval().cpu()
lam_bundled = look_inside.intensity_on_sequence(bundled, probe.frames, EXPRESSIONS.index(probe.label))[0]
anchor_curves = {f"{name} ({COMPARE_STEPS} steps)": lam for name, lam in lam_by_anchor.items()}
anchor_curves["bundled model (anchored, long run)"] = lam_bundled
fig = charts.intensity_against_position(anchor_curves, title=f"held-out {probe_key} ({probe.label})",
                                        styles={"bundled model (anchored, long run)": "s:"})
nb.save(fig, "intensity_anchor_comparison.png")
display(fig)
anchor_corr = {name: float(np.corrcoef(positions, lam)[0, 1]) if np.std(lam) > 0 else float("nan")
               for name, lam in {**lam_by_anchor, "bundled": lam_bundled}.items()}
for name, lam in {**lam_by_anchor, "bundled": lam_bundled}.items():
    print(f"{name}: l from {lam[0]:.2f} to {lam[-1]:.2f}, correlation with position {anchor_corr[name]:.2f}")

# %% [markdown]
# The committed comparison, from the CK+ run of `figures/README.md` (300 steps each, 32 px), on
# held-out subject S111's surprise sequence, with the bundled model of today. The two arms that keep
# the prior order the frames (correlation with position 0.97 with the anchor, 0.97 without, and 0.97
# for that bundled model); the anchor changes the scale (`l` reaches 0.43 with it, 0.78 without,
# 0.94 for the bundled model). The third arm, without the prior, orders them just as tightly but the
# wrong way round: its `l` falls to -0.40 at the apex (correlation -0.97). So the projection alone
# finds an axis along which the frames line up, but not which way is apex nor how far: that is what
# the prior supplies.
# What this does **not** show is that the projection discovers intensity by itself: the
# no-anchor arm kept the prior, which points `l` the right way and sets its scale, and
# `G_landmark`, which regresses `l` onto the landmarks' motion; the anchored arm was also
# still 40% position-driven at its last step. The toy of notebook 07 keeps the prior and
# `G_landmark` too, so it is no cleaner on this point. Only an arm with neither
# (`model.prior=off`, `train.w_landmark=0`, no anchor) asks the projection to find the
# intensity alone; the third arm drops the prior, and exercise 2 below drops both.
#
# ![inferred intensity with and without the anchor](../figures/intensity_anchor_comparison.png)

# %% [markdown]
# ## Against the lips (a supervised measure, not an independent one)
#
# Frame position is what the anchor pulls `l` towards, so agreeing with it proves little. The
# lips are a second measure: the mean distance of the 20 lip points (48-67) from
# where they were in the neutral frame, in inter-ocular distances
# (`lip_intensity.lip_displacement`). It is not independent of training either: `G_landmark`
# trained the bundled model's `l` to make the field carry all 68 landmarks, lips included,
# back to the neutral frame's, so an `l` that follows the lips is partly that regression. Below, the bundled model's `l` (blue, left axis) and
# that displacement (red, right axis) along every held-out sequence; the title gives their
# correlation along the clip. The lips are blind to brows, so anger and sadness, which move
# the mouth little, are the hard cases.

# %%
lips = lip_intensity.lambda_against_lips(bundled, prepared, test_keys or train_keys)
fig = charts.lambda_and_lips(lips)
nb.save(fig, "lambda_against_lips.png")
display(fig)
lips_summary = lip_intensity.summary(lips)
nb.save_text(f"lambda_against_lips_{DATA}.json", json.dumps(plain({   # the record the prose below is checked against
    **lips_summary, "keys": list(lips), "per_sequence": {key: {name: s[name] for name in (
        "label", "corr_lips", "corr_position", "lips_position")} for key, s in lips.items()}}), indent=1, sort_keys=True))
print(f"bundled model, {len(lips)} held-out sequences: corr(l, lip displacement) "
      f"{lips_summary['corr_lips_mean']:.2f} on average, corr(l, position) {lips_summary['corr_position_mean']:.2f}")

# %% [markdown]
# The committed figure (the bundled model on the CK+ sample's held-out subjects S111 and S124,
# `figures/lambda_against_lips_ckplus.json`): along its 7 sequences `l` follows the lip
# displacement with a mean correlation of 0.98, closer than it follows frame position (0.93):
# the anchor pulled it towards position, `G_landmark` towards the landmarks, and the
# landmarks won. It holds where the lips turn back (the end of S124_001, whose lips relax while
# `l` stays near 1.4). The weakest are happy S124_007 (0.94), where `l` peaks at frame 15 and falls a
# little while the smile keeps widening, and anger S111_006 (0.97), where `l` runs ahead of the lips.
#
# ![inferred l and lip displacement along each held-out sequence](../figures/lambda_against_lips.png)

# %% [markdown]
# ## Exercises
#
# Answers, with the runs that gave them: `notebooks/ANSWERS.md`. Exercise 1 trains a model of its
# own: give `RUN_DIR` a new folder (the default one holds notebook 03's run, and a run of another
# model is refused there), or use `affinekit train --set ...`.
#
# 1. **Bottleneck-only mixing, or the official projection**: `ModelConfig(..., mixing="bottleneck")` or
#    `projection="official"` in the run cell. Bottleneck-only lets the skips carry x0 unchanged; the official `l` is
#    $\lvert\langle\cdot\rangle\rvert / \lVert a \rVert$, never below 0, its scale set by $\lVert a \rVert$.
#    Check: the held-out PSNR against the default's, the inferred `l` at the apex, and the lowest
#    `l` inferred (below 0 is impossible for the official projection).
# 2. **The paper's setting, whole**: the anchor comparison's third arm plus `train.w_landmark=0`
#    (no anchor, no prior, no landmark term). Check: the correlation of the inferred `l` with frame
#    position on the held-out sequence. Notebook 07's exercise 4 asks the same on faces with known
#    intensities.

# %%
what_l_means = dict(probe=probe_key, lambda_on_sequence=lam_real, lambda_position_corr=order, d_verdicts=d_verdicts,
                    anchor_curves=anchor_curves, anchor_corr=anchor_corr, compare_steps=COMPARE_STEPS,
                    lips=lips_summary, run_steps=trainer.step, train_sequences=len(train_keys),
                    test_sequences=len(test_keys))
nb.save_text(f"what_l_means_{DATA}.json", json.dumps(plain(what_l_means), indent=1, sort_keys=True))
nb.record(data=DATA, reused=reused, run_steps=trainer.step, checkpoint=str(trainer.checkpoint_path),
          lambda_on_sequence=[float(v) for v in lam_real], lambda_position_corr=order, d_verdicts=d_verdicts,
          lambda_by_anchor=lam_by_anchor, lambda_bundled=lam_bundled, anchor_corr=anchor_corr,
          compare_steps=COMPARE_STEPS, lips=lips_summary, train_sequences=len(train_keys),
          test_sequences=len(test_keys))

# %% [markdown]
# **Next:** `04_evaluation.ipynb` scores a trained model against real videos
# and two baselines that need no training at all.

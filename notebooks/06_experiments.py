# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python (affinekit)
#     language: python
#     name: affinekit
# ---

# %% [markdown]
# # 6. Small experiments: change one thing, see what it does
#
# Each experiment asks one question. Its variants differ in one setting only
# (`affinekit.experiments.EXPERIMENTS` lists the `--set` overrides); they train
# through the same entry as `affinekit train`, from the same seed, on the same
# training subjects, for the same number of steps, and are scored on the same
# held-out subjects with copy-input (doing nothing) from the same run drawn as
# a dashed line. One figure per question.
#
# Read the answers for what they are: short runs on a small data set (the CK+
# sample has 10 people), one seed. A difference smaller than about 0.5 dB PSNR
# or one test sequence of expression accuracy is within the noise; rerun with
# more `STEPS` or another `SEED` before believing it. Not here yet: the paper's
# random frame split against the subject split (notebook 04's notes say why the
# former flatters a model).

# %% tags=["parameters"]
CKPLUS = ""            # a CK+ root; empty: AFFINEKIT_CKPLUS, data/ckplus/, else the demo data
PREPARED_DIR = ""      # prepared sequences (empty: prepared/<data>_<crop>px in the repository)
WORK_DIR = ""          # the experiments' runs (empty: runs/notebook06)
CROP_SIZE = 128
STEPS = 300            # training steps per variant (about 5 minutes each on a 2-core CPU)
IMAGE_SIZE = 64
BASE_WIDTH = 32
FRAMES = 16
SEED = 0
FIGURES_DIR = ""
RESULTS_JSON = ""

# %%
from pathlib import Path

from IPython.display import display

from affinekit import experiments, notebook
from affinekit.config import DataConfig
from affinekit.data.dataset import subject_split
from affinekit.data.prepare import prepare_records

S = notebook.sizes(dict(CROP_SIZE=64, STEPS=2, IMAGE_SIZE=32, BASE_WIDTH=8, FRAMES=4),
                   CROP_SIZE=CROP_SIZE, STEPS=STEPS, IMAGE_SIZE=IMAGE_SIZE, BASE_WIDTH=BASE_WIDTH, FRAMES=FRAMES)
FIGS = notebook.figure_dir(FIGURES_DIR)
DATA, records = notebook.read_records(CKPLUS)
prepared = Path(PREPARED_DIR or notebook.REPO_ROOT / "prepared" / f"{DATA}_{S['CROP_SIZE']}px")
work = Path(WORK_DIR or notebook.REPO_ROOT / "runs" / "notebook06")
report = prepare_records(records, prepared, DataConfig(image_size=S["CROP_SIZE"], align_per_frame=DATA != "ckplus"),
                         progress=False)
train_keys, test_keys = subject_split(prepared, 0.2, SEED)
if notebook.is_tiny():
    test_keys = test_keys[:2]
print(f"data: {DATA}; {len(train_keys)} training and {len(test_keys)} test sequences; {S['STEPS']} steps per variant")

# %% [markdown]
# ## The runs
#
# Three questions, two variants each: six trainings. Each one's folder under
# `WORK_DIR` holds its log and checkpoint, so a curve can be looked at later
# (`charts.loss_curves(run / "log.jsonl")`).

# %%
results = experiments.run_experiments(prepared, work, train_keys, test_keys, S["STEPS"],
                                      image_size=S["IMAGE_SIZE"], base_width=S["BASE_WIDTH"], frames=S["FRAMES"],
                                      seed=SEED)

# %% [markdown]
# ## One figure per question

# %%
for q, (question, variants) in enumerate(results.items()):
    fig = experiments.plot_experiment(question, variants)
    notebook.save(fig, FIGS, f"experiment_{q + 1}_{DATA}.png")
    display(fig)
    for name, scores in variants.items():
        m = scores["model"]
        print(f"  {name:14s} PSNR {m['psnr']:.2f} dB, SSIM {m['ssim']:.3f}, expression accuracy {m['expr_acc']:.2f}")

# %%
notebook.record(RESULTS_JSON, data=DATA, questions=list(results), steps=S["STEPS"],
                variants={q: list(v) for q, v in results.items()},
                copy_input_psnr=[v[list(v)[0]]["copy-input"]["psnr"] for v in results.values()],
                model_psnr={q: {n: s["model"]["psnr"] for n, s in v.items()} for q, v in results.items()})

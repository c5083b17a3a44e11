"""The notebooks: their shape (one `parameters` cell, no outputs, in sync with their
jupytext sources) and one papermill run of each committed notebook at tiny sizes
(tiny values for its own parameters, `affinekit.notebook.figures.TINY`), checked
through the values it recorded in RESULTS_JSON. That run is also the check that the
committed notebooks run at all: `make test` executes each one once.

The runs use the kernel named affinekit, which `make install` registers inside
the venv (`ipykernel install --sys-prefix`), so the venv's ipykernel and the
installed affinekit are what run, and the user's own kernels are left alone.
"""
from __future__ import annotations

import ast
import json
import math
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
pm = pytest.importorskip("papermill")

from affinekit.errors import AffinekitError  # noqa: E402
from affinekit.io.runlog import read_log  # noqa: E402
from affinekit.notebook.figures import NOTEBOOKS as FIGURE_NOTEBOOKS  # noqa: E402
from affinekit.notebook.figures import TINY, WORK_FOLDERS, parse_params, select_notebooks, tiny_parameters  # noqa: E402
from affinekit.notebook.figures import run_notebook as execute  # noqa: E402
from affinekit.notebook.provenance import read_manifest, weights_stamp  # noqa: E402
from affinekit.notebook.timed_run import TINY_LIMITS  # noqa: E402

# A test may wait for two notebook runs (its own and 03's, a fixture), each stopped at TINY_LIMITS: the
# suite's guard (pyproject's 900 s) must not cut them short of their own, clearer, message.
pytestmark = pytest.mark.timeout(2 * TINY_LIMITS.notebook_s + 300)

REPO = Path(__file__).resolve().parents[2]
NB_DIR = REPO / "notebooks"
NOTEBOOKS = sorted(p.stem for p in NB_DIR.glob("[0-9][0-9]*_*.ipynb"))
EXPECTED = ["01_dataset_exploration", "02_lip_patches", "03_training", "03b_what_l_means", "04_evaluation",
            "05_generate_videos", "06_experiments", "07_toy"]


def _parameters_cell(nb):
    cells = [c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(cells) == 1, f"expected exactly one cell tagged parameters, found {len(cells)}"
    return cells[0]


# --------------------------------------------------------------------------------------------
# shape


def test_every_notebook_of_the_tour_is_there():
    missing = [name for name in EXPECTED if name not in NOTEBOOKS]
    assert not missing, f"missing notebooks: {missing}"
    assert list(FIGURE_NOTEBOOKS) == EXPECTED == NOTEBOOKS          # `affinekit figures` runs the tour, in order


def test_a_next_link_names_the_next_notebook_of_the_tour():
    """A notebook that ends with a **Next:** link names the notebook after it (05 on have none)."""
    linked = []
    for name, after in zip(EXPECTED, EXPECTED[1:]):
        last = nbformat.read(NB_DIR / f"{name}.ipynb", as_version=4).cells[-1]
        if "**Next:**" in last.source:
            assert f"**Next:** `{after}.ipynb`" in last.source, f"{name} links another notebook than {after}"
            linked.append(name)
    assert EXPECTED[:EXPECTED.index("04_evaluation") + 1] == linked, linked     # 01 to 04 link on


def test_03b_repeats_03s_training_parameters():
    """03b reads 03's run (or trains it with 03's call): the parameters that make that run, and the
    tiny values for them, must be the same in both, or 03b would read or train another run."""
    training = ["CKPLUS", "PREPARED_DIR", "RUN_DIR", "MAX_SEQUENCES", "CROP_SIZE", "IMAGE_SIZE", "BASE_WIDTH",
                "STEPS", "BATCH_SIZE", "SAMPLE_EVERY", "SEED"]
    defaults = {name: {p["name"]: p["default"] for p in pm.inspect_notebook(str(NB_DIR / f"{name}.ipynb")).values()}
                for name in ("03_training", "03b_what_l_means")}
    assert {p: defaults["03_training"][p] for p in training} == {p: defaults["03b_what_l_means"][p] for p in training}
    assert {p: v for p, v in TINY["03b_what_l_means"].items() if p in training} == \
        {p: v for p, v in TINY["03_training"].items() if p in training}
    folders = [tiny_parameters(name, Path("/w"))["RUN_DIR"] for name in ("03_training", "03b_what_l_means")]
    assert folders[0] == folders[1] == "/w/03_training/run"


def test_03s_recipe_defaults_are_its_parameters():
    """Notebook 03, 03b and the script that chose 03's length all take their configs from
    `notebook03_recipe`; its defaults must be 03's parameter defaults, or the script would choose a
    length for another run than the one the notebook trains."""
    import inspect

    from affinekit.notebook.trained_run import notebook03_recipe
    defaults = {p["name"]: p["default"] for p in pm.inspect_notebook(str(NB_DIR / "03_training.ipynb")).values()}
    recipe = {name: param.default for name, param in inspect.signature(notebook03_recipe).parameters.items()}
    assert {name.upper(): str(value) for name, value in recipe.items()} == \
        {name.upper(): defaults[name.upper()] for name in recipe}
    for source in ("notebooks/03_training.py", "notebooks/03b_what_l_means.py", "scripts/choose_notebook03_steps.py"):
        assert "notebook03_recipe(" in (NB_DIR.parent / source).read_text(), f"{source} builds its own configs"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_one_uppercase_parameters_cell_and_no_outputs(name):
    nb = nbformat.read(NB_DIR / f"{name}.ipynb", as_version=4)
    cell = _parameters_cell(nb)
    assert cell.cell_type == "code"
    tree = ast.parse(cell.source)
    names = [t.id for node in tree.body for t in getattr(node, "targets", [getattr(node, "target", None)]) if t]
    assert names and all(n.isupper() for n in names), f"parameters must be UPPER_CASE: {names}"
    assert all(isinstance(node, (ast.Assign, ast.AnnAssign)) for node in tree.body), "parameters cell: assignments only"
    assert {"FIGURES_DIR", "RESULTS_JSON"} <= set(names)
    # papermill must parse every line (no "=" in comments)
    assert list(pm.inspect_notebook(str(NB_DIR / f"{name}.ipynb"))) == names
    stale = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and (c.outputs or c.execution_count)]
    assert not stale, f"cells {stale} carry outputs: clear them (jupytext --sync notebooks/{name}.py rewrites it clean)"
    assert nb.metadata["kernelspec"]["name"] == "affinekit"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_tiny_sizes_are_the_notebooks_own_parameters(name):
    """The one way to be small: every tiny value overrides a parameter the notebook declares (papermill
    would inject a misspelt one as a new variable, silently), and every folder it writes into is moved
    into the test's own folder."""
    declared = set(pm.inspect_notebook(str(NB_DIR / f"{name}.ipynb")))
    assert set(TINY[name]) <= declared, f"not parameters of {name}: {set(TINY[name]) - declared}"
    folders = {p for p in declared if p.endswith("_DIR") and p != "FIGURES_DIR"}
    assert folders <= set(WORK_FOLDERS), f"{name}: a tiny run would write into the repository's {folders - set(WORK_FOLDERS)}"
    source = (NB_DIR / f"{name}.py").read_text()
    assert "AFFINEKIT_TINY" not in source and "tiny=" not in source


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_each_notebook_and_its_python_source_are_in_sync(name):
    """notebooks/NAME.py (jupytext percent format, what a diff shows) and NAME.ipynb hold the same cells."""
    jupytext = pytest.importorskip("jupytext")
    source = jupytext.read(NB_DIR / f"{name}.py")
    nb = nbformat.read(NB_DIR / f"{name}.ipynb", as_version=4)
    cells = lambda book: [(c.cell_type, c.source.strip(), sorted(c.metadata.get("tags", []))) for c in book.cells]
    assert cells(source) == cells(nb), f"out of sync: run `jupytext --sync notebooks/{name}.ipynb`"
    assert "py:percent" in nb.metadata["jupytext"]["formats"]


# --------------------------------------------------------------------------------------------
# runs


def run_notebook(name: str, folder: Path, **params) -> dict:
    """Execute a committed notebook once with papermill at its tiny sizes (`TINY`, its work folders
    under `folder`), figures into folder/figures; returns what it recorded."""
    try:
        return execute(name, folder / "figures", folder, params, tiny=True)
    except AffinekitError as err:
        pytest.fail(str(err))


@pytest.fixture(scope="module")
def demo_env():
    mp = pytest.MonkeyPatch()
    mp.delenv("AFFINEKIT_CKPLUS", raising=False)   # default runs use the open demo data (the kernel inherits it)
    yield
    mp.undo()


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    return tmp_path_factory.mktemp("notebooks")


@pytest.fixture(scope="module")
def nb01(demo_env, work):
    # SOURCES=demo: the shipped sources, as on a fresh clone, even where ../shared/data is here
    return run_notebook("01_dataset_exploration", work, SOURCES="demo")


@pytest.fixture(scope="module")
def nb02(demo_env, work):
    return run_notebook("02_lip_patches", work)


@pytest.fixture(scope="module")
def nb03(demo_env, work):
    return run_notebook("03_training", work)


def figures(work: Path) -> set[str]:
    return {p.name for p in (work / "figures").glob("*.png")}


@pytest.mark.slow
def test_01_counts_montage_and_landmarks(nb01, work):
    assert nb01["data"] == "demo"
    assert nb01["n_sequences"] > 0 and sum(nb01["by_expression"].values()) == nb01["n_sequences"]
    assert sum(nb01["by_subject"].values()) == nb01["n_sequences"]
    assert all(n >= 2 for n in nb01["lengths"])
    assert nb01["montage_rows"] == len(nb01["by_expression"]) and nb01["montage_shape"][1] >= 2
    assert nb01["landmarks_shape"] == [68, 2]
    assert {"dataset_counts_demo.png", "fig3_montage_demo.png", "landmarks_crop_demo.png"} <= figures(work)



@pytest.mark.slow
def test_01_sources_pairs_beside_sequences_and_balance(nb01, work):
    assert nb01["sources_root"] == "demo"
    rows = {r["source"]: r for r in nb01["sources_table"]}
    assert rows["demo clips"]["kind"] == "sequence" and rows["demo clips"]["items"] == 6
    frll = rows["FRLL"]                            # the shipped FRLL people: six still pairs, colour, CC BY
    assert (frll["kind"], frll["people"], frll["items"], frll["colour"]) == ("pair", 6, 6, "colour")
    assert frll["expressions"] == {"happy": 6} and "CC BY 4.0" in frll["licence"]
    assert nb01["pair_key"].startswith("frll-")
    # aligned on its own, the smile's eyes sit on the template; under the neutral photo's transform they do not
    offset = nb01["pair_eye_offset"]
    assert offset["own"] < 2.0 and offset["shared"] > offset["own"] + 3.0
    assert nb01["mead_item"] is None and nb01["ck48_roles"] == {}     # never shipped
    # balanced batches: every expression equally often, whatever its count
    shares = nb01["per_expression_share"]
    assert sum(shares.values()) == pytest.approx(1.0)
    assert all(v == pytest.approx(1 / len(shares)) for v in shares.values())
    counts, batch = nb01["batch_counts"], nb01["batch_shares"]
    assert counts["FRLL"]["happy"] == 6 and batch["FRLL"]["happy"] == pytest.approx(batch["demo clips"]["happy"])
    assert {"pair_and_sequence_demo.png", "pair_alignment_demo.png", "sources_balance_demo.png"} <= figures(work)
    assert not any(name.endswith("_ckplus-faces.png") for name in figures(work))


@pytest.mark.slow
def test_02_lip_patch_steps(nb02, work):
    assert nb02["n_faces"] > 0 and nb02["landmarks_shape"] == [68, 2]
    assert nb02["mask_values"] == [0, 1] and nb02["mask_area"] > 0
    assert nb02["patch_outside_zero"] is True
    assert all(a > 0 for a in nb02["areas"].values())
    assert {"fig4_lip_patch_demo.png", "lip_patch_gallery_demo.png"} <= figures(work)


@pytest.mark.slow
def test_03_training_logs_finite_losses_and_a_checkpoint(nb03, work):
    assert nb03["steps"] == nb03["log_rows"] == TINY["03_training"]["STEPS"]      # the parameter papermill passed
    assert nb03["finite"] is True
    assert all(isinstance(v, float) and math.isfinite(v) for v in nb03["final"].values())
    assert {"G_L1", "D_frame_real", "D_frame_fake"} <= set(nb03["final"])
    assert nb03["checkpoint_exists"] is True and Path(nb03["checkpoint"]).is_file()
    assert Path(nb03["checkpoint"]).is_relative_to(work)       # a tiny run writes only into its own folder
    assert nb03["board_draws"] >= 2                # drawn during training and at the end
    assert nb03["sample_shape"][1] == 7
    assert {"fig6_g_l1.png", "fig7_d_real_fake.png", "training_samples_demo.png"} <= figures(work)
    # the chance line drawn on the D curves is the GAN loss's own
    assert nb03["chance_line"] == pytest.approx({"lsgan": 0.25, "bce": math.log(2)}[nb03["gan_loss"]])
    # the step by hand: the trainer's own frame losses; the motion head gives x0 back exactly at l = 0,
    # and an untrained model's frames are not yet the real ones
    one = nb03["one_step_losses"]
    assert sorted(one) == ["G_L1", "G_rec", "G_sup"] and one["G_rec"] == pytest.approx(0.0, abs=1e-6)
    assert one["G_L1"] > 1e-3 and math.isfinite(one["G_sup"])
    assert (work / "figures" / "generator_shapes.md").is_file()
    # the held-out curve starts at the run's own step 0 and ends at its last step
    rows = nb03["held_out"]
    if nb03["test_sequences"]:
        assert [r["step"] for r in rows] == [0, TINY["03_training"]["STEPS"]]
        assert all(math.isfinite(r["psnr"]) for r in rows) and "held_out_psnr_demo.png" in figures(work)


@pytest.fixture(scope="module")
def nb03b(demo_env, work, nb03):
    # after 03, as in the tour: its RUN_DIR is the tiny 03's run folder (SHARED_FOLDERS), read back, not trained
    return run_notebook("03b_what_l_means", work)


@pytest.mark.slow
def test_03b_reads_03s_run_and_what_its_l_means(nb03b, nb03, work):
    assert nb03b["reused"] is True and nb03b["checkpoint"] == nb03["checkpoint"]      # 03's very run, not a new one
    assert nb03b["run_steps"] == nb03["steps"] == TINY["03_training"]["STEPS"]
    assert len(read_log(Path(nb03["checkpoint"]).parents[1] / "log.jsonl")) == nb03["log_rows"]    # no step added
    assert (nb03b["train_sequences"], nb03b["test_sequences"]) == (nb03["train_sequences"], nb03["test_sequences"])
    # intensity inference on a real held-out sequence, one l per frame (that l recovers a known
    # intensity is tested with a generator whose decode is known: tests/show/test_look_inside.py)
    lam = nb03b["lambda_on_sequence"]
    assert len(lam) >= 2 and all(math.isfinite(v) for v in lam)
    assert {"intensity_on_sequence.png", "decoded_at_inferred_l_demo.png"} <= figures(work)
    # the anchor comparison on the same held-out sequence: two short runs (the kit's anchor, the paper's
    # setting) that differ, and the bundled model, trained with the anchor for long, which orders the frames
    runs = nb03b["lambda_by_anchor"]
    assert sorted(runs) == ["kit: G_sup + warm-up", "no anchor, no prior", "paper: no anchor"] and all(len(v) == len(lam) for v in runs.values())
    assert runs["paper: no anchor"] != runs["kit: G_sup + warm-up"]
    bundled = nb03b["lambda_bundled"]
    assert bundled[-1] > bundled[0] + 0.2 and nb03b["anchor_corr"]["bundled"] > 0.8
    assert "intensity_anchor_comparison.png" in figures(work)
    # the frame PatchGAN's verdicts: a held-out face and an FRLL pair, three frames each; the FRLL one is shared
    verdicts = nb03b["d_verdicts"]
    assert sorted(verdicts) == ["frll", "held_out"] and all(len(v) == 3 for v in verdicts.values())
    assert all(math.isfinite(x) for v in verdicts.values() for x in v.values())
    assert {"d_verdicts_frll.png", "d_verdicts_held_out_demo.png"} <= figures(work)
    record = json.loads((work / "figures" / "what_l_means_demo.json").read_text())
    assert record["d_verdicts"] == nb03b["d_verdicts"] and record["anchor_corr"] == nb03b["anchor_corr"]
    assert {"probe", "anchor_curves", "lips", "compare_steps"} <= set(record)
    assert (work / "figures" / "lambda_against_lips_demo.json").is_file()
    # the figures after the anchor comparison come from the bundled model: stamped with it, re-made by 03b
    made = read_manifest(work / "figures")
    assert made["lambda_against_lips.png"]["remake"] == "affinekit figures --only 03b"
    assert "intensity_on_sequence.png" not in made                    # 03's run: not the bundled weights


@pytest.fixture(scope="module")
def nb05(demo_env, work, nb03):
    # the tiny model notebook 03 just trained: fast, and it exercises the CHECKPOINT parameter
    return run_notebook("05_generate_videos", work, CHECKPOINT=nb03["checkpoint"])


@pytest.mark.slow
def test_05_writes_a_video_and_builds_the_app(nb05, nb03, work):
    assert nb05["model"].startswith("checkpoint")
    assert Path(nb05["video"]).is_file() and nb05["video_frames"] == nb05["frames_shape"][0] == TINY["05_generate_videos"]["FRAMES"]
    assert Path(nb05["video"]).is_relative_to(work)
    assert nb05["frames_shape"][-1] == 3 and nb05["video_format"] == "mp4" and nb05["player_has_video"]
    assert nb05["grid_shape"][0] == 7 and nb05["intensity_max"] >= 2.0
    assert "generated_expressions_demo.png" in figures(work)
    assert nb05["samples"][0] == "photo_neutral"                      # a neutral face by default
    # look inside: the motion head's own maps, one direction per label, a finite linearity ratio
    assert nb05["raw_keys"] == ["field", "mask", "residual"] and nb05["field_max"] > 0
    assert all(abs(v - 1) < 1e-4 for v in nb05["similarity_diagonal"]) and len(nb05["similarity_diagonal"]) == 7
    assert math.isfinite(nb05["linearity"]["ratio"]) and nb05["levels"] >= 3
    assert {"direction_norms_demo.png", "direction_similarity.png", "raw_output_demo.png"} <= figures(work)
    # the prior against the learned correction, on two shipped FRLL faces (issue 29 item 5)
    split = nb05["prior_and_learned"]
    assert sorted(split) == ["anger", "happy", "surprise"]
    assert all(math.isfinite(v) and (v >= 0 or k == "against_prior") for row in split.values() for k, v in row.items())
    assert "prior_and_learned_frll.png" in figures(work) and (work / "figures" / "prior_and_learned_frll.json").is_file()
    # each figure records the weights that made it (tests/notebook/test_figure_weights.py holds committed ones to it)
    made = read_manifest(work / "figures")
    assert made["generated_expressions_demo.png"]["weights"] == weights_stamp([nb03["checkpoint"]])
    assert made["raw_output_demo.png"]["remake"] == "affinekit figures --only 05"


@pytest.fixture(scope="module")
def nb06(demo_env, work):
    return run_notebook("06_experiments", work)


@pytest.mark.slow
def test_06_answers_each_question_with_two_trained_variants(nb06, work):
    assert len(nb06["questions"]) == 4 and all(len(v) == 2 for v in nb06["variants"].values())
    for question, scores in nb06["model_psnr"].items():
        assert all(math.isfinite(v) for v in scores.values()), question
    assert all(math.isfinite(v) for v in nb06["copy_input_psnr"])
    assert len(set(nb06["copy_input_psnr"])) == 1               # the same test sequences for every question
    # the variants really differ: the motion head returns frame 0 exactly, the pixel head draws it
    head = nb06["frame0_error"]["Motion head or the paper's pixel head?"]
    assert head["motion head"] < 1e-5 < 1e-3 < head["pixel head"]
    # the defaults are one arm of three questions: trained once, so the very same scores
    psnr = nb06["model_psnr"]
    defaults = {psnr[q][n] for q, n in zip(nb06["questions"], ("LSGAN", "with lip D", "motion head", "subject split"))}
    assert len(defaults) == 1
    # the paper split trains on the test sequences too: a different model on the same test set
    split = psnr["How much does the paper's split flatter a model?"]
    assert split["paper split"] != split["subject split"] and nb06["test_sequences"] >= 1
    assert {f"experiment_{i}_demo.png" for i in (1, 2, 3, 4)} <= figures(work)
    # the rows every model is measured against: landmark-warp (from the same training subjects) and the
    # motion head before its first step
    ref = nb06["reference_psnr"]
    assert set(ref) == {"copy-input", "landmark-warp", "prior only"} and all(math.isfinite(v) for v in ref.values())
    assert ref["copy-input"] == nb06["copy_input_psnr"][0] and ref["prior only"] != ref["copy-input"]
    assert all(0 <= c <= n == nb06["test_sequences"] for v in nb06["clips"].values() for c, n in v.values())
    assert (work / "figures" / "experiments_demo.json").is_file()
    table = (work / "figures" / "experiments_demo.md").read_text().splitlines()     # the table 06 embeds
    assert len(table) == 2 + 8 + 3 and f"| {psnr[nb06['questions'][0]]['LSGAN']:.2f} |" in table[2]


@pytest.fixture(scope="module")
def nb07(demo_env, work):
    return run_notebook("07_toy", work)


@pytest.mark.slow
def test_07_toy_scores_inferred_intensity_against_the_drawn_truth(nb07, work):
    assert nb07["steps"] == TINY["07_toy"]["STEPS"] and nb07["held_out"] >= 1 and nb07["train_sequences"] >= 1
    for name in ("per_sequence", "pooled", "position", "apex", "field_error_px", "no_motion_px"):
        assert isinstance(nb07[name], float) and math.isfinite(nb07[name]), name
    assert nb07["no_motion_px"] > 0                  # the drawn faces move: there is a field to recover
    assert {"toy_sequence.png", "toy_lambda_vs_truth.png", "toy_decoded.png"} <= figures(work)
    assert (work / "figures" / "toy.json").is_file()


@pytest.fixture(scope="module")
def nb04(demo_env, work, nb03):
    return run_notebook("04_evaluation", work, CHECKPOINT=nb03["checkpoint"], SOURCES="demo")


@pytest.mark.slow
def test_04_table_has_reference_baselines_and_model(nb04, work):
    assert nb04["rows"][:3] == ["real videos", "copy-input", "landmark-warp"]
    # one row per model: the kit's motion head, and the paper's pixel head (the bundled one) beside it
    assert nb04["kinds"][3:] == ["model", "model"] and nb04["videos"] > 0
    assert nb04["rows"][3].endswith("[motion head]") and nb04["rows"][4].endswith("[pixels head]")
    for row in nb04["rows"][1:]:                   # measured rows: finite PSNR/SSIM
        assert math.isfinite(nb04["metrics"][row]["psnr"]) and math.isfinite(nb04["metrics"][row]["ssim"])
    assert nb04["metrics"]["copy-input"]["acd_i"] == 0.0
    assert nb04["markdown_has_quoted"] is True
    table = Path(nb04["table_file"]).read_text()
    assert "| copy-input |" in table and "| landmark-warp |" in table and "Quoted, not measured" in table
    assert sum(nb04["counts"].values()) == nb04["videos"]
    # best and worst galleries never show the same clip: none at all for a single test clip
    shown = min(1, nb04["videos"] // 2)                # GALLERY is 1 at tiny sizes
    assert nb04["gallery"] == [shown, shown] and "per_expression_demo.png" in figures(work)
    assert ({"gallery_best_demo.png", "gallery_worst_demo.png"} <= figures(work)) == bool(shown)
    # the paper protocol reads raw CK+ frames: on the demo data it is skipped, and says so
    assert nb04["paper_protocol"] is None and "protocols_demo.md" not in {p.name for p in (work / "figures").iterdir()}


@pytest.mark.slow
def test_04_paired_table_scores_the_shipped_frll_pairs_beside_baselines(nb04, work):
    assert nb04["paired_data"] == "demo" and nb04["paired_sources"] == ["frll"]
    rows = nb04["paired_rows"]
    assert rows[:2] == ["copy-input", "landmark-warp"] and rows[-1] == "real expression photo"
    assert rows[2].endswith("[motion head]") and rows[3].endswith("[pixels head]")
    keys = nb04["paired_keys"]                     # half of the six shipped people, at most 3 (PAIR_LIMIT)
    assert 2 <= len(keys) <= 3 and all(k.startswith("frll-") and k.endswith("_happy") for k in keys)
    overall = nb04["paired_overall"]
    for row in rows[:-1]:                          # measured rows: finite, positive mouth errors, SSIM in (0, 1]
        s = overall[row]
        assert s["n"] == len(keys) and isinstance(s["mouth_error"], float) and 0 < s["mouth_error"] < 1, row
        assert 0 < s["face_ssim"] <= 1 and 0 < s["mouth_ssim"] <= 1 and s["sharpness"] > 0, row
        assert 0 <= s["two_sample"] <= 1, row         # 2-3 people: a fold each, every mouth held out once
    assert overall["copy-input"]["acd_i"] == 0.0              # the neutral photo is the input
    assert overall["real expression photo"]["mouth_error"] == 0.0
    table = (work / "figures" / "paired_demo.md").read_text()
    assert "| copy-input |" in table and "| landmark-warp |" in table and "| real expression photo |" in table
    assert "#### Source: frll" in table and (work / "figures" / "paired_demo.json").is_file()


def test_figures_params_go_only_to_notebooks_that_declare_them():
    chosen = parse_params(["STEPS=600", "03_training:IMAGE_SIZE=128", "FRAMES=8", "CKPLUS=/data/ck"])
    assert chosen["03_training"] == {"STEPS": 600, "IMAGE_SIZE": 128, "CKPLUS": "/data/ck"}
    assert chosen["04_evaluation"] == {"FRAMES": 8, "CKPLUS": "/data/ck"}
    assert chosen["05_generate_videos"] == {"FRAMES": 8}
    assert "STEPS" not in chosen["01_dataset_exploration"]
    for bad, message in (("NOPE=1", "no notebook declares"), ("STEPS", "expected"), ("09:STEPS=1", "no notebook")):
        with pytest.raises(AffinekitError, match=message):
            parse_params([bad])
    assert select_notebooks(["03", "01"]) == ("01_dataset_exploration", "03_training", "03b_what_l_means")
    assert select_notebooks(["03b"]) == ("03b_what_l_means",)
    assert parse_params(["03:STEPS=300"])["03b_what_l_means"] == {"STEPS": 300} == parse_params(["03:STEPS=300"])["03_training"]
    assert select_notebooks(None) == tuple(NOTEBOOKS)
    with pytest.raises(AffinekitError, match="no such notebook"):
        select_notebooks(["09"])

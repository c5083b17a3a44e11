"""The multi-source judge: whose faces it may use (never the generator's or the apex discriminator's
people), judge-train and judge-test apart by person, and a tiny training run that fits."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from helpers import load_repo_script

from affinekit.data.apex import ck48_roles, ck_subject
from affinekit.data.paths import REPO_ROOT
from affinekit.data.prepared import load_manifest
from affinekit.evaluation.classifier import ExpressionClassifier
from affinekit.evaluation.judge import load_judge
from affinekit.expressions import EXPRESSIONS
from affinekit.models.classifier import JUDGE_LABELS, ClassifierConfig
from affinekit.training.judge import JudgeRecipe, train_judge
from affinekit.training.judge_data import generator_people, judge_roles, read_judge_faces

PREPARED = REPO_ROOT / "prepared"      # where the README prepares the sources (--out prepared/NAME)
SOURCES = ("ck48", "ck128", "frll", "jaffe", "yale", "mead")


def _manifest(folder: Path, entries: list[dict]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "manifest.json").write_text(json.dumps({"config": {}, "sequences": entries, "skipped": []}))
    return folder


def _entry(source: str, subject: str, label: str, kind: str, n: int = 0) -> dict:
    key = f"{subject}_{label}{n}"
    return {"key": key, "file": f"{key}.npz", "subject": subject, "sequence": f"{label}{n}", "label": label,
            "frames": 3 if kind == "apex" else 2, "source": source, "kind": kind}


def _check_roles(folders: list[Path]) -> dict:
    """The rules on real or made-up manifests; returns the roles."""
    roles = judge_roles(folders)
    ck_taught = set().union(*(generator_people(f) for f in folders
                              if any(e.get("source") == "ckplus" for e in load_manifest(f)["sequences"])))
    for (folder, source), people in roles.items():
        assert people and set(people.values()) <= {"train", "test"}
        if source == "ck48":
            entries = [e for e in load_manifest(folder)["sequences"] if e.get("source") == "ck48"]
            ck = ck48_roles(ck_subject(e["subject"]) for e in entries)
            assert all(ck[ck_subject(p)] in ("classifier", "test") for p in people)      # never the discriminator's
            assert all((ck[ck_subject(p)] == "test") == (side == "test") for p, side in people.items())
            assert not {ck_subject(p) for p in people} & ck_taught       # nor CK+ people the generator learns
        else:
            assert not set(people) & generator_people(folder)            # only the generator's validation people
    return roles


def test_the_judge_uses_only_people_the_generator_and_the_discriminator_never_saw(tmp_path):
    ck = [_entry("ck48", f"ck48-S{i:03d}", EXPRESSIONS[i % 7], "apex") for i in range(1, 40)]
    ck += [_entry("ck48", "ck48-S052", "happy", "apex", 1)]           # a CK+ sample person
    frll = [_entry("frll", f"frll-{i:03d}", "happy", "pair") for i in range(20)]
    still = [_entry("yale", f"yale-{i}", label, "pair") for i in range(5) for label in ("happy", "surprise")]
    sample = [_entry("ckplus", subject, "happy", "sequence") for subject in
              ("S052", "S055", "S074", "S106", "S111", "S113", "S124", "S125", "S130", "S132")]
    folders = [_manifest(tmp_path / "ck48", ck), _manifest(tmp_path / "frll", frll),
               _manifest(tmp_path / "yale", still), _manifest(tmp_path / "ck128", sample)]
    roles = _check_roles(folders)
    frll_roles = roles[(str(folders[1]), "frll")]
    assert sorted(frll_roles.values()) == ["test"] * 2 + ["train"] * 2      # 4 validation people, half tested
    assert "ck48-S052" not in roles[(str(folders[0]), "ck48")]             # S052 teaches the generator
    assert set(roles[(str(folders[3]), "ckplus")].values()) == {"test"}     # its validation people: test only
    assert judge_roles(folders) == roles                                    # one draw, deterministic


@pytest.mark.skipif(not all((PREPARED / s / "manifest.json").is_file() for s in SOURCES),
                    reason=f"prepared sources not in {PREPARED} (make them with `affinekit prepare`)")
def test_on_the_prepared_sources_the_judge_people_are_disjoint_from_the_generators():
    roles = _check_roles([PREPARED / s for s in SOURCES])
    people = {(source, p): side for (_, source), group in roles.items() for p, side in group.items()}
    assert {side for side in people.values()} == {"train", "test"}
    assert {source for source, _ in people} >= {"ck48", "frll", "jaffe", "yale"}


def _face(label: int, rng: np.random.Generator) -> np.ndarray:
    """A 32 px colour 'face' whose label is a texture (a small CNN with global pooling reads textures,
    not places): stripes across, stripes down, a checkerboard, diagonals (0-3); plain noise: neutral."""
    yy, xx = np.mgrid[:32, :32] // 4
    pattern = {0: yy % 2, 1: xx % 2, 2: (xx + yy) % 2, 3: ((xx + yy) // 2) % 2}.get(label, np.zeros((32, 32)))
    img = rng.integers(40, 90, (32, 32, 3)) + 140 * pattern[..., None]
    return img.clip(0, 255).astype(np.uint8)


def _prepared_pairs(folder: Path, people: int) -> Path:
    """A still-pair folder: each person a neutral photo and one expression photo (of four labels)."""
    from affinekit.data.prepared import PreparedSequence

    rng, entries = np.random.default_rng(0), []
    folder.mkdir(parents=True)
    for i in range(people):
        label = EXPRESSIONS[i % 4]
        seq = PreparedSequence(f"p{i:02d}_{label}", np.stack([_face(7, rng), _face(i % 4, rng)]),
                               np.zeros((2, 68, 2), np.float32), np.zeros((2, 32, 32), np.uint8),
                               np.zeros((2, 2, 3), np.float32), label, f"p{i:02d}", label, "toy", kind="pair")
        seq.save(folder)
        entries.append({"key": seq.key, "file": f"{seq.key}.npz", "subject": seq.subject, "sequence": label,
                        "label": label, "frames": 2, "source": "toy", "kind": "pair"})
    return _manifest(folder, entries)


def test_a_tiny_judge_learns_toy_faces_and_loads_back_as_evaluation_uses_it(tmp_path):
    folder = _prepared_pairs(tmp_path / "toy", 200)       # the generator's validation fifth: 40 people
    faces = read_judge_faces([folder], size=16, neutral=True, test_fraction=0.5)
    assert len(set(faces.people)) == 40
    assert faces.images.shape[1:] == (16, 16) and set(faces.roles) == {"train", "test"}
    assert not {p for p, r in zip(faces.people, faces.roles) if r == "train"} & \
        {p for p, r in zip(faces.people, faces.roles) if r == "test"}
    assert (faces.labels == JUDGE_LABELS.index("neutral")).sum() == len(faces.labels) // 2
    recipe = JudgeRecipe(size=16, epochs=15, batch_size=16, lr=1e-2, test_fraction=0.5, neutral=True, equalize=False)
    trained = train_judge([folder], recipe, ClassifierConfig(widths=(8, 16)), log=None)
    held_out = trained.report["test"]["all"]
    assert held_out["accuracy"] > 0.8 and held_out["n"] == sum(r == "test" for r in faces.roles)
    assert set(trained.report["test_people"]).isdisjoint(trained.report["train_people"])
    path = tmp_path / "judge.pt"
    ExpressionClassifier(**vars(trained)).save(path)
    judge = load_judge(path)
    assert judge.labels == JUDGE_LABELS and judge.config.size == 16
    test = faces.pick("test")
    crops = np.stack([_face(int(label), np.random.default_rng(5)) for label in test.labels])
    as_model = torch.from_numpy(crops.transpose(0, 3, 1, 2).astype(np.float32) / 127.5 - 1)
    assert np.allclose(judge.probabilities(crops), judge.probabilities(as_model), atol=1e-6)
    expressive = test.labels < len(EXPRESSIONS)
    assert judge.reads(crops[expressive], test.labels[expressive]).mean() > 0.8


def _script(name: str):
    """A script of scripts/ as a module (they are not a package)."""
    return load_repo_script(f"scripts/{name}.py")


def test_the_scripts_train_and_write_weights_evaluation_loads(tmp_path, monkeypatch, capsys):
    """scripts/train_judge.py end to end on a toy folder (in this process: a subprocess spends its time
    importing torch and dlib); scripts/train_classifier.py still imports what it trains with."""
    _prepared_pairs(tmp_path / "toy", 40)
    out = tmp_path / "judge.pt"
    monkeypatch.setattr(sys, "argv", ["train_judge.py", "--prepared", str(tmp_path), "--sources", "toy",
                                      "--epochs", "1", "--size", "16", "--out", str(out)])
    _script("train_judge").main()
    assert "| judge-test |" in capsys.readouterr().out and load_judge(out).config.size == 16
    monkeypatch.setattr(sys, "argv", ["train_judge.py", "--prepared", str(tmp_path), "--sources", "nope"])
    with pytest.raises(SystemExit) as stopped:
        _script("train_judge").main()
    assert stopped.value.code == 2 and "nope" in capsys.readouterr().err
    assert callable(_script("train_classifier").train_classifier)


def test_each_source_teaches_only_among_the_labels_it_holds():
    from affinekit.training.judge import source_label_sets
    labels = np.array([4, 7, 4, 0, 6, 7])
    allowed = source_label_sets(["frll", "frll", "frll", "jaffe", "jaffe", "jaffe"], labels, 8)
    assert allowed[:3].sum(1).tolist() == [2, 2, 2] and allowed[0, [4, 7]].all()
    assert np.array_equal(allowed[3], allowed[5]) and np.flatnonzero(allowed[3]).tolist() == [0, 6, 7]


def test_a_face_whose_only_allowed_label_is_its_own_teaches_nothing():
    """Its softmax runs over one label, so its loss is 0 and no weight moves (weight decay off); without
    the mask the same faces move the weights."""
    from affinekit.training.classifier import ClassifierRecipe, fit_classifier
    from affinekit.models.classifier import ExpressionNet
    faces = np.random.default_rng(0).integers(0, 256, (16, 16, 16), dtype=np.uint8)
    labels = np.arange(16) % 3
    recipe = ClassifierRecipe(epochs=2, batch_size=8, lr=1e-2, weight_decay=0.0)

    def trained(allowed):
        torch.manual_seed(0)
        net = ExpressionNet(ClassifierConfig(size=16, widths=(4, 8), num_labels=3))
        before = [p.detach().clone() for p in net.parameters()]
        fit_classifier(net, faces, labels, recipe, 3, np.random.default_rng(0), None, allowed)
        return max(float((p.detach() - b).abs().max()) for p, b in zip(net.parameters(), before))

    only_own = np.eye(3, dtype=bool)[labels]
    assert trained(only_own) == 0.0 and trained(None) > 1e-3
    with pytest.raises(ValueError, match="own label"):
        fit_classifier(ExpressionNet(ClassifierConfig(size=16, widths=(4, 8), num_labels=3)), faces, labels,
                       recipe, 3, np.random.default_rng(0), None, np.roll(only_own, 1, axis=1))


def test_the_face_oval_greys_the_background_and_the_judge_keeps_it_from_its_recipe(tmp_path):
    from affinekit.models.classifier import face_oval_mask, grey_faces
    mask = face_oval_mask(48)
    assert mask[27, 24] and not mask[0, 0] and not mask[47, 47] and 0.4 < mask.mean() < 0.6
    faces = np.random.default_rng(1).integers(0, 256, (3, 48, 48), dtype=np.uint8)
    masked = grey_faces(faces, 48, equalize=False, oval=True)
    assert (masked[:, ~mask] == 128).all() and np.array_equal(masked[:, mask], faces[:, mask])
    assert (grey_faces(faces, 48, equalize=True, oval=True)[:, ~mask] == 128).all()
    folder = _prepared_pairs(tmp_path / "toy", 40)
    recipe = JudgeRecipe(size=16, epochs=1, batch_size=16, test_fraction=0.5, face_oval=True, equalize=False)
    path = tmp_path / "judge.pt"
    ExpressionClassifier(**vars(train_judge([folder], recipe, ClassifierConfig(widths=(4, 8)), log=None))).save(path)
    judge = load_judge(path)
    assert judge.oval
    crops = np.random.default_rng(2).integers(0, 256, (4, 16, 16, 3), dtype=np.uint8)
    changed_outside = crops.copy()
    changed_outside[:, ~face_oval_mask(16)] = 0
    assert np.allclose(judge.probabilities(crops), judge.probabilities(changed_outside), atol=1e-6)


def test_style_jitter_changes_image_quality_only_when_the_recipe_asks():
    from affinekit.models.classifier import ExpressionNet
    from affinekit.training.classifier import ClassifierRecipe, fit_classifier, jitter_style
    faces = np.random.default_rng(2).integers(0, 256, (40, 48, 48), dtype=np.uint8)
    jittered = jitter_style(faces, np.random.default_rng(0))
    assert jittered.shape == faces.shape and jittered.dtype == np.uint8
    changed = (jittered != faces).any(axis=(1, 2))
    assert 0.5 < changed.mean() < 1.0       # each effect is drawn per face; some faces keep all three off
    assert np.array_equal(jittered, jitter_style(faces, np.random.default_rng(0)))
    # blur takes detail away: a smoothed noise face has less local contrast than the input
    blurred = [i for i in range(40) if changed[i]]
    assert np.abs(np.diff(jittered[blurred].astype(float), axis=2)).mean() != \
        np.abs(np.diff(faces[blurred].astype(float), axis=2)).mean()
    labels = np.arange(40) % 3

    def weights(recipe, **jitter):
        torch.manual_seed(0)
        net = ExpressionNet(ClassifierConfig(size=48, widths=(4, 8), num_labels=3))
        fit_classifier(net, faces, labels, recipe, 3, np.random.default_rng(0), None, **jitter)
        return torch.cat([p.detach().ravel() for p in net.parameters()])

    plain = ClassifierRecipe(epochs=1, batch_size=20)             # the CK+48 classifier's call: no jitter argument
    off = JudgeRecipe(epochs=1, batch_size=20, lr=plain.lr, weight_decay=plain.weight_decay)
    on = JudgeRecipe(epochs=1, batch_size=20, lr=plain.lr, weight_decay=plain.weight_decay, style_jitter=True)
    # as train_judge passes it: the recipe's switch
    assert torch.equal(weights(plain), weights(off, jitter=off.style_jitter))
    assert not torch.equal(weights(off, jitter=off.style_jitter), weights(on, jitter=on.style_jitter))


def test_generator_roles_name_only_the_people_the_generator_trains_on(tmp_path):
    from affinekit.training.judge_data import generator_roles, read_faces
    folder = _prepared_pairs(tmp_path / "toy", 30)
    roles = generator_roles([folder])
    assert list(roles) == [(str(folder), "toy")]
    assert set(roles[(str(folder), "toy")]) == generator_people(folder)
    assert not set(roles[(str(folder), "toy")]) & {p.split("/")[1] for p in
                                                   read_judge_faces([folder], size=16).people}
    faces = read_faces(roles, size=16, neutral=False)
    assert set(faces.roles) == {"generator"} and len(faces.labels) == len(roles[(str(folder), "toy")])
    assert faces.subset([2, 0]).people == [faces.people[2], faces.people[0]]
    apex = _manifest(tmp_path / "apex", [_entry("ck48", "ck48-S010", "happy", "apex")])
    assert generator_roles([apex]) == {}


def test_the_scores_table_shows_each_group_and_label():
    from affinekit.training.judge import scores_table
    groups = {"all": {"n": 4, "people": 2, "accuracy": 0.75, "balanced_accuracy": 0.5,
                      "per_class": {"happy": 1.0, "anger": 0.0}}}
    table = scores_table(groups, ["anger", "happy", "surprise"], head="real photos").splitlines()
    assert table[0] == "| real photos | faces | people | accuracy | balanced | anger | happy | surprise |"
    assert table[2] == "| all | 4 | 2 | 0.750 | 0.500 | 0.00 | 1.00 |  |"


def test_the_judge_ceiling_benchmark_reads_the_generators_people_and_names_a_missing_folder(tmp_path, capsys):
    _prepared_pairs(tmp_path / "toy", 30)
    judge = tmp_path / "judge.pt"
    recipe = JudgeRecipe(size=16, epochs=1, batch_size=16, test_fraction=0.5, equalize=False)
    ExpressionClassifier(**vars(train_judge([tmp_path / "toy"], recipe, ClassifierConfig(widths=(4, 8)),
                                            log=None))).save(judge)
    bench = load_repo_script("benchmarks/judge_ceiling.py")
    assert bench.main(["--prepared", str(tmp_path), "--sources", "toy", "--judge", str(judge)]) == 0
    out = capsys.readouterr().out
    assert "| real photos |" in out and "| toy |" in out and "read as neutral: toy" in out
    with pytest.raises(FileNotFoundError, match="nope"):
        bench.main(["--prepared", str(tmp_path), "--sources", "nope", "--judge", str(judge)])

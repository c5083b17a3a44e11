"""The paired protocol: mouth error after a similarity fit, the mouth box, sharpness, and a run on a
tiny prepared folder of still pairs made from the astronaut photo."""
from __future__ import annotations

import json

import cv2
import numpy as np
import pytest
from helpers import load_repo_script, write_prepared

from affinekit.cli import main as cli_main
from affinekit.config import DataConfig, to_dict
from affinekit.data.faces import FaceAligner
from affinekit.data.lips import lip_mask
from affinekit.data.prepared import PreparedSequence, write_manifest
from affinekit.errors import AffinekitError
from affinekit.evaluation import metrics
from affinekit.evaluation.baselines import piecewise_affine_warp
from affinekit.evaluation.mouth import inter_ocular, mouth_box, mouth_error, points_box
from affinekit.evaluation.paired import pair_keys, paired_protocol
from affinekit.evaluation.judge import load_judge
from affinekit.evaluation.paired_table import REAL_PHOTO
from affinekit.evaluation.two_sample import two_sample_test
from affinekit.training.two_sample import fit_mouth_probe


def _similar(points: np.ndarray, angle: float, scale: float, shift: tuple[float, float]) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    return scale * points @ np.array([[c, -s], [s, c]]).T + np.asarray(shift)


@pytest.fixture
def landmarks() -> np.ndarray:
    return np.random.default_rng(0).normal(64, 15, (68, 2))


def test_a_face_only_moved_turned_and_scaled_has_no_mouth_error(landmarks):
    reference = _similar(landmarks, 0.3, 1.7, (12.0, -5.0))
    assert mouth_error(landmarks, reference) == pytest.approx(0.0, abs=1e-5)


def test_a_mouth_shifted_by_a_tenth_of_the_eye_distance_scores_a_tenth(landmarks):
    reference = _similar(landmarks, -0.2, 0.8, (3.0, 4.0))
    direction = np.array([0.6, 0.8])                      # unit length
    reference[48:68] += 0.1 * inter_ocular(reference) * direction
    assert mouth_error(landmarks, reference) == pytest.approx(0.1, abs=1e-5)


def test_mouth_box_grows_by_its_margin_and_stays_inside_the_image():
    points = np.zeros((68, 2))
    points[48:68] = np.column_stack([np.linspace(40, 60, 20), np.linspace(80, 90, 20)])
    assert mouth_box(points, (128, 128, 3)) == (35, 77, 66, 94)
    assert mouth_box(points, (128, 128), margin=0.0) == (40, 80, 61, 91)
    assert mouth_box(points + [70, 30], (128, 128))[2:] == (128, 124)   # clipped at the right edge
    with pytest.raises(ValueError):
        points_box(points[48:68] + 500, (128, 128))


def test_sharpness_ratio_is_one_for_an_image_and_below_one_when_blurred(face_photo):
    mouth = face_photo[300:380, 200:320]
    assert metrics.sharpness_ratio(mouth, mouth) == pytest.approx(1.0)
    assert metrics.sharpness_ratio(cv2.GaussianBlur(mouth, (7, 7), 2.0), mouth) < 0.5
    grey = cv2.cvtColor(mouth, cv2.COLOR_RGB2GRAY)
    assert metrics.laplacian_variance(grey) == pytest.approx(metrics.laplacian_variance(mouth), rel=0.01)
    assert np.isnan(metrics.sharpness_ratio(mouth, np.full((9, 9), 7.0)))


# -- a tiny prepared folder of still pairs --------------------------------------------------------
def _smile(image: np.ndarray, points: np.ndarray) -> np.ndarray:
    """The photo with its mouth corners pulled up and out by 0.12 inter-ocular distances."""
    moved = points.astype(np.float64).copy()
    d = 0.12 * inter_ocular(points)
    moved[48] += [-d, -d]
    moved[54] += [d, -d]
    moved[[49, 53, 60, 64]] += [[-d / 2, -d / 2], [d / 2, -d / 2], [-d / 2, -d / 2], [d / 2, -d / 2]]
    return piecewise_affine_warp(image, points.astype(np.float64), moved)


def _people(photo: np.ndarray) -> list[np.ndarray]:
    """Four 'people': the photo, mirrored, and both turned and rescaled a little."""
    h, w = photo.shape[:2]
    turn = cv2.getRotationMatrix2D((w / 2, h / 2), 6.0, 0.9)
    turned = cv2.warpAffine(photo, turn, (w, h), borderMode=cv2.BORDER_REFLECT)
    return [photo, photo[:, ::-1].copy(), turned, turned[:, ::-1].copy()]


@pytest.fixture(scope="module")
def pairs_dir(tmp_path_factory):
    skimage_data = pytest.importorskip("skimage.data")
    out = tmp_path_factory.mktemp("pairs")
    aligner = FaceAligner(size=128)
    entries = []
    for i, image in enumerate(_people(skimage_data.astronaut())):
        points = aligner.landmarks(image, f"person {i}")
        crops, marks, transforms = [], [], []
        for frame in (image, _smile(image, points)):
            crop, lm, M = aligner.align(frame, f"person {i}")
            crops.append(crop)
            marks.append(lm)
            transforms.append(M)
        source = ("frll", "yale")[i % 2]
        subject, key = f"{source}-{i:03d}", f"{source}-{i:03d}_smile"
        PreparedSequence(key, np.stack(crops), np.stack(marks), np.stack([lip_mask(m, 128) for m in marks]),
                         np.stack(transforms), "happy", subject, "smile", source).save(out)
        entries.append({"key": key, "file": f"{key}.npz", "subject": subject, "sequence": "smile",
                        "label": "happy", "frames": 2, "source": source, "kind": "pair"})
    write_manifest(out, {"config": to_dict(DataConfig(crop_size=128, channels=3)), "sequences": entries,
                         "skipped": []})
    return out


@pytest.fixture(scope="module")
def table(pairs_dir):
    return paired_protocol([pairs_dir], log=lambda _: None, mouth_fit=fit_mouth_probe, judge=load_judge())


def _hand_mouth_error(generated: np.ndarray, reference: np.ndarray) -> float:
    """The mouth error computed another way: the similarity x' = a x - b y + tx, y' = b x + a y + ty
    solved as a linear least-squares problem."""
    g, r = generated[27:48], reference[27:48]
    ones, zeros = np.ones(len(g)), np.zeros(len(g))
    A = np.vstack([np.column_stack([g[:, 0], -g[:, 1], ones, zeros]),
                   np.column_stack([g[:, 1], g[:, 0], zeros, ones])])
    a, b, tx, ty = np.linalg.lstsq(A, np.concatenate([r[:, 0], r[:, 1]]), rcond=None)[0]
    m = generated[48:68]
    moved = np.column_stack([a * m[:, 0] - b * m[:, 1] + tx, b * m[:, 0] + a * m[:, 1] + ty])
    eyes = reference[36:42].mean(0), reference[42:48].mean(0)
    return float(np.linalg.norm(moved - reference[48:68], axis=1).mean() / np.linalg.norm(eyes[1] - eyes[0]))


def test_copy_inputs_mouth_error_is_the_neutral_photos_own(table, pairs_dir):
    from affinekit.data.prepared import load_sequence

    copies = [r for r in table.items if r["row"] == "copy-input"]
    assert len(copies) == 2 and {r["source"] for r in copies} == {"frll", "yale"}   # one validation person each
    aligner = FaceAligner()
    for r in copies:
        frames = load_sequence(pairs_dir, r["key"]).frames
        assert not r["fallback"]
        by_hand = _hand_mouth_error(aligner.landmarks(frames[0]).astype(np.float64),
                                    aligner.landmarks(frames[1]).astype(np.float64))
        assert r["mouth_error"] == pytest.approx(by_hand, abs=1e-4)
        assert r["mouth_error"] > 0.03                      # the smile moved the corners
        assert r["acd_i"] == pytest.approx(0.0, abs=1e-6)


def test_the_table_has_every_row_and_group(table):
    assert table.rows == ["copy-input", "landmark-warp", REAL_PHOTO]
    overall = table.overall
    assert overall["landmark-warp"]["mouth_error"] < overall["copy-input"]["mouth_error"]
    assert 0 < overall["copy-input"]["mouth_ssim"] < 1 and 0 < overall["copy-input"]["face_ssim"] < 1
    assert overall["copy-input"]["n"] == 2 and overall["copy-input"]["fallbacks"] == 0
    text = table.to_markdown()
    for words in ("mouth error (IOD)", "mouth sharpness", "mouth two-sample acc.", "#### Source: frll",
                  "#### Source: yale", "#### Expression: happy", "Detector floor", "Wilson interval"):
        assert words in text
    for row in ("copy-input", "landmark-warp"):        # two people: one held out in each of two folds
        s = overall[row]
        assert s["two_sample_patches"] == 4 and s["two_sample_low"] <= s["two_sample"] <= s["two_sample_high"]
        assert s["two_sample"] in (0.0, 0.25, 0.5, 0.75, 1.0)
    assert np.isnan(overall[REAL_PHOTO]["two_sample"]) and overall[REAL_PHOTO]["two_sample_patches"] == 0
    data = json.loads(table.to_json())
    assert data["by_source"]["yale"]["landmark-warp"]["n"] == 1
    assert data["by_source"]["yale"]["copy-input"]["two_sample_patches"] == 2
    assert data["overall"]["copy-input"]["mouth_error"] == pytest.approx(overall["copy-input"]["mouth_error"])


def test_the_judge_column_counts_what_the_judge_reads(table, pairs_dir):
    """Copy-input's apex is the neutral crop itself and the real row's is the expression photo: the
    judge column is the share of those the bundled judge reads as the pair's label."""
    from affinekit.evaluation.paired import load_pair

    judge = load_judge()
    items = [load_pair(pairs_dir, k) for k in table.config["keys"]]
    labels = [it.label for it in items]
    overall = table.overall
    assert overall["copy-input"]["judge_acc"] == pytest.approx(judge.reads(np.stack([it.x0 for it in items]),
                                                                           labels).mean())
    assert overall[REAL_PHOTO]["judge_acc"] == pytest.approx(judge.reads(np.stack([it.references[0] for it in items]),
                                                                         labels).mean())
    assert "judge acc." in table.to_markdown() and any("Judge acc.:" in n for n in table.notes)


def test_cli_scores_pairs_with_the_bundled_model(pairs_dir, tmp_path, capsys):
    out = tmp_path / "paired.json"
    assert cli_main(["evaluate", "--protocol", "paired", "--data", str(pairs_dir), "--all-keys",
                     "--json", str(out)]) == 0
    data = json.loads(out.read_text())
    assert len(data["config"]["keys"]) == 4
    assert [r for r in data["rows"] if r.startswith("model: ")]
    assert "Paired protocol" in capsys.readouterr().out


def test_a_folder_without_pairs_is_one_line_naming_it(tmp_path, capsys):
    folder = write_prepared(tmp_path / "sequences", n=3, size=16)
    with pytest.raises(AffinekitError, match="still-pair set"):
        pair_keys(folder)
    assert cli_main(["evaluate", "--protocol", "paired", "--data", f"{folder},{folder}"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and str(folder) in err and "affinekit prepare" in err


def test_several_references_are_averaged(pairs_dir):
    from affinekit.evaluation.paired import load_pair, score_pairs

    item = load_pair(pairs_dir, pair_keys(pairs_dir)[0])
    # a clip's apex frames: the neutral crop itself twice, so copy-input matches both exactly
    item.references = np.stack([item.x0, item.x0])
    item.reference_landmarks = np.stack([item.x0_landmarks, item.x0_landmarks])
    records, info = score_pairs({}, [item], log=lambda _: None)
    copy = next(r for r in records if r["row"] == "copy-input")
    assert copy["mouth_error"] == pytest.approx(0.0, abs=1e-6) and info["references"] == 2
    assert copy["face_ssim"] == pytest.approx(1.0) and copy["sharpness"] == pytest.approx(1.0)


def test_the_two_sample_test_sees_one_mouth_box_per_pair_grouped_by_person(pairs_dir, monkeypatch):
    from affinekit.evaluation import paired
    from affinekit.evaluation.mouth import cut

    calls = []

    def spy(real, generated, real_people, generated_people, **options):
        result = two_sample_test(real, generated, real_people, generated_people, **options)
        calls.append((real, generated, real_people, generated_people, result))
        return result

    monkeypatch.setattr(paired, "two_sample_test", spy)
    items = [paired.load_pair(pairs_dir, k) for k in pair_keys(pairs_dir)]
    records, _ = paired.score_pairs({}, items, log=lambda _: None, aligner=FaceAligner(), mouth_fit=fit_mouth_probe)
    (real, generated, real_people, generated_people, result), = calls        # copy-input only
    assert real_people == generated_people == [f"{it.source}/{it.subject}" for it in items]
    people = real_people + generated_people
    for person in set(people):                          # never one person on both sides of a split
        assert len({f for p, f in zip(people, result.fold) if p == person}) == 1
    for it, r, g in zip(items, real, generated):        # copy-input's 'generated' mouth is the neutral one's
        box = mouth_box(FaceAligner().landmarks(it.references[0]), it.references[0].shape)
        assert np.array_equal(r, cut(it.references[0], box)) and np.array_equal(g, cut(it.x0, box))
    told = sum(r["two_sample_correct"] for r in records if r["row"] == "copy-input")
    assert told == int(result.correct.sum()) and result.n == 2 * len(items)


def test_all_keys_belongs_to_the_paired_protocol(pairs_dir, capsys):
    assert cli_main(["evaluate", "--data", str(pairs_dir), "--all-keys"]) == 2
    assert "--protocol paired" in capsys.readouterr().err


def test_paired_targets_pair_a_model_with_its_refiner_off_row_by_name(repo_root):
    targets = load_repo_script("benchmarks/paired_targets.py")
    model = "model: weights/affinekit_default.pt [motion head]"
    overall = {model: {"sharpness": 0.7, "two_sample": 0.8, "two_sample_low": 0.7, "two_sample_high": 0.88,
                       "two_sample_patches": 132, "mouth_ssim": 0.5}}
    sharp, realism, ssim = targets.mouth_realism(overall, model, targets.refiner_off_row(list(overall), model))
    assert sharp.endswith(": met") and realism.endswith(": MISSED") and "not measured" in ssim
    off = f"{model} (refiner off)"
    overall[off] = dict(overall[model], mouth_ssim=0.55, two_sample=0.97)
    lines = targets.mouth_realism(overall, model, targets.refiner_off_row(list(overall), model))
    assert lines[2].endswith(": MISSED") and "0.97" in lines[3]       # SSIM not above the refiner-off row's

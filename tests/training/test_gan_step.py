"""GANStep: the step as one object (G, discriminators, optimizers), its state, and old checkpoints' names."""
from __future__ import annotations

import copy
import json

import numpy as np
import pytest
import torch
from helpers import BlobSequences, blob_apex_pool

from affinekit.config import ModelConfig, TrainConfig, to_dict
from affinekit.data.apex import ApexPool
from affinekit.training.expression_term import (expression_input, expression_logits, no_expression_loss,
                                                 warm_classifier)
from affinekit.training.gan_step import GANStep
from affinekit.training.loop import Trainer
from affinekit.weights.checkpoint import atomic_save, safe_load

TINY_MODEL = ModelConfig(image_size=32, channels=1, base_width=8, depth=3, max_width=32, disc_width=8)


def tiny_train(**changes) -> TrainConfig:
    base = dict(steps=6, batch_size=4, checkpoint_every=3, sample_every=0, lambda_warmup=4, device="cpu")
    return TrainConfig(**{**base, **changes})


def losses(run) -> list[dict]:
    rows = [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines() if line.strip()]
    return [{k: v for k, v in r.items() if k != "step_time"} for r in rows]


def test_the_step_is_one_object_whose_state_carries_a_run_on(tmp_path):
    """Two GANSteps: one steps twice; the other takes its state after step 1 and steps once. They agree."""
    data = Trainer(TINY_MODEL, tiny_train(), BlobSequences(), tmp_path / "a")
    a, b = GANStep(TINY_MODEL, tiny_train(), torch.device("cpu")), GANStep(TINY_MODEL, tiny_train(), torch.device("cpu"))
    a.step(data.batches[1], 1)
    b.load_state_dict(copy.deepcopy(a.state_dict()))     # as a checkpoint holds it: not a's live tensors
    assert a.step(data.batches[2], 2) == b.step(data.batches[2], 2)
    # the frame PatchGAN has one name: its module, its weight and its logs
    logs = a.step(data.batches[3], 3)
    assert "frame" in a.d and {"G_frame", "D_frame_real", "D_frame_fake"} <= set(logs)
    assert not {"G_GAN", "D_real", "D_fake"} & set(logs)


def test_the_clamp_of_the_driving_intensity_is_train_lambda_range(tmp_path):
    """A wild projection (l = 5) drives G at the top of train.lambda_range, here 1."""
    data = Trainer(TINY_MODEL, tiny_train(), BlobSequences(), tmp_path / "a")
    batch = data.batches[1]
    step = GANStep(TINY_MODEL, tiny_train(lambda_range=(0.0, 1.0)), torch.device("cpu"))
    step.generator.project = lambda *a: torch.full(batch["positions"].shape, 5.0)     # a wild early projection
    seen = []
    decode = step.generator.decode_motion
    step.generator.decode_motion = lambda base, direction, levels, label: seen.append(levels) or decode(
        base, direction, levels, label)
    step.g_step(batch["x0"].float(), batch["label"], batch["targets"].float(), batch["positions"].float(), 0.0)
    assert float(seen[0].max()) == 1.0 and float(seen[0].min()) == 0.0


def test_a_checkpoint_with_the_old_names_resumes_exactly(tmp_path):
    """A checkpoint from before the rename (d["patch"], train.w_gan) continues as if never renamed."""
    straight, split = tmp_path / "straight", tmp_path / "split"
    Trainer(TINY_MODEL, tiny_train(), BlobSequences(), straight).fit()
    Trainer(TINY_MODEL, tiny_train(steps=3), BlobSequences(), split).fit()
    last = split / "checkpoints" / "last.pt"
    state = safe_load(last)
    state["discriminators"] = {k.replace("frame.", "patch.", 1) if k.startswith("frame.") else k: v
                               for k, v in state["discriminators"].items()}
    train = to_dict(tiny_train(steps=3))
    train["w_gan"] = train.pop("w_frame")
    train.pop("lambda_range")          # older configs have no lambda_range: the default is the old constant
    state["train_config"] = train
    atomic_save(state, last)
    assert any(k.startswith("patch.") for k in safe_load(last)["discriminators"])
    Trainer(TINY_MODEL, tiny_train(), BlobSequences(), split).fit(resume=True)
    assert losses(straight) == losses(split)


def test_the_learning_rates_hold_then_fall_linearly_with_lr_decay_from(tmp_path):
    """train.lr_decay_from=0.5 over 10 steps: full rates for steps 1-5, then 5/6, 4/6 ... 1/6 at step 10;
    the optimizers step at those rates and the log records the factor. 1 (the default) stays constant."""
    data = Trainer(TINY_MODEL, tiny_train(), BlobSequences(), tmp_path / "a")
    cfg = tiny_train(steps=10, lr_decay_from=0.5, lr_g=1e-3, lr_d=4e-4)
    step = GANStep(TINY_MODEL, cfg, torch.device("cpu"))
    assert [round(step.lr_factor(s) * 6) for s in range(1, 11)] == [6, 6, 6, 6, 6, 5, 4, 3, 2, 1]
    logs = step.step(data.batches[8], 8)
    assert logs["lr_factor"] == 3 / 6
    assert step.opt_g.param_groups[0]["lr"] == 1e-3 * 3 / 6 and step.opt_d.param_groups[0]["lr"] == 4e-4 * 3 / 6
    constant = GANStep(TINY_MODEL, tiny_train(steps=10), torch.device("cpu"))
    assert {constant.lr_factor(s) for s in range(1, 11)} == {1.0}


def test_lr_decay_from_outside_the_run_is_refused():
    for wrong in (-0.1, 1.5):
        with pytest.raises(ValueError, match="train.lr_decay_from"):
            tiny_train(lr_decay_from=wrong)


def test_the_weight_average_follows_the_trained_weights_at_its_decay(tmp_path):
    """train.average_decay=0.9: after one update every averaged weight is 0.9 old + 0.1 new, the prior is
    the trained one's, and the trainer scores, samples and exports the average, not the trained weights."""
    cfg = tiny_train(steps=2, average_decay=0.9)
    trainer = Trainer(TINY_MODEL, cfg, BlobSequences(), tmp_path / "run")
    before = [p.detach().clone() for p in trainer.model.generator.parameters()]
    trainer.fit_prior()
    assert trainer.generator is trainer.model.average
    assert torch.equal(trainer.model.average.prior, trainer.model.generator.prior)
    trainer.model.step(trainer.batches[1], 1)
    after = list(trainer.model.generator.parameters())
    moved = [i for i, (b, a) in enumerate(zip(before, after)) if not torch.equal(b, a)]
    assert moved     # the update changed the trained weights, so the average is not simply a copy
    for b, a, avg in zip(before, after, trainer.model.average.parameters()):
        assert torch.allclose(avg, 0.9 * b + 0.1 * a.detach(), atol=1e-6)
    # without averaging the trainer's generator is the trained one
    plain = Trainer(TINY_MODEL, tiny_train(steps=2), BlobSequences(), tmp_path / "plain")
    assert plain.model.average is None and plain.generator is plain.model.generator


def test_a_run_with_a_weight_average_resumes_it_and_exports_it(tmp_path):
    """Stopped at step 3 and resumed, an averaging run logs and ends exactly as an uninterrupted one; its
    generator.pt (and load_generator on its checkpoint) holds the average."""
    from affinekit.weights.checkpoint import load_generator
    straight, split = tmp_path / "straight", tmp_path / "split"
    done = Trainer(TINY_MODEL, tiny_train(average_decay=0.5), BlobSequences(), straight).fit()
    Trainer(TINY_MODEL, tiny_train(steps=3, average_decay=0.5), BlobSequences(), split).fit()
    resumed = Trainer(TINY_MODEL, tiny_train(average_decay=0.5), BlobSequences(), split).fit(resume=True)
    assert losses(straight) == losses(split)
    for a, b in zip(done.generator.state_dict().values(), resumed.generator.state_dict().values()):
        assert torch.equal(a, b)
    exported, _ = load_generator(straight / "generator.pt")
    from_checkpoint, _ = load_generator(straight / "checkpoints" / "last.pt")
    for name, value in done.model.average.state_dict().items():
        assert torch.equal(exported.state_dict()[name], value) and torch.equal(from_checkpoint.state_dict()[name], value)
    trained = done.model.generator.state_dict()
    assert any(not torch.equal(trained[n], v) for n, v in done.model.average.state_dict().items())


def test_average_decay_outside_zero_to_one_is_refused():
    for wrong in (-0.1, 1.0):
        with pytest.raises(ValueError, match="train.average_decay"):
            tiny_train(average_decay=wrong)


def test_the_expression_classifier_reads_the_warp_alone_or_the_frame(tmp_path):
    """train.w_expression > 0 logs G_expression and D_expression; read on the warp, its gradient reaches the
    field and not the residual (it cannot teach the residual to paint for it); read on the frame, both."""
    for reads in ("warp", "frame"):
        cfg = tiny_train(w_expression=1.0, expression_reads=reads)
        batch = Trainer(TINY_MODEL, cfg, BlobSequences(), tmp_path / reads).batches[1]
        step = GANStep(TINY_MODEL, cfg, torch.device("cpu"), apex_pool=blob_apex_pool())
        x0 = batch["x0"].float()
        _, fake, _, flow, _, _, (whole_flow, _, residual) = step.g_step(x0, batch["label"], batch["targets"].float(),
                                                              batch["positions"].float(), 0.0)
        logits = expression_logits(step.d["expression"], expression_input(reads, x0, flow, fake[:, -1]))
        term = torch.nn.functional.cross_entropy(logits, batch["label"])
        grads = torch.autograd.grad(term, [whole_flow, residual], allow_unused=True)
        assert grads[0] is not None and float(grads[0].abs().sum()) > 0, reads
        to_residual = 0.0 if grads[1] is None else float(grads[1].abs().sum())
        assert (to_residual == 0.0) == (reads == "warp"), (reads, to_residual)
        logs = step.step(batch, 1)
        assert {"G_expression", "D_expression", "expression_real_acc", "expression_fake_acc"} <= set(logs)


def test_the_no_expression_loss_is_log_k_at_uniform_and_more_elsewhere():
    """Cross-entropy against the uniform distribution: log(labels) for equal logits (by hand: -mean of
    log(1/4) = log 4), more for a confident reading, and its gradient pushes a confident reading back."""
    flat = torch.zeros(3, 4)
    assert float(no_expression_loss(flat)) == pytest.approx(np.log(4))
    sure = torch.tensor([[4.0, 0.0, 0.0, 0.0]], requires_grad=True)
    loss = no_expression_loss(sure)
    assert float(loss.detach()) > np.log(4) + 0.5
    loss.backward()
    assert float(sure.grad[0, 0]) > 0 > float(sure.grad[0, 1])


def test_the_classifier_learns_generated_apexes_as_no_expression_when_asked(tmp_path):
    """train.expression_fakes > 0: the classifier's step also reads the generated apexes and logs
    D_expression_fake; at 0 (the default) it reads real apex faces only, as before."""
    for fakes in (0.0, 1.0):
        cfg = tiny_train(w_expression=1.0, expression_reads="frame", expression_fakes=fakes)
        batch = Trainer(TINY_MODEL, cfg, BlobSequences(), tmp_path / str(fakes)).batches[1]
        step = GANStep(TINY_MODEL, cfg, torch.device("cpu"), apex_pool=blob_apex_pool())
        logs = step.step(batch, 1)
        assert ("D_expression_fake" in logs) == (fakes > 0), fakes
        if fakes:
            assert float(logs["D_expression_fake"]) >= np.log(TINY_MODEL.num_labels) - 1e-4
    with pytest.raises(ValueError, match="train.expression_fakes"):
        tiny_train(expression_fakes=-1.0)


def test_without_its_weight_the_expression_classifier_costs_nothing(tmp_path):
    """At train.w_expression = 0 (the default) the step neither trains nor asks the classifier, and the
    other four discriminators start from the weights they had before it was added (it is built last)."""
    data = Trainer(TINY_MODEL, tiny_train(), BlobSequences(), tmp_path)
    step = GANStep(TINY_MODEL, tiny_train(), torch.device("cpu"), apex_pool=blob_apex_pool())
    logs = step.step(data.batches[1], 1)
    assert not {"G_expression", "D_expression"} & set(logs)
    assert all(p.grad is None for p in step.discriminators["expression"].parameters())
    assert list(step.discriminators)[-1] == "expression"


def test_the_classifier_warm_up_learns_the_apex_faces_labels():
    """Two kinds of real apex face, a bright and a dark one: 200 warm-up steps tell them apart."""
    rng = np.random.default_rng(0)
    bright = rng.integers(150, 255, (20, 32, 32, 1), dtype=np.uint8)
    dark = rng.integers(0, 100, (20, 32, 32, 1), dtype=np.uint8)
    pool = ApexPool(np.concatenate([bright, dark]), np.array([3] * 20 + [4] * 20), [f"k{i}" for i in range(40)], 1)
    step = GANStep(TINY_MODEL, tiny_train(w_expression=1.0), torch.device("cpu"), apex_pool=pool)
    accuracy = warm_classifier(step.discriminators["expression"], pool, 200, 32, 0, torch.device("cpu"), batch=16)
    assert accuracy > 0.9
    assert np.isnan(GANStep(TINY_MODEL, tiny_train(), torch.device("cpu")).warm_expression(10))


def test_a_checkpoint_from_before_the_expression_classifier_resumes(tmp_path):
    """A state without the classifier's weights and optimiser (every run before 8 Dec) loads: opt_d holds the
    four discriminators' parameters as then, and the classifier starts fresh."""
    data = Trainer(TINY_MODEL, tiny_train(), BlobSequences(), tmp_path / "a")
    a = GANStep(TINY_MODEL, tiny_train(), torch.device("cpu"))
    a.step(data.batches[1], 1)
    state = copy.deepcopy(a.state_dict())
    del state["opt_expression"]
    state["discriminators"] = {k: v for k, v in state["discriminators"].items() if not k.startswith("expression.")}
    four = sum(1 for name, m in a.discriminators.items() if name != "expression" for _ in m.parameters())
    assert len(state["opt_d"]["param_groups"][0]["params"]) == four
    b = GANStep(TINY_MODEL, tiny_train(), torch.device("cpu"))
    b.load_state_dict(state)
    assert a.step(data.batches[2], 2) == b.step(data.batches[2], 2)

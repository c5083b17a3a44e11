"""The batch of a training step: drawn from (seed, step, rank) alone, collated, resized to the model."""
from __future__ import annotations

from typing import Any, Sequence

import torch

from affinekit.errors import AffinekitError
from affinekit.io.images import to_network_size
from affinekit.seeds import seeded, step_seed


class StepBatches(torch.utils.data.Dataset):
    """`StepBatches(...)[step]` is this rank's share of step `step`'s batch, collated.

    Indexing by step (not iterating an epoch) is what makes resume exact: the
    batch depends on (seed, step, rank) only, in the main process or a worker.
    The global batch of `batch_size` distinct sequences (with replacement only
    when the data set is smaller; drawn in proportion to `weights` when given)
    is split across ranks like DistributedSampler.
    """

    def __init__(self, dataset: Any, batch_size: int, image_size: int, seed: int, rank: int = 0, world: int = 1,
                 weights: Any = None):
        if batch_size < world:
            raise AffinekitError(f"train.batch_size={batch_size} is smaller than the {world} processes; "
                                 "each needs at least one sequence per step")
        self.dataset, self.batch_size, self.image_size = dataset, batch_size, image_size
        self.seed, self.rank, self.world = seed, rank, world
        # balanced sampling (SequenceDataset.sampling_weights): items drawn in proportion to these
        self.weights = None if weights is None else torch.as_tensor(weights, dtype=torch.float64)

    def __len__(self) -> int:
        return 2 ** 62

    def indices(self, step: int) -> list[int]:
        """Dataset indices of this rank's part of step `step` (same draw on every rank)."""
        g = torch.Generator().manual_seed(step_seed(self.seed, step, 0))
        n = len(self.dataset)
        if self.weights is not None:
            # with replacement: without, a rare expression's few items could not fill its share
            return torch.multinomial(self.weights, self.batch_size, replacement=True,
                                     generator=g)[self.rank::self.world].tolist()
        if n >= self.batch_size:
            idx = torch.randperm(n, generator=g)[: self.batch_size]
        else:
            idx = torch.randint(n, (self.batch_size,), generator=g)
        return idx[self.rank::self.world].tolist()

    def __getitem__(self, step: int) -> dict[str, Any]:
        with seeded(step_seed(self.seed, step, 1 + self.rank)):
            items = [self.dataset[i] for i in self.indices(step)]
        return resize_batch(collate(items), self.image_size)


def collate(items: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Stack dataset items into a batch (tensors stacked, strings listed)."""
    batch: dict[str, Any] = {}
    for key in items[0]:
        values = [item[key] for item in items]
        if isinstance(values[0], str):
            batch[key] = values
        else:
            batch[key] = torch.stack([torch.as_tensor(v) for v in values])
    return batch


def resize_batch(batch: dict[str, Any], size: int) -> dict[str, Any]:
    """Resize images and masks when the prepared size differs from the model's."""
    H = batch["x0"].shape[-1]
    if H == size:
        return batch
    out = dict(batch)
    out["x0"] = to_network_size(batch["x0"].float(), size)
    out["targets"] = to_network_size(batch["targets"].float(), size)
    out["masks"] = (to_network_size(batch["masks"].float(), size) >= 0.5).float()
    for key in ("x0_landmarks", "landmarks"):   # pixel centres scale about the image's corner
        if key in batch:
            out[key] = (batch[key] + 0.5) * (size / H) - 0.5
    return out

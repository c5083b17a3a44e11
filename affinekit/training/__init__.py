"""Training: the step, the loop, batches, callbacks, resume, the mouth refiner's training, and the
instruments evaluation uses (the CK+48 classifier, the multi-source judge, the mouth two-sample probe).
`affinekit.training.train` (from `affinekit.training.run`) is the one entry that starts a run."""
from affinekit.training.run import train

__all__ = ["train"]

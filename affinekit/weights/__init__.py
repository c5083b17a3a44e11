"""Weights: checkpoints written atomically and read safely, the exported generator file, warm starts,
and the files the kit ships (`bundled`). Below the training loop: nothing here trains."""

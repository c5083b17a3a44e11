"""What the notebooks stand on: their setup and inputs, small experiments, the toy, papermill figures."""

"""Generation: a generator and a face in, frames out. The animator (one photo), many photos, mixtures,
timing curves, reference faces, layers, pasting back into the photo. Never imports training."""

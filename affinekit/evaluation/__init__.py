"""Evaluation: takes clip makers (models, baselines) and scores them; never trains. One module per job:

- `sources`: test data (prepared sequences, or raw CK+ for the paper's protocol);
- `makers`: a checkpoint as a clip maker through the one inference path, and what is known of its training data;
- `scoring`: `evaluate(makers, data, keys)`, every maker's clips scored into a `ResultTable`;
- `table`: the table, its notes and the published rows quoted apart;
- `protocols`: `subject_protocol` (one split or k folds over subjects), `paper_protocol`;
- `paired`: `paired_protocol`, each maker's apex against the person's real expression photo (still pairs);
- `breakdown`: per-expression means, best/worst clips, two protocols side by side;
- `metrics`, `baselines`, `descriptors`, `classifier` (CK+48), `judge` (multi-source), `two_sample`: what the
  scores are made of (the classifiers are trained in `affinekit.training`, the two-sample probe's fit is handed down).

`affinekit evaluate` itself is `affinekit.commands.evaluate`.
"""

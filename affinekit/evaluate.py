"""Evaluation's public names: protocols -> one table (real videos, copy-input, landmark-warp and the
model(s), from one run). The work lives in `affinekit.evaluation`, one module per job:

- `sources`: test data (prepared sequences, or raw CK+ for the paper's protocol);
- `makers`: a checkpoint as a clip maker through the one inference path, and what is known of
  its training data;
- `scoring`: `evaluate(makers, data, keys)`, every maker's clips scored into a `ResultTable`;
- `table`: the table, its notes and the published rows quoted apart;
- `protocols`: `subject_protocol` (one split or k folds over subjects), `paper_protocol`;
- `paired`: `paired_protocol`, each maker's apex against the person's real expression photo (still pairs);
- `breakdown`: per-expression means, best/worst clips, two protocols side by side.

`affinekit evaluate` itself is `affinekit.commands.evaluate`.
"""
from affinekit.evaluation.makers import GeneratorMaker, add_model_rows, load_model_maker, training_overlap
from affinekit.evaluation.paired import paired_protocol
from affinekit.evaluation.protocols import paper_protocol, subject_protocol
from affinekit.evaluation.scoring import evaluate, merge_folds, standard_notes
from affinekit.evaluation.sources import EvalSequence, RawCkplusSource, prepared_source
from affinekit.evaluation.table import METRIC_KEYS, QUOTED_ROWS, QUOTED_SOURCE, REAL, ResultTable, RowResult

__all__ = ["GeneratorMaker", "add_model_rows", "load_model_maker", "training_overlap", "paired_protocol",
           "paper_protocol", "subject_protocol", "evaluate", "merge_folds", "standard_notes", "EvalSequence",
           "RawCkplusSource", "prepared_source", "METRIC_KEYS", "QUOTED_ROWS", "QUOTED_SOURCE", "REAL", "ResultTable",
           "RowResult"]

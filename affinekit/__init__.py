"""affinekit: one face photo in, a short video of that face making an expression out."""
from __future__ import annotations

from affinekit.expressions import EXPRESSIONS

__version__ = "0.1.0"
__all__ = ["EXPRESSIONS", "__version__", "load_pretrained"]


def load_pretrained(*args, **kwargs):
    """Load the bundled model as an Animator: `load_pretrained().animate(photo, "happy")`."""
    # Imported on call, not at the top: every `import affinekit.<module>` runs this file first,
    # and `affinekit --version` or the data modules should not pay for torch, dlib and the model.
    from affinekit.generate.animate import load_pretrained as _load
    return _load(*args, **kwargs)

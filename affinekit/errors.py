"""The kit's user-facing error: one line naming the file and the fix."""
from __future__ import annotations


class AffinekitError(Exception):
    """An error caused by the user's input; the CLI prints it as one line, no traceback."""

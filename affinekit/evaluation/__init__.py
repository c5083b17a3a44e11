"""Evaluation: sources, clip makers, scoring, the table, protocols and the command (see affinekit.evaluate)."""

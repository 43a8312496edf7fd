"""Measuring: the question sets, `newsqa eval` and `newsqa bench`."""

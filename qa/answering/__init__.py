"""Answering from the passages: the extractive answerers (rules and the trained reader), news-aware time handling, and the answer type."""

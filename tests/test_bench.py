"""`newsqa bench`'s start-up figures: the median of several fresh-process runs, the first beside it."""

from qa.evaluation.bench import STARTS, _start


def test_a_start_up_time_is_the_median_with_the_first_run_beside_it():
    assert STARTS >= 3
    assert _start({"seconds": 2.5, "first_seconds": 3.9, "peak_rss_mb": 500}) == (
        f"2.50 s (median of {STARTS}; first run 3.90 s)"
    )
    assert _start({"seconds": 2.5, "peak_rss_mb": 500}) == "2.50 s"  # a JSON written before

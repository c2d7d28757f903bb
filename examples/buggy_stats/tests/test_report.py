from stats.report import render, summarize


def test_summarize():
    assert summarize([3.0]) == {"n": 1, "mean": 3.0, "median": 3.0, "p90": 3.0, "stdev": 0.0}


def test_render_aligns_columns_and_skips_empty_series():
    text = render({"latency": [12.0, 15.0, 11.0, 30.0], "empty": [], "cpu": [0.5, 0.7]}, digits=1)
    assert text.splitlines() == [
        " series  n  mean  median   p90  stdev",
        "latency  4  17.0    13.5  25.5    8.8",
        "    cpu  2   0.6     0.6   0.7    0.1",
    ]

"""The benchmark harness: the task set, `dagent bench fix`, `dagent bench engine` and the ranking evaluation."""

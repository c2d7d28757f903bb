"""stats: descriptive statistics and a plain-text summary report."""

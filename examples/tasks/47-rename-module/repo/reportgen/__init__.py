"""reportgen: fixed-width text tables."""

"""``make bench``: measured speed and AWS call counts of the sweep and the audit (run ``python -m`` on it)."""

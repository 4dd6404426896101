"""``notebook-guard demo``: the story on an embedded, simulated AWS account (moto on loopback)."""

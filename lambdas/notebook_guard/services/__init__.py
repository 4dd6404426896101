"""Use cases: combine the adapters (``aws``) with the decisions (``domain``)."""

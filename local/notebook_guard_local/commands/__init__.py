"""One module per subcommand: each exposes ``register(subparsers)``, which sets ``run`` on its parser."""

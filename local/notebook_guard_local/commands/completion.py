"""``notebook-guard completion bash|zsh|fish``: print a shell completion script."""

from __future__ import annotations

import argparse
import sys

NAME = "completion"
OUTPUTS = ("table",)

EPILOG = """\
Examples:
  eval "$(notebook-guard completion bash)"      # in ~/.bashrc
  eval "$(notebook-guard completion zsh)"       # in ~/.zshrc
  notebook-guard completion fish > ~/.config/fish/completions/notebook-guard.fish
"""


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    from notebook_guard_local.completion import SHELLS

    parser = subparsers.add_parser(
        NAME,
        help="print a shell completion script (bash, zsh, fish)",
        description="Print a completion script for the shell: commands, options, option values, regions, files.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("shell", choices=SHELLS, help="the shell to complete in")
    parser.set_defaults(run=run)
    return parser


def run(args: argparse.Namespace) -> int:
    from notebook_guard_local.cli import build_parser
    from notebook_guard_local.completion import script

    sys.stdout.write(script(args.shell, build_parser()))
    return 0

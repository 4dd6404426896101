"""The ``notebook-guard`` command: audit, plan, restore, approve, reject, demo, prevent, completion.

Each subcommand lives in its own module under ``commands/`` and registers its own arguments (``register``) and
the outputs it can print (``OUTPUTS``); this module assembles the parser, applies the global options and turns
failures into exit codes. It is not part of the Lambda asset.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from notebook_guard_local.commands import approve, audit, completion, demo, plan, prevent, reject, restore
from notebook_guard_local.commands.common import (
    AWS_ENVIRONMENT_HELP,
    EXIT_USAGE_OR_AWS_ERROR,
    CommandParser,
    UsageError,
    add_global_options,
    finish_arguments,
)
from notebook_guard_local.version import version_line

SUBCOMMANDS = (audit, plan, restore, approve, reject, demo, prevent, completion)

EPILOG = (
    """\
Examples:
  notebook-guard audit --region eu-west-1
  notebook-guard --profile security audit --all-regions --output sarif > notebooks.sarif
  notebook-guard plan churn-forecast --region eu-west-1 --output json
  notebook-guard demo
  notebook-guard audit --help

Every error is one line on stderr, "notebook-guard: error: ...", with exit code 2.

"""
    + AWS_ENVIRONMENT_HELP
)


def build_parser() -> argparse.ArgumentParser:
    parser = CommandParser(
        prog="notebook-guard",
        description="Find and remediate SageMaker notebook instances that run outside a VPC "
        "(Security Hub SageMaker.1/.2/.3).",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=version_line())
    add_global_options(parser, top_level=True)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in SUBCOMMANDS:
        sub = module.register(subparsers)
        add_global_options(sub, top_level=False, outputs=module.OUTPUTS)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = finish_arguments(parser.parse_args(argv), {m.NAME: m.OUTPUTS for m in SUBCOMMANDS})
    except UsageError as error:
        text = " ".join(str(error).split())
        print(f"notebook-guard: error: {text} (see '{error.prog} --help')", file=sys.stderr)
        return EXIT_USAGE_OR_AWS_ERROR
    except SystemExit as exit_:  # --help and --version: 0
        return exit_.code if isinstance(exit_.code, int) else EXIT_USAGE_OR_AWS_ERROR

    from notebook_guard.aws import clients
    from notebook_guard_local.aws_access import Access, configure
    from notebook_guard_local.commands.common import run_guarded

    # Clients are cached per process: drop any made before this call's profile, region and endpoint were known.
    clients.reset()
    try:
        access = Access(
            profile=getattr(args, "profile", None),
            endpoint_url=getattr(args, "endpoint_url", None),
            quiet=args.quiet,
            verbose=args.verbose,
        )

        def configured_run(parsed: argparse.Namespace) -> int:
            configure(access)  # inside the guard: a bad --endpoint-url is a one-line error too
            return parsed.run(parsed)

        return run_guarded(configured_run, args)
    finally:
        clients.reset()


if __name__ == "__main__":
    sys.exit(main())

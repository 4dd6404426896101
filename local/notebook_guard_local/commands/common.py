"""What every subcommand shares: the global options, ``--output``, one-line errors and the exit codes.

The global options follow the AWS CLI: ``--profile``, ``--region``, ``--endpoint-url``, ``--output``, plus
``-q``/``-v``. Each is accepted before or after the subcommand (``notebook-guard --region eu-west-1 audit``
and ``notebook-guard audit --region eu-west-1`` mean the same); ``--region`` may be repeated.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from notebook_guard_local.aws_access import CommandError, describe_aws_error

__all__ = ["CommandError", "describe_aws_error"]

# Exit codes, the same for every subcommand (documented in the README).
EXIT_OK = 0
EXIT_USAGE_OR_AWS_ERROR = 2
EXIT_VIOLATIONS = 3

OUTPUTS = ("table", "json", "csv", "sarif")

AWS_ENVIRONMENT_HELP = """\
AWS access:
  Credentials, profile and endpoint come from the standard AWS environment, read by boto3 itself:
  AWS_PROFILE (or --profile), AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, AWS_CONFIG_FILE,
  AWS_SHARED_CREDENTIALS_FILE, AWS_ENDPOINT_URL (or --endpoint-url, e.g. a local moto server), and the region
  from --region, else AWS_REGION, else AWS_DEFAULT_REGION, else the profile's region. A call is tried twice
  at most, with 4 s to connect: an unreachable endpoint fails in seconds, with a word on stderr meanwhile.
"""


class UsageError(Exception):
    """A bad command line; ``prog`` names the (sub)command whose --help explains it."""

    def __init__(self, message: str, prog: str) -> None:
        super().__init__(message)
        self.prog = prog


class CommandParser(argparse.ArgumentParser):
    """argparse, with its errors raised (and printed by ``main`` as one line) instead of usage and exit."""

    def error(self, message: str):  # type: ignore[override]
        raise UsageError(message, self.prog)


def add_global_options(parser: argparse.ArgumentParser, *, top_level: bool, outputs: tuple[str, ...] = OUTPUTS):
    """The AWS CLI's options, on the main parser (``top_level``) and on each subcommand.

    On a subcommand the defaults are SUPPRESS so that an option given before the subcommand is not overwritten
    by the subcommand's default; ``--region`` collects into separate lists, joined by ``finish_arguments``.
    """
    unset = None if top_level else argparse.SUPPRESS
    group = parser.add_argument_group("global options")
    group.add_argument(
        "--profile", default=unset, metavar="NAME", help="named profile from the AWS config files (AWS_PROFILE)"
    )
    group.add_argument(
        "--region",
        action="append",
        dest="top_regions" if top_level else "regions",
        default=[] if top_level else argparse.SUPPRESS,
        metavar="REGION",
        help="AWS region (default: AWS_REGION, AWS_DEFAULT_REGION, then the profile's); audit: repeat for several",
    )
    group.add_argument(
        "--endpoint-url",
        default=unset,
        metavar="URL",
        help="send every call to this endpoint (AWS_ENDPOINT_URL), e.g. http://127.0.0.1:5000",
    )
    group.add_argument(
        "--output",
        default=unset,
        choices=outputs,
        help=f"output format: {', '.join(outputs)} (default: table)",
    )
    quietness = group.add_mutually_exclusive_group()
    quietness.add_argument("-q", "--quiet", action="store_true", default=unset, help="print only the result and errors")
    quietness.add_argument(
        "-v", "--verbose", action="store_true", default=unset, help="say more (each AWS call on stderr)"
    )


def finish_arguments(args: argparse.Namespace, outputs_of: dict[str, tuple[str, ...]]) -> argparse.Namespace:
    """Join what was given before and after the subcommand; check ``--output`` against the subcommand."""
    args.regions = list(getattr(args, "top_regions", []) or []) + list(getattr(args, "regions", []) or [])
    args.quiet, args.verbose = bool(getattr(args, "quiet", False)), bool(getattr(args, "verbose", False))
    if args.quiet and args.verbose:
        raise UsageError(
            "argument -q/--quiet: not allowed with argument -v/--verbose", f"notebook-guard {args.command}"
        )
    allowed = outputs_of.get(args.command, OUTPUTS)
    args.output = args.output or "table"
    if args.output not in allowed:
        raise UsageError(
            f"argument --output: {args.command} has no {args.output} output (choose from {', '.join(allowed)})",
            f"notebook-guard {args.command}",
        )
    return args


def single_region(args: argparse.Namespace) -> str | None:
    """The one region a command works in (plan, restore): at most one --region."""
    if len(args.regions) > 1:
        raise CommandError(f"{args.command} works in one region: give --region once")
    return args.regions[0] if args.regions else None


def run_guarded(command: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    """Run a subcommand; turn user-fixable and AWS errors into one line on stderr and exit code 2."""
    from botocore.exceptions import BotoCoreError, ClientError
    from botocore.parsers import ResponseParserError

    try:
        return command(args)
    except CommandError as error:
        fail(str(error))
    except (BotoCoreError, ClientError, ResponseParserError) as error:  # the parser's error is no BotoCoreError
        fail(describe_aws_error(error))
    except KeyboardInterrupt:
        fail("interrupted")
    return EXIT_USAGE_OR_AWS_ERROR


def fail(message: str) -> None:
    """The one error format of every subcommand: ``notebook-guard: error: MESSAGE`` on one line of stderr."""
    text = " ".join(str(message).split())
    print(f"notebook-guard: error: {text}", file=sys.stderr, flush=True)


def notice(args: argparse.Namespace, message: str) -> None:
    """A line on stderr about what the command is doing (settings used, progress); silent with -q."""
    if not getattr(args, "quiet", False):
        print(f"notebook-guard: {message}", file=sys.stderr, flush=True)

"""What every subcommand shares: the AWS environment help, region resolution, one-line AWS errors."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable

# Exit codes, the same for every subcommand (documented in the README).
EXIT_OK = 0
EXIT_USAGE_OR_AWS_ERROR = 2
EXIT_VIOLATIONS = 3

AWS_ENVIRONMENT_HELP = """\
AWS access:
  Credentials, profile and endpoint come from the standard AWS environment, read by boto3 itself:
  AWS_PROFILE, AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, AWS_CONFIG_FILE,
  AWS_SHARED_CREDENTIALS_FILE, AWS_ENDPOINT_URL (e.g. a local moto server), and the region from
  --region, else AWS_REGION, else AWS_DEFAULT_REGION, else the profile's region.
"""


class CommandError(Exception):
    """A problem the user can fix (bad option, no region, AWS refused): printed as one line, exit 2."""


def add_region_option(parser: argparse.ArgumentParser, *, top_level: bool) -> None:
    # Accepted before and after the subcommand; SUPPRESS keeps a subcommand from overwriting the global value.
    parser.add_argument(
        "--region",
        default=None if top_level else argparse.SUPPRESS,
        metavar="REGION",
        help="AWS region to work in (default: AWS_REGION, AWS_DEFAULT_REGION, then the profile's region)",
    )


def resolve_region(requested: str | None) -> str:
    """--region, else the environment and profile as boto3 resolves them.

    botocore reads AWS_DEFAULT_REGION and the profile but not AWS_REGION (which the AWS CLI v2 and Lambda
    set), so AWS_REGION is consulted here before handing over to boto3.
    """
    if requested:
        return requested
    if os.environ.get("AWS_REGION"):
        return os.environ["AWS_REGION"]
    import boto3

    region = boto3.session.Session().region_name
    if not region:
        raise CommandError("no AWS region: pass --region REGION or set AWS_REGION")
    return region


def describe_aws_error(error: BaseException) -> str:
    """One line for an AWS or botocore failure, naming the cause a user can act on."""
    from botocore.exceptions import (
        ClientError,
        EndpointConnectionError,
        NoCredentialsError,
        NoRegionError,
        PartialCredentialsError,
        ProfileNotFound,
    )

    if isinstance(error, NoCredentialsError):
        return "no AWS credentials found: set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY"
    if isinstance(error, PartialCredentialsError | ProfileNotFound | NoRegionError):
        return str(error)
    if isinstance(error, EndpointConnectionError):
        return f"cannot reach the AWS endpoint: {error}"
    if isinstance(error, ClientError):
        details = error.response.get("Error", {})
        operation = getattr(error, "operation_name", "") or "the AWS call"
        return f"{operation} failed: {details.get('Code', 'Error')}: {details.get('Message', '')}".rstrip(": ")
    return f"{type(error).__name__}: {error}"


def run_guarded(command: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    """Run a subcommand; turn user-fixable and AWS errors into one line on stderr and exit code 2."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        return command(args)
    except CommandError as error:
        fail(str(error))
    except (BotoCoreError, ClientError) as error:
        fail(describe_aws_error(error))
    except KeyboardInterrupt:
        fail("interrupted")
    return EXIT_USAGE_OR_AWS_ERROR


def fail(message: str) -> None:
    print(f"notebook-guard: error: {message}", file=sys.stderr)

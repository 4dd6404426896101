#!/usr/bin/env python3
"""Synthesize the notebook-guard stack: `python app.py` (or `cdk synth`). Settings: cdk.json context, -c key=value."""

import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path[:0] = [str(ROOT), str(ROOT / "lambdas")]  # the settings contract lives in the Lambda package
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from infra.settings import SettingsError  # noqa: E402
from infra.stack import build_app  # noqa: E402


def context_from_cdk_json() -> dict | None:
    """Run by the CDK CLI, the context (cdk.json + -c) arrives in CDK_CONTEXT_JSON; run as `python app.py`,
    read cdk.json ourselves so both synthesize the same stack."""
    if "CDK_CONTEXT_JSON" in os.environ or "CDK_OUTDIR" in os.environ:
        return None
    return json.loads((ROOT / "cdk.json").read_text(encoding="utf-8")).get("context", {})


def report(assembly, stack) -> None:
    """What `python app.py` (`make synth`) made: where the template went, the settings in use, the warnings.
    (Run by the CDK CLI, the CLI prints the warnings itself.)"""
    artifact = assembly.get_stack_by_name(stack.stack_name)
    template = Path(artifact.template_full_path)
    shown = template.relative_to(Path.cwd()) if template.is_relative_to(Path.cwd()) else template
    print(f"Template: {shown}")
    print("Settings in use (cdk.json's context; `npx aws-cdk@2 synth -c name=value` to override):")
    width = max(len(name) for name in type(stack.settings).model_fields)
    for name, value in stack.settings.model_dump(mode="json").items():
        if isinstance(value, bool):
            value = str(value).lower()
        elif isinstance(value, list):
            value = ",".join(map(str, value))
        print(f"  {name:<{width}}  {'(none)' if value in (None, '') else value}")
    for message in artifact.messages:
        level = str(message.level).rsplit(".", 1)[-1].upper()
        if level != "INFO":
            print(f"{level}: {message.entry.data}")


if __name__ == "__main__":
    try:
        cli = "CDK_OUTDIR" in os.environ
        app, stack = build_app(context_from_cdk_json(), outdir=None if cli else str(ROOT / "cdk.out"))
    except SettingsError as error:
        sys.exit(f"notebook-guard: error: {error}")
    assembly = app.synth()
    if not cli:
        report(assembly, stack)

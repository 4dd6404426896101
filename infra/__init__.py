"""The notebook-guard CDK stack: one construct per concern, wired by ``infra.stack``."""

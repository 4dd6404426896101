"""Pydantic models of the events the Lambdas receive."""

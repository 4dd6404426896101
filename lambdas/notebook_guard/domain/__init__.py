"""Pure decisions: no boto3, no environment, no clock except what callers pass in."""

"""The IAM permissions of every AWS call this project makes, as data: one table, with AWS's page per row.

Pure (no boto3, no CDK): the stack renders each function's policy from it (``policy``), the Preflight step
builds the checks it simulates from it (``checks``), the local simulation enforces it, and the README's IAM
tables are generated from it (``docs``).
"""

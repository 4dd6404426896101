"""notebook-guard: keeps SageMaker notebook instances inside a private VPC.

Layers, one direction of travel: ``handlers`` (Lambda entry points) -> ``services`` (use cases) ->
``aws`` (the only code that calls boto3) and ``domain`` (pure decisions, no boto3).
"""

PRODUCT = "notebook-guard"
TAG_PREFIX = "notebook-guard:"
METRICS_NAMESPACE = "NotebookGuard"

"""The remediation workflow's step Lambdas: one small module per step (see ``workflow_steps.STEPS``)."""

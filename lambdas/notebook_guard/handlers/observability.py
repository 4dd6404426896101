"""One logger, tracer and metrics object for the whole package (Powertools)."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer

from notebook_guard import METRICS_NAMESPACE, PRODUCT

logger = Logger(service=PRODUCT)
tracer = Tracer(service=PRODUCT)
metrics = Metrics(namespace=METRICS_NAMESPACE, service=PRODUCT)

"""Adapters: the only code that calls boto3. One module per service; retries and pagination live here."""

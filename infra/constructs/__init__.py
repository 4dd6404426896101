"""One construct per concern: detection, workflow, alerting, storage, network, trail (and the function factory)."""

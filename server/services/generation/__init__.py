"""Image generation: requests with quotas and idempotency, and prompt safety before a job runs."""

"""Background jobs on the Huey task queue: statement imports and large exports (docs/jobs.md)."""

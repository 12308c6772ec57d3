"""A case's life after intake: workflow, routing, who may see what, threads, status counts."""

"""Developer tools: local gateway, explain, edge attachment, preflight, teardown."""

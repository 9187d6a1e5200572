"""Developer tools: local gateway, edge attachment."""

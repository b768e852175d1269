"""Use cases. Each service validates nothing HTTP-specific and talks to ports, not sockets."""

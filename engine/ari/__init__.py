"""ARI: typed REST client, events WebSocket stream, event models, reconnect policy."""

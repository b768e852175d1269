"""Live calls: translating Asterisk events, executing commands, and the call router."""

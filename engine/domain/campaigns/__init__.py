"""The campaign dialer's pure parts: statuses, definitions, programs, field rules, pacing,
outcomes and the circuit breaker."""

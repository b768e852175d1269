"""Fetching and calling user-given URLs: SSRF-safe HTTP, Plivo signatures, durable delivery."""

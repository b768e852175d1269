"""Pure domain: models, events, commands and state machines. Imports nothing from I/O layers."""

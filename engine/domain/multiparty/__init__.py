"""Multi-party calls (Plivo's PHLO multi-party call node), pure: members, roles, rules."""

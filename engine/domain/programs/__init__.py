"""Call programs: what an answered leg does on its own (speak, play, collect digits, …)."""

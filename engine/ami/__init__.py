"""AMI (panoramisk 1.4) for what ARI lacks: supervised connection, typed actions, events."""

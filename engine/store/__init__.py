"""PostgreSQL persistence: pool, ordered migrations, named queries, thin repositories."""

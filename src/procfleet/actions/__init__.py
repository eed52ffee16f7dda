"""Use-cases the CLI calls: each loads what it needs, acts, and returns data for the CLI to print."""

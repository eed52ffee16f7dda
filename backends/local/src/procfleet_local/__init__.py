"""procfleet's local backend: the formation as supervised child processes."""

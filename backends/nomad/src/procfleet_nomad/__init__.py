"""procfleet's Nomad backend: the formation as one Nomad job, one task group per process type."""

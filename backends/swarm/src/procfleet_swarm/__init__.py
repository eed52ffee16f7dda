"""procfleet's Swarm backend: the formation as a Docker Swarm stack, through the docker CLI."""

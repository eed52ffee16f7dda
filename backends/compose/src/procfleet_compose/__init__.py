"""procfleet's Compose backend: Docker Compose v2 through python-on-whales."""

"""The Nomad backend end to end through the CLI: the simulator by default, a real agent with NOMAD_ADDR."""

"""The Nomad backend without Nomad: translation, HCL, connection settings and status (DESIGN §4)."""

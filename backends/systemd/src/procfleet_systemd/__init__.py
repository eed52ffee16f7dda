"""procfleet's systemd backend: one template unit per process type, its instances started and stopped by scale."""

"""/api/v1/: the playbook simulator, case intake, reads and exports (DRF + drf-spectacular)."""

"""Administration in the browser and for scripts: users and the audit log (pages, /api/v1/admin)."""

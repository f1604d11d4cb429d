"""The settings dialog: one module per page, plus the API key field."""

"""The main window's widgets, one per module."""

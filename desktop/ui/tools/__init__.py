"""Tools in the window: the approval prompt and the Settings page."""

"""One conversation across calls: the session, its phase, carry-over of earlier turns."""

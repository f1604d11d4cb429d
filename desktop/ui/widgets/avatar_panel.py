"""AvatarPanel: the avatar video and its motion control, shown for providers with video."""

from __future__ import annotations

from PySide6.QtWidgets import QVBoxLayout, QWidget

from desktop.core.profiles import get_profile
from desktop.ui.widgets.motion_control import MotionControl
from desktop.ui.widgets.video_view import VideoView


class AvatarPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.video = VideoView(self)
        self.motion = MotionControl(self)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(6)
        column.addWidget(self.video, 1)
        column.addWidget(self.motion)
        self.setVisible(False)

    def set_provider(self, provider_id: str) -> None:
        """Shown only for a provider that sends video (its motions arrive at connect)."""
        try:
            receives_video = get_profile(provider_id).receives_video
        except KeyError:
            receives_video = False
        self.setVisible(receives_video)

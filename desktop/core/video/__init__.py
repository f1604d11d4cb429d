"""The avatar's picture (rtAV): the received video track or JPEG frames, rate-limited, as RGB.

Qt-free: `VideoFeed` publishes `Picture`s through an `Emitter`; the window paints them.
"""

from desktop.core.video.feed import FeedCounts, Picture, VideoFeed
from desktop.core.video.motion import motion_driving, motion_event, play_motion
from desktop.core.video.rate import FrameRate

__all__ = [
    "FeedCounts",
    "FrameRate",
    "Picture",
    "VideoFeed",
    "motion_driving",
    "motion_event",
    "play_motion",
]

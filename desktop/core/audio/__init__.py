"""Native audio: devices, microphone track, speaker sink, echo cancellation, levels.

Import the submodules (`path.AudioPath` wires them for a call); this package imports
nothing itself, so sounddevice (and PortAudio) load only when audio is used.
"""

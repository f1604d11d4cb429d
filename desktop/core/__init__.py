"""The Qt-free core: everything a call needs, driven by plain asyncio."""

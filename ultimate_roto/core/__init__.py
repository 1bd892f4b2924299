"""Qt-free core: everything a headless run needs. Never imports PySide6, OpenGL or app."""

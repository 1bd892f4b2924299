"""The PySide6 workstation (imported only by the GUI entry point and the app/gl tests)."""

from ultimate_roto.app.qt_compat import protect_none

protect_none()

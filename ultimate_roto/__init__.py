"""Ultimate Roto: a professional roto, enhance and deliver workstation."""

__version__ = "0.1.0"
SOFTWARE_NAME = "Ultimate Roto"

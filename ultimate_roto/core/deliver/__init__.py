"""deliver package."""

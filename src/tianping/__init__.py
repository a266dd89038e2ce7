"""Tianping (天平): supervision of online trading and consumer protection."""

__version__ = "0.1.0"

"""Placeholder: filled in by the complaints work (registers its commands on the `complaints` group)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``tianping complaints``."""

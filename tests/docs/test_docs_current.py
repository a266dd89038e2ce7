"""Docs are tested: every CLI command and every setting is documented, and generated docs are current."""

from __future__ import annotations

from pathlib import Path

from tianping.cli.main import app
from tianping.cli.reference import command_paths, render_reference, render_settings
from tianping.core.settings import Settings

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_every_cli_command_is_in_the_reference() -> None:
    text = (DOCS / "cli.md").read_text(encoding="utf-8")
    missing = [p for p in command_paths(app) if f"`{p}`" not in text]
    assert not missing, f"undocumented commands (run `tianping docs cli`): {missing}"


def test_cli_reference_is_current() -> None:
    assert (DOCS / "cli.md").read_text(encoding="utf-8") == render_reference(app), "run `tianping docs cli`"


def test_every_setting_is_documented() -> None:
    text = (DOCS / "settings.md").read_text(encoding="utf-8")
    missing = [n for n in Settings.model_fields if f"`TIANPING_{n.upper()}`" not in text]
    assert not missing, f"undocumented settings (run `tianping docs settings`): {missing}"
    assert text == render_settings(), "run `tianping docs settings`"


def test_every_setting_has_a_description() -> None:
    assert all(f.description for f in Settings.model_fields.values())


def test_architecture_names_every_domain() -> None:
    text = (DOCS / "ARCHITECTURE.md").read_text(encoding="utf-8")
    src = Path(__file__).resolve().parents[2] / "src" / "tianping"
    domains = [p.name for p in src.iterdir() if p.is_dir() and (p / "service.py").exists()]
    missing = [d for d in domains if f"`{d}`" not in text]
    assert not missing, f"docs/ARCHITECTURE.md does not mention domains {missing}"

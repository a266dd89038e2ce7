"""`tianping complaints …`: intake, triage models, taxonomy and deadlines of work orders."""

from __future__ import annotations

import typer

from tianping.cli import complaints_flow_cmd, complaints_intake_cmd, complaints_ml_cmd

app = typer.Typer(help="投诉举报与工单（12315 / 12345 接诉即办）", no_args_is_help=True)
complaints_ml_cmd.register(app)
complaints_intake_cmd.register(app)
complaints_flow_cmd.register(app)

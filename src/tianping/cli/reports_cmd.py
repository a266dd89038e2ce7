"""`tianping reports …`: the monthly one-table report and the public open-data export."""

from __future__ import annotations

import typer

app = typer.Typer(help="工作月报表与公开数据", no_args_is_help=True)

"""The `tianping` command line (Typer). Thin commands: parse, call one service, report."""

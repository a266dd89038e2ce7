"""Helpers shared by CLI commands: error mapping and the acting principal."""

from __future__ import annotations

import functools
import getpass
import sys
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import typer
from pydantic import ValidationError

from tianping.core.authz import Actor, Role
from tianping.core.errors import TianpingError

P = ParamSpec("P")
R = TypeVar("R")


def cli_actor() -> Actor:
    """Commands run by the operator of the installation act as administrator, audited by OS user."""
    try:
        who = getpass.getuser()
    except (KeyError, OSError):
        who = "unknown"
    return Actor(user_id=None, username=f"cli:{who}", roles=frozenset({Role.ADMIN}))


def fail(message: str) -> typer.Exit:
    """Print a one-line reason to stderr; return the exit (code 2) to raise."""
    typer.echo(f"错误：{message}", err=True)
    return typer.Exit(code=2)


def cli_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """User mistakes end with exit code 2 and one line, never a traceback."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except TianpingError as exc:
            details = "；".join(f"{e.field}: {e.message}" for e in exc.errors)
            raise fail(exc.message + (f"（{details}）" if details else "")) from None
        except ValidationError as exc:
            first = exc.errors()[0]
            field = ".".join(str(p) for p in first["loc"])
            raise fail(f"{field}: {first['msg'].removeprefix('Value error, ')}") from None
        except (FileNotFoundError, IsADirectoryError, PermissionError) as exc:
            raise fail(f"无法读取文件：{exc.filename}") from None

    return wrapper


def echo_err(message: str) -> None:
    print(message, file=sys.stderr)

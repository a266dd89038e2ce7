"""Errors a user can cause. Edges map them: HTTP 4xx, CLI exit code 2, a message on the page."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str  # zh-CN, shown to the user


class TianpingError(Exception):
    """Base of errors caused by input or permissions (never by a bug)."""

    status_code = 400
    code = "bad_request"

    def __init__(self, message: str, *, errors: list[FieldError] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors: list[FieldError] = list(errors or [])


class ValidationFailed(TianpingError):
    status_code = 422
    code = "validation_failed"


class NotFound(TianpingError):
    status_code = 404
    code = "not_found"


class PermissionDenied(TianpingError):
    status_code = 403
    code = "forbidden"


class NotAuthenticated(TianpingError):
    status_code = 401
    code = "not_authenticated"


class Conflict(TianpingError):
    status_code = 409
    code = "conflict"


class RateLimited(TianpingError):
    status_code = 429
    code = "rate_limited"


class FileRejected(TianpingError):
    """A whole uploaded file is refused (too big, wrong type, zip bomb, bad encoding)."""

    status_code = 422
    code = "file_rejected"


@dataclass
class RowError:
    row: int  # 1-based row number as a spreadsheet shows it (header is row 1)
    column: str
    message: str


@dataclass
class ImportRejected(TianpingError):
    """Some rows are invalid: nothing was written. Carries the per-row report."""

    row_errors: list[RowError] = field(default_factory=list)
    total_rows: int = 0

    def __post_init__(self) -> None:
        n = len({e.row for e in self.row_errors})
        TianpingError.__init__(self, f"导入失败：{n} 行有错误，未写入任何数据")

    status_code = 422
    code = "import_rejected"

"""create_app(): wiring only — routers, error mapping, static files, health."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text
from starlette.exceptions import HTTPException as StarletteHTTPException

from tianping import __version__
from tianping.api import audit as api_audit
from tianping.api import complaints as api_complaints
from tianping.api import complaints_kpi as api_complaints_kpi
from tianping.api import evidence as api_evidence
from tianping.api import identity as api_identity
from tianping.api import odr as api_odr
from tianping.api import promotion as api_promotion
from tianping.api import registry as api_registry
from tianping.api import registry_export as api_registry_export
from tianping.core.authz import ANONYMOUS
from tianping.core.db import get_engine
from tianping.core.errors import ImportRejected, TianpingError
from tianping.core.messages import translate
from tianping.evidence.writer import close_process_writer
from tianping.web import (
    complaint_dashboard,
    complaint_pages,
    evidence_pages,
    identity_pages,
    odr_pages,
    price_pages,
    promotion_pages,
    registry_export,
    registry_pages,
)
from tianping.web import home as web_home
from tianping.web.deps import LoginRequired, login_url, templates

log = logging.getLogger("tianping")

API_PREFIX = "/api/v1"
STATIC_DIR = Path(__file__).parent / "web" / "static"

HTTP_TITLES = {
    400: "请求有误",
    401: "需要登录",
    403: "没有权限",
    404: "页面不存在",
    405: "不支持的请求方法",
    409: "操作冲突",
    413: "文件过大",
    422: "提交的内容有误",
    429: "请求过于频繁",
    500: "系统内部错误",
}


def _is_api(request: Request) -> bool:
    return request.url.path.startswith(API_PREFIX)


def _error_page(request: Request, status: int, detail: str, errors: dict[str, str] | None = None) -> Response:
    actor = getattr(request.state, "actor", ANONYMOUS)
    return templates.TemplateResponse(
        request,
        "error.html",
        {
            "actor": actor,
            "csrf_token": getattr(request.state, "csrf_token", ""),
            "title": HTTP_TITLES.get(status, "出错了"),
            "detail": detail,
            "errors": errors or {},
            "message": None,
        },
        status_code=status,
    )


@asynccontextmanager
async def _lifespan(_app: FastAPI) -> AsyncIterator[None]:
    yield
    # Queued evidence submissions are committed (and acknowledged) before the process exits.
    close_process_writer()


def create_app() -> FastAPI:
    app = FastAPI(
        lifespan=_lifespan,
        title="天平 Tianping API",
        version=__version__,
        description=(
            "网络交易监管与消费者权益保护平台的 JSON 接口。"
            "机器客户端使用 `Authorization: Bearer <API 令牌>`。"
        ),
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=None,  # Swagger UI would load assets from a CDN; intranets are offline
        redoc_url=None,
    )

    @app.exception_handler(TianpingError)
    async def _tianping_error(request: Request, exc: TianpingError) -> Response:
        errors: list[dict[str, Any]] = [{"field": e.field, "message": e.message} for e in exc.errors]
        if isinstance(exc, ImportRejected):
            errors = [{"row": e.row, "column": e.column, "message": e.message} for e in exc.row_errors]
        if _is_api(request):
            headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else None
            return JSONResponse(
                {"detail": exc.message, "code": exc.code, "errors": errors},
                status_code=exc.status_code,
                headers=headers,
            )
        if exc.status_code == 401:
            return RedirectResponse(login_url(request.url.path), status_code=303)
        return _error_page(
            request,
            exc.status_code,
            exc.message,
            {str(e.get("field", e.get("row", ""))): str(e["message"]) for e in errors},
        )

    @app.exception_handler(LoginRequired)
    async def _login_required(request: Request, exc: LoginRequired) -> Response:
        return RedirectResponse(login_url(exc.next_url), status_code=303)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
        errors = translate(exc.errors())
        if _is_api(request):
            return JSONResponse(
                {"detail": "请求参数有误", "code": "validation_failed", "errors": errors}, status_code=422
            )
        return _error_page(request, 422, "提交的内容有误", {e["field"]: e["message"] for e in errors})

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        detail = exc.detail if isinstance(exc.detail, str) else HTTP_TITLES.get(exc.status_code, "出错了")
        if exc.status_code == 404:
            detail = "您访问的页面或记录不存在"
        if exc.status_code == 405:
            detail = "不支持该请求方法"
        if _is_api(request):
            return JSONResponse(
                {"detail": detail, "code": f"http_{exc.status_code}", "errors": []},
                status_code=exc.status_code,
                headers=getattr(exc, "headers", None),
            )
        return _error_page(request, exc.status_code, detail)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        if _is_api(request):
            return JSONResponse(
                {"detail": "系统内部错误，已记录，请稍后重试", "code": "internal_error", "errors": []},
                status_code=500,
            )
        return _error_page(request, 500, "系统内部错误，已记录，请稍后重试")

    @app.get("/health", tags=["health"], summary="健康检查", include_in_schema=False)
    def health() -> JSONResponse:
        status = health_status()
        return JSONResponse(status, status_code=503 if status["status"] == "error" else 200)

    @app.get(f"{API_PREFIX}/health", tags=["health"], summary="健康检查")
    def api_health() -> dict[str, Any]:
        return health_status()

    app.include_router(api_identity.router, prefix=API_PREFIX)
    app.include_router(api_audit.router, prefix=API_PREFIX)
    app.include_router(api_registry_export.router, prefix=API_PREFIX)  # before /entities/{id}
    app.include_router(api_registry.router, prefix=API_PREFIX)
    app.include_router(api_evidence.router, prefix=API_PREFIX)
    app.include_router(api_promotion.router, prefix=API_PREFIX)
    app.include_router(api_complaints_kpi.router, prefix=API_PREFIX)  # before /complaints/{id}
    app.include_router(api_complaints.router, prefix=API_PREFIX)
    app.include_router(api_odr.router, prefix=API_PREFIX)

    for router in (web_home.router, identity_pages.router, registry_export.router, registry_pages.router):
        app.include_router(router, include_in_schema=False)
    app.include_router(evidence_pages.router, include_in_schema=False)
    app.include_router(promotion_pages.router, include_in_schema=False)
    app.include_router(complaint_dashboard.router, include_in_schema=False)  # before /complaints/{id}
    app.include_router(complaint_pages.router, include_in_schema=False)
    app.include_router(odr_pages.router, include_in_schema=False)
    app.include_router(price_pages.router, include_in_schema=False)

    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:
        return Response(status_code=204)

    return app


def health_status() -> dict[str, Any]:
    """Database reachable and migrations current; never raises."""
    from tianping.migrate import current_revision, head_revision

    status: dict[str, Any] = {"status": "ok", "version": __version__}
    try:
        with get_engine().connect() as conn:
            conn.execute(text("SELECT 1"))
            current = current_revision(conn)
        head = head_revision()
        status["database"] = {"reachable": True, "dialect": get_engine().dialect.name}
        status["migrations"] = {"current": current, "head": head, "up_to_date": current == head}
        if current != head:
            status["status"] = "degraded"
    except Exception as exc:  # health must answer, whatever is wrong
        status["status"] = "error"
        status["database"] = {"reachable": False, "error": type(exc).__name__}
    return status

"""The home dashboard (工作台)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from tianping.web.dashboard import dashboard_tiles
from tianping.web.deps import PageUser, SessionDep, render

router = APIRouter()


@router.get("/", response_class=HTMLResponse)
def home(request: Request, session: SessionDep, actor: PageUser) -> HTMLResponse:
    tiles = dashboard_tiles(session=session, actor=actor)
    return render(request, "home.html", actor=actor, nav="home", tiles=tiles)

"""A real server on loopback with the demo dataset, and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

BROWSER_WANTED = os.environ.get("TIANPING_TEST_BROWSER", "") not in ("", "0", "false")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.xdist_group("browser"))
            if not BROWSER_WANTED:
                item.add_marker(
                    pytest.mark.skip(reason="browser tests need TIANPING_TEST_BROWSER=1 (.ci/run sets it)")
                )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _tianping() -> list[str]:
    exe = Path(sys.executable).with_name("tianping")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "tianping.cli.main"]


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    home = tmp_path_factory.mktemp("live-home")
    env = {k: v for k, v in os.environ.items() if not k.startswith("TIANPING_")}
    env.update({"TIANPING_HOME": str(home), "TIANPING_MODE": "demo"})
    subprocess.run(
        [*_tianping(), "demo", "load", "--entities", "600"],
        env=env,
        check=True,
        capture_output=True,
        timeout=600,
    )
    port = _free_port()
    log = (home / "server.log").open("wb")
    proc = subprocess.Popen(
        [*_tianping(), "serve", "--port", str(port), "--no-upgrade"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None:
                raise RuntimeError((home / "server.log").read_text(errors="replace")[-3000:])
            time.sleep(0.2)
        else:
            raise RuntimeError("server did not answer /health in 30 s")
        yield {"base_url": base, "db": str(home / "tianping.db"), "home": str(home)}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def chromium_path() -> str:
    path = os.environ.get("TIANPING_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        pytest.fail(f"TIANPING_TEST_BROWSER is set but Chromium is not installed at {path}", pytrace=False)
    return path


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(
            executable_path=chromium_path(),
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield b
        b.close()


@pytest.fixture
def page(browser):  # type: ignore[no-untyped-def]
    context = browser.new_context(locale="zh-CN", viewport={"width": 1360, "height": 900})
    pg = context.new_page()
    yield pg
    context.close()

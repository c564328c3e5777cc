"""The analytics dashboard's page and static files, and the vendored chart library."""

from __future__ import annotations

import json
import os
import re
import tomllib
from pathlib import Path, PurePosixPath

import httpx
import pytest

from api.dashboard import PAGE, STATIC

ROOT = Path(__file__).parents[2]
VENDORED = STATIC / "vendor" / "chart.umd.min.js"
NPM_BUILD = ROOT / "dashboard" / "node_modules" / "chart.js" / "dist" / "chart.umd.min.js"
OURS = [PAGE, *STATIC.glob("*.js"), *STATIC.glob("*.css")]


async def test_the_page_is_served_with_a_self_only_content_security_policy(
        client: httpx.AsyncClient) -> None:
    response = await client.get("/dashboard")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self';" in policy
    assert "default-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_the_page_has_no_inline_script_or_style(client: httpx.AsyncClient) -> None:
    html = (await client.get("/dashboard")).text
    assert re.findall(r"<script(?![^>]*\ssrc=)", html) == []
    assert "<style" not in html
    assert " style=" not in html
    assert re.findall(r"\son[a-z]+=", html) == []  # no inline event handlers either


def test_nothing_is_fetched_from_another_origin() -> None:
    for path in OURS:
        assert re.findall(r"(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}/", path.read_text()) == [], path


@pytest.mark.parametrize("path", ["dashboard.js", "api.js", "render.js", "dashboard.css",
                                  "vendor/chart.umd.min.js", "icon.svg"])
async def test_static_files_are_served(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(f"/dashboard/static/{path}")
    assert response.status_code == 200
    assert response.content == (STATIC / path).read_bytes()


async def test_an_unknown_static_file_is_not_found(client: httpx.AsyncClient) -> None:
    assert (await client.get("/dashboard/static/missing.js")).status_code == 404


def test_the_vendored_chart_library_is_the_pinned_npm_version() -> None:
    pinned = json.loads((ROOT / "dashboard" / "package.json").read_text())
    version = pinned["dependencies"]["chart.js"]
    locked = json.loads((ROOT / "dashboard" / "package-lock.json").read_text())
    assert locked["packages"]["node_modules/chart.js"]["version"] == version
    assert f"Chart.js v{version}\n" in VENDORED.read_text()[:200]


def test_the_vendored_chart_library_is_byte_identical_to_the_npm_package() -> None:
    if not NPM_BUILD.exists():
        message = "dashboard/node_modules is absent: run `npm ci` in dashboard/"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    assert VENDORED.read_bytes() == NPM_BUILD.read_bytes()


def test_every_dashboard_file_is_in_the_package_data() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = config["tool"]["setuptools"]["package-data"]["api"]
    for path in [PAGE, *(found for found in STATIC.rglob("*") if found.is_file())]:
        relative = PurePosixPath(path.relative_to(PAGE.parent).as_posix())
        assert any(relative.full_match(pattern) for pattern in patterns), relative

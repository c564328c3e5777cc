"""The analytics dashboard in headless Chromium against the real app under uvicorn.

Eleven owners answer a survey through the API, six in DE about delivery and five in FR about
charging; the page must show the NPS and CSAT computed by hand below, and DE's alone once the
region filter is applied. Debian's chromium is the browser (no browser download): without it the
tests are skipped, except in CI (CI=true), where they fail.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from api.settings import Settings
from domain.access import Role
from services.journey import refresh_stages
from tests.conftest import token
from tests.factories import random_vin
from tests.live_server import LiveServer

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]

# (NPS 0-10, CSAT 1-5) of each owner.
DE = [(10, 5), (9, 4), (9, 4), (8, 3), (5, 2), (3, 5)]
FR = [(10, 5), (6, 5), (6, 4), (2, 4), (7, 1)]
# NPS = % promoters (9-10) - % detractors (0-6); CSAT = % of answers 4-5.
ALL_NPS = -9.1  # 4 promoters, 5 detractors of 11 answers: -1/11
ALL_CSAT = 72.7  # 8 of 11
DE_NPS = 16.7  # 3 promoters, 2 detractors of 6
DE_CSAT = 66.7  # 4 of 6
FR_NPS = -40.0  # 1 promoter, 3 detractors of 5
FR_CSAT = 80.0  # 4 of 5

REGISTER_OWNER = """mutation($input: RegisterOwnerInput!) {
  registerOwner(input: $input) { owner { id } errors { message } } }"""
REGISTER_VEHICLE = """mutation($input: RegisterVehicleInput!) {
  registerVehicle(input: $input) { vehicle { id } errors { message } } }"""
SUBMIT_FEEDBACK = """mutation($input: FeedbackInput!) {
  submitFeedback(input: $input) { feedback { id } errors { message } } }"""

CHART_DATA = """() => Object.fromEntries(Object.entries(window.dashboardCharts).map(
  ([name, chart]) => [name, {labels: chart.data.labels,
                             data: chart.data.datasets.map((set) => set.data),
                             drawn: chart.getDatasetMeta(0).data.length,
                             width: chart.canvas.getBoundingClientRect().width}]))"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing (Debian's chromium package: apt-get install chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must run the browser tests: {reason}")
        pytest.skip(reason)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield launched
        launched.close()


@pytest.fixture
def server(settings: Settings) -> Iterator[LiveServer]:
    with LiveServer(settings) as live:
        yield live


@pytest.fixture
def page(browser: Browser, server: LiveServer) -> Iterator[Page]:
    context = browser.new_context(base_url=server.http, viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    problems: list[str] = []
    opened.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    opened.on("pageerror", lambda error: problems.append(str(error)))
    yield opened
    context.close()
    assert problems == []  # no script error, no CSP violation, nothing failed to load


def call(server: LiveServer, settings: Settings, query: str, variables: dict[str, Any],
         role: Role, subject: str = "admin") -> dict[str, Any]:
    response = httpx.post(f"{server.http}/graphql", json={"query": query, "variables": variables},
                          headers={"Authorization": f"Bearer {token(settings, role, subject)}"})
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body
    [payload] = body["data"].values()
    assert payload["errors"] == [], payload
    return dict(payload)


def owner_answers(server: LiveServer, settings: Settings, region: str, n: int,
                  delivered_days_ago: int, touchpoint: str, answer: tuple[int, int]) -> None:
    from strawberry.relay import GlobalID

    owner = call(server, settings, REGISTER_OWNER, {"input": {
        "name": f"Owner {region} {n}", "email": f"owner-{region.lower()}-{n}@example.com",
        "region": region}}, Role.ADMIN)["owner"]["id"]
    delivered = datetime.now(UTC) - timedelta(days=delivered_days_ago)
    vehicle = call(server, settings, REGISTER_VEHICLE, {"input": {
        "ownerId": owner, "vin": random_vin(), "modelId": "volta-one",
        "deliveredAt": delivered.isoformat()}}, Role.ADMIN)["vehicle"]["id"]
    nps, csat = answer
    call(server, settings, SUBMIT_FEEDBACK, {"input": {
        "touchpoint": touchpoint, "npsScore": nps, "csatScore": csat, "vehicleId": vehicle}},
        Role.OWNER, GlobalID.from_id(owner).node_id)


def seed(server: LiveServer, settings: Settings) -> None:
    """DE owners are in their first 90 days (ONBOARDING), FR owners past them."""
    for n, answer in enumerate(DE):
        owner_answers(server, settings, "DE", n, 30, "DELIVERY", answer)
    for n, answer in enumerate(FR):
        owner_answers(server, settings, "FR", n, 120, "CHARGING", answer)
    server.run(refresh_stages(server.app.state.deps))  # the daily stage sweep


def sign_in(page: Page, jwt: str) -> None:
    page.goto("/dashboard")
    page.wait_for_selector("#main[data-state=signed-out]")
    page.fill("[data-testid=token]", jwt)
    page.click("[data-testid=sign-in]")


def kpi(page: Page, name: str) -> tuple[str | None, str]:
    """The figure's raw value ("" when suppressed) and the text shown."""
    item = page.locator(f"[data-testid=kpi-{name}]")
    return item.get_attribute("data-value"), item.locator("dd").inner_text()


def charts(page: Page) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = page.evaluate(CHART_DATA)
    for name, chart in found.items():
        assert chart["width"] > 0, name
        assert chart["drawn"] == len(chart["labels"]), name  # an element per label
    return found


def by_label(chart: dict[str, Any]) -> dict[str, list[Any]]:
    return {label: [data[i] for data in chart["data"]] for i, label in enumerate(chart["labels"])}


def test_the_dashboard_shows_the_survey_figures_and_filters_by_region(
        server: LiveServer, settings: Settings, page: Page) -> None:
    seed(server, settings)
    sign_in(page, token(settings, Role.OEM_ANALYST, "analyst-1"))
    page.wait_for_selector("#main[data-state=ready][data-generation='1']")

    assert kpi(page, "npsScore") == (str(ALL_NPS), f"{ALL_NPS:.1f}")
    assert kpi(page, "csatPercent") == (str(ALL_CSAT), f"{ALL_CSAT:.1f} %")
    assert kpi(page, "responses") == ("11", "11")
    assert kpi(page, "owners") == ("11", "11")
    assert kpi(page, "serviceRetentionRate")[0] == ""  # no service came due: no figure
    assert kpi(page, "serviceRetentionRate")[1].startswith("—")
    drawn = charts(page)
    assert set(drawn) == {"funnel", "touchpoints", "engagement", "satisfaction", "regions"}
    assert by_label(drawn["funnel"]) == {"Onboarding": [6], "Early ownership": [5],
                                         "Established": [None], "Renewal": [None],
                                         "Lapsed": [None]}
    touchpoints = by_label(drawn["touchpoints"])
    assert touchpoints["Delivery"] == [DE_NPS, DE_CSAT]
    assert touchpoints["Charging"] == [FR_NPS, FR_CSAT]
    satisfaction = drawn["satisfaction"]
    assert satisfaction["labels"][-1] == datetime.now(UTC).strftime("%Y-%m")
    assert [data[-1] for data in satisfaction["data"]] == [ALL_NPS, ALL_CSAT]
    assert "Onboarding" in page.locator("[data-testid=table-transitions]").inner_text()

    page.fill("[data-testid=filter-regions]", "de")
    page.click("[data-testid=apply]")
    page.wait_for_selector("#main[data-state=ready][data-generation='2']")

    assert kpi(page, "npsScore") == (str(DE_NPS), f"{DE_NPS:.1f}")
    assert kpi(page, "csatPercent") == (str(DE_CSAT), f"{DE_CSAT:.1f} %")
    assert kpi(page, "owners") == ("6", "6")
    drawn = charts(page)
    assert by_label(drawn["funnel"])["Onboarding"] == [6]
    assert by_label(drawn["funnel"])["Early ownership"] == [None]  # FR's owners are gone
    assert by_label(drawn["touchpoints"])["Delivery"] == [DE_NPS, DE_CSAT]
    assert by_label(drawn["touchpoints"]).get("Charging", [None, None]) == [None, None]
    assert "DE" in page.locator("[data-testid=scope]").inner_text()


def test_a_token_without_the_analyst_role_is_refused_with_a_clear_message(
        settings: Settings, page: Page) -> None:
    sign_in(page, token(settings, Role.OWNER, "owner-1"))
    page.wait_for_selector("#main[data-state=signed-out] [data-testid=error]:not([hidden])")
    assert "OEM_ANALYST or ADMIN" in page.locator("[data-testid=error]").inner_text()

    page.fill("[data-testid=token]", "not-a-jwt")
    page.click("[data-testid=sign-in]")
    page.wait_for_selector("[data-testid=error]:text('refused')")
    assert page.is_visible("#login")
    assert not page.is_visible("#dashboard")

"""A real browser for the page tests: Debian's headless Chromium driven by Playwright, with what
every page is checked for (axe-core's serious and critical violations, a label on every input,
every control reached by Tab) and a screenshot of every state kept as a test artefact.

Playwright cannot download its own browser here, so it drives /usr/bin/chromium (`make test`
installs Debian's `chromium` when it is missing, and axe-core from npm into .cache/node)."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, Page, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
# Without the background-networking flags Chromium keeps calling Google's hosts, which this
# machine's closed network refuses; as root it needs --no-sandbox.
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE = ROOT / ".cache" / "node" / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"  # git-ignored; kept after the run
PHONE = {"width": 390, "height": 844}  # the citizen's page is mobile first
DESK = {"width": 1280, "height": 900}  # the operator's dashboard is for a desk screen


def missing() -> str | None:
    """What the browser tests lack on this machine, said as how to get it; None if nothing."""
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing: `make test` installs Debian's chromium"
    if not AXE.exists():
        return f"{AXE} is missing: `make test` installs axe-core with npm"
    return None


@contextmanager
def chromium() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=FLAGS, headless=True
        )
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def phone(browser: Browser) -> Iterator[Page]:
    """A new phone-sized tab with its own session storage. The page forbids scripts it did not
    ship (CSP): the tests bypass that only to inject axe-core."""
    context = browser.new_context(viewport=PHONE, bypass_csp=True, locale="vi-VN")
    try:
        yield context.new_page()
    finally:
        context.close()


@contextmanager
def desk(browser: Browser) -> Iterator[Page]:
    """A new desk-sized tab with its own session storage (as `phone`, for the dashboard)."""
    context = browser.new_context(viewport=DESK, bypass_csp=True, locale="en-GB")
    try:
        yield context.new_page()
    finally:
        context.close()


def shoot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations of the page as it stands."""
    page.add_script_tag(path=str(AXE))
    found = page.evaluate("async () => (await axe.run(document)).violations")
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]]}
        for v in found
        if v["impact"] in ("serious", "critical")
    ]


def unlabelled(page: Page) -> list[str]:
    """Inputs, selects and text areas with no label a screen reader would read."""
    return list(
        page.evaluate(
            """() => [...document.querySelectorAll('input, select, textarea')]
              .filter(e => e.type !== 'hidden')
              .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')
                           && !e.getAttribute('aria-labelledby'))
              .map(e => e.outerHTML)"""
        )
    )


def unreachable(page: Page, presses: int = 80) -> list[str]:
    """Visible, enabled controls that Tab never reaches (a group of radio buttons is one stop:
    the arrow keys move within it, as in every browser)."""
    controls = page.evaluate(
        """() => {
          const all = [...document.querySelectorAll('a[href], button, input, select, textarea')]
            .filter(e => !e.disabled && e.getClientRects().length);
          const key = e => e.type === 'radio' ? 'radio:' + e.name : null;
          all.forEach((e, i) => e.dataset.kb = key(e) || String(i));
          return [...new Set(all.map(e => e.dataset.kb))];
        }"""
    )
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    reached: set[str] = set()
    for _ in range(presses):
        page.keyboard.press("Tab")
        reached.add(page.evaluate("() => document.activeElement.dataset.kb || ''"))
        if reached >= set(controls):
            break
    return [c for c in controls if c not in reached]


def check(page: Page, name: str) -> None:
    """Screenshot this state of the page, then hold it to the accessibility checks."""
    shoot(page, name)
    assert axe_violations(page) == [], name
    assert unlabelled(page) == [], name
    assert unreachable(page) == [], name

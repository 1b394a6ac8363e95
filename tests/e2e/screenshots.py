"""Take the README's screenshots of the main pages, light and dark, with Debian's Chromium.

    python -m tests.e2e.screenshots [--out docs/screenshots]
    python -m tests.e2e.screenshots --compare after   # docs/screenshots/compare/<page>-after.png

Starts `streamlit run app.py` over a freshly seeded embedded store (like the browser tests) and
saves one PNG per page and theme. ``--compare LABEL`` takes the whole length of the four pages of
the before/after pairs (Overview, Budgets, Finance reports, System performance), light theme only,
as ``<page>-<LABEL>.png``: run it on the commit before a change with ``before`` and after it with
``after``.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, seed_e2e_data, start_server, stop_server

#: The pages of the before/after pairs (``--compare``).
COMPARED = ("overview", "budgets", "system-performance", "finance-reports")
#: Height of the window for ``--compare``: tall enough for a whole page (Streamlit scrolls
#: inside the app, so Playwright's full-page option would stop at the window).
TALL = 3200

PAGES = [
    ("user", "overview", "overview"),
    ("user", "budgets", "budgets"),
    ("user", "transactions", "transactions"),
    ("product", "usage", "usage"),
    ("product", "system-performance", "system-performance"),
    ("finance", "finance-reports", "finance-reports"),
]


def _wait_for_content(page, wait_idle) -> None:
    """Wait until the page drew a chart or a table and its script runs are over: a page whose
    first run starts late would otherwise be shot blank."""
    content = page.locator("[data-testid=stPlotlyChart], [data-testid=stDataFrame]")
    for _ in range(200):
        wait_idle(page)
        if content.count() > 0:
            break
        page.wait_for_timeout(100)
    wait_idle(page)
    page.wait_for_timeout(2000)


def _fit_height(page) -> None:
    """Shrink the tall window to the page's content, so a whole-page shot has no blank tail."""
    used = page.evaluate(
        "() => document.querySelector('[data-testid=stMainBlockContainer]').scrollHeight"
    )
    page.set_viewport_size({"width": 1400, "height": min(TALL, int(used) + 120)})
    page.wait_for_timeout(1000)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    parser.add_argument("--compare", metavar="LABEL", help="whole-page shots named <page>-LABEL")
    args = parser.parse_args()
    if args.compare:
        args.out = args.out / "compare"
    args.out.mkdir(parents=True, exist_ok=True)
    pages = [p for p in PAGES if p[2] in COMPARED] if args.compare else PAGES
    schemes = ("light",) if args.compare else ("light", "dark")
    height = TALL if args.compare else 1100
    from playwright.sync_api import sync_playwright

    from tests.e2e.test_browser import login, wait_idle

    work = Path(tempfile.mkdtemp())
    server = start_server(seed_e2e_data(work / "data"), work / "server.log")
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            for scheme in schemes:
                for role, url_path, name in pages:
                    context = browser.new_context(
                        viewport={"width": 1400, "height": height}, color_scheme=scheme
                    )
                    page = context.new_page()
                    page.set_default_timeout(45_000)
                    login(page, server, role)
                    page.goto(f"{server.url}/{url_path}")
                    page.get_by_role("heading").first.wait_for()
                    _wait_for_content(page, wait_idle)
                    if args.compare:
                        _fit_height(page)
                    file = f"{name}-{args.compare}.png" if args.compare else f"{name}-{scheme}.png"
                    page.screenshot(path=str(args.out / file))
                    context.close()
                    print(f"saved {file}")
            browser.close()
    finally:
        stop_server(server)


if __name__ == "__main__":
    main()

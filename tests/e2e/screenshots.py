"""Take the README's screenshots of the main pages, light and dark, with Debian's Chromium.

    python -m tests.e2e.screenshots [--out docs/screenshots]

Starts `streamlit run app.py` over a freshly seeded embedded store (like the browser tests) and
saves one PNG per page and theme.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, seed_e2e_data, start_server, stop_server

PAGES = [
    ("user", "overview", "overview"),
    ("user", "budgets", "budgets"),
    ("user", "transactions", "transactions"),
    ("product", "usage", "usage"),
    ("product", "system-performance", "system-performance"),
    ("finance", "finance-reports", "finance-reports"),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    from playwright.sync_api import sync_playwright

    from tests.e2e.test_browser import login, wait_idle

    work = Path(tempfile.mkdtemp())
    server = start_server(seed_e2e_data(work / "data"), work / "server.log")
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            for scheme in ("light", "dark"):
                for role, url_path, name in PAGES:
                    context = browser.new_context(
                        viewport={"width": 1400, "height": 1100}, color_scheme=scheme
                    )
                    page = context.new_page()
                    page.set_default_timeout(45_000)
                    login(page, server, role)
                    page.goto(f"{server.url}/{url_path}")
                    page.get_by_role("heading").first.wait_for()
                    wait_idle(page)
                    page.wait_for_timeout(1500)
                    page.screenshot(path=str(args.out / f"{name}-{scheme}.png"))
                    context.close()
                    print(f"saved {name}-{scheme}.png")
            browser.close()
    finally:
        stop_server(server)


if __name__ == "__main__":
    main()

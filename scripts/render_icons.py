"""Render the PNG icons (favicon, apple-touch-icon, web app manifest icons) from the SVG mark.

    PYTHONPATH=. .venv/bin/python scripts/render_icons.py

Uses Playwright with Chromium (CHROMIUM_PATH, default /usr/bin/chromium), as the browser tests
do. Run it again after changing static/icons/mark.svg and commit the PNGs it writes.
"""
from __future__ import annotations

import os
from pathlib import Path

from playwright.sync_api import sync_playwright

ICONS = Path(__file__).resolve().parent.parent / "static" / "icons"
# name: (size in px, background). The Apple home-screen icon is filled: iOS paints a
# transparent corner black.
TARGETS = {
    "favicon-32.png": (32, None),
    "apple-touch-icon.png": (180, "#ffffff"),
    "icon-192.png": (192, None),
    "icon-512.png": (512, None),
}


def main() -> None:
    svg = (ICONS / "mark.svg").read_text(encoding="utf-8")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"),
            args=["--no-sandbox", "--disable-gpu"])
        for name, (size, background) in TARGETS.items():
            page = browser.new_page(viewport={"width": size, "height": size})
            fill = background or "transparent"
            page.set_content(
                f"<!doctype html><html><body style='margin:0;background:{fill}'>"
                f"<div style='width:{size}px;height:{size}px'>{svg}</div></body></html>")
            page.locator("svg").evaluate(
                f"svg => {{ svg.setAttribute('width', {size}); svg.setAttribute('height', {size}); }}")
            page.screenshot(path=str(ICONS / name), omit_background=background is None,
                            clip={"x": 0, "y": 0, "width": size, "height": size})
            page.close()
            print(f"wrote {ICONS / name}")
        browser.close()


if __name__ == "__main__":
    main()

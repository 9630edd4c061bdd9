"""Chinese renders as glyphs, not as boxes, in the steward page's own font stack (Chromium on Debian
shows every Chinese character as the same box when no CJK font is installed; .ci/run installs
`fonts-noto-cjk`).

Each character of a Chinese name is drawn alone, at the same place and size, in the page's body font
and language (zh-CN), and screenshotted: real glyphs of different characters differ pixel for pixel,
while the boxes a missing font leaves are identical. The same check, run by a Chromium whose fontconfig
knows only DejaVu (no CJK), must see identical boxes: so the check can tell the two apart."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.store.embedded import EmbeddedStore
from tests.integration.browser import CHROMIUM, c360_serve, needs_chromium

pytestmark = needs_chromium

# A customer's name and the steward page's own words: common characters any CJK font has.
CHARACTERS = "欧阳张伟归并"
DEJAVU = Path("/usr/share/fonts/truetype/dejavu")


@pytest.fixture(scope="module")
def steward_page(embedded_store: EmbeddedStore, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    keys = tmp_path_factory.mktemp("cjk") / "keys.toml"
    keys.write_text("", encoding="utf-8")
    with c360_serve(embedded_store, C360_API_KEYS_FILE=str(keys)) as base:
        yield f"{base}/steward/"


def dejavu_only(directory: Path) -> dict[str, str]:
    """The environment of a Chromium whose fontconfig knows only DejaVu (no CJK font)."""
    if not any(DEJAVU.glob("DejaVuSans*.ttf")):
        pytest.skip(f"no DejaVu fonts in {DEJAVU} (Debian package fonts-dejavu-core)")
    config = directory / "fonts.conf"
    config.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n'
        f"  <dir>{DEJAVU}</dir>\n  <cachedir>{directory / 'cache'}</cachedir>\n</fontconfig>\n",
        encoding="utf-8",
    )
    return {**os.environ, "FONTCONFIG_FILE": str(config)}


def rendered(url: str, env: dict[str, str] | None) -> tuple[dict[str, bytes], bytes, bytes, list[str]]:
    """Screenshots of each of CHARACTERS, of the empty probe and of a Latin letter, drawn alone in the
    page's body font; and the fonts Chromium used for the last Chinese character."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"], env=env)
        try:
            page = browser.new_page(viewport={"width": 800, "height": 600})
            page.goto(url)
            assert page.evaluate("document.documentElement.lang") == "zh-CN"
            # The probe inherits the page's font stack and language; only size and place are fixed.
            page.evaluate(
                """() => {
                    const probe = document.createElement('div');
                    probe.id = 'cjk-probe';
                    probe.style.cssText = 'position:fixed;left:0;top:0;z-index:9999;width:64px;height:64px;'
                        + 'line-height:64px;text-align:center;font-size:40px;background:#fff;color:#000';
                    document.body.appendChild(probe);
                }"""
            )
            probe = page.locator("#cjk-probe")

            def shot(text: str) -> bytes:
                probe.evaluate("(element, text) => { element.textContent = text; }", text)
                return probe.screenshot(animations="disabled")

            glyphs = {character: shot(character) for character in CHARACTERS}
            blank, latin = shot(""), shot("A")
            shot(CHARACTERS[-1])
            cdp = page.context.new_cdp_session(page)
            cdp.send("DOM.enable")
            cdp.send("CSS.enable")
            root = cdp.send("DOM.getDocument")["root"]["nodeId"]
            node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": "#cjk-probe"})["nodeId"]
            fonts = [font["familyName"] for font in cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]]
        finally:
            browser.close()
    return glyphs, blank, latin, fonts


def test_chinese_renders_as_distinct_glyphs(steward_page: str) -> None:
    glyphs, blank, latin, fonts = rendered(steward_page, env=None)
    assert latin != blank, "the probe drew nothing at all"
    empty = [character for character, image in glyphs.items() if image == blank]
    assert not empty, f"drawn as nothing: {empty} (fonts used: {fonts})"
    different = len(set(glyphs.values()))
    assert different == len(CHARACTERS), (
        f"{len(CHARACTERS)} different characters drew only {different} different images: "
        f"boxes instead of glyphs, no CJK font (Debian: fonts-noto-cjk); fonts used: {fonts}"
    )


def test_without_a_cjk_font_the_same_check_sees_boxes(steward_page: str, tmp_path: Path) -> None:
    """The negative: the comparison above would fail on a machine without a CJK font."""
    glyphs, blank, latin, fonts = rendered(steward_page, env=dejavu_only(tmp_path))
    assert latin != blank, "DejaVu drew no Latin letter: the restricted fontconfig is not in use"
    different = len(set(glyphs.values()))
    assert different == 1, f"without a CJK font the characters still differ ({different} images; fonts: {fonts})"
    assert not any("CJK" in font for font in fonts), fonts

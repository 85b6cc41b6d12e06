"""Take the documentation's screenshots (docs/*.png): the home page, the workspace
while a tool is being written, its Checks tab, the share page, and the share page
on a phone. Runs Kiln against the fake model provider (a slow stream, so the
workspace is caught mid-stream) and real Chromium.

    .venv/bin/python scripts/screenshots.py            # writes docs/*.png
"""
from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import expect, sync_playwright  # noqa: E402

from tester.chromium import launch_options  # noqa: E402
from settings import Settings  # noqa: E402
from testkit.fake_llm import FakeLLM, Script  # noqa: E402
from testkit.pages import wait_for_written  # noqa: E402
from testkit.serving import serve_kiln  # noqa: E402

DOCS = ROOT / "docs"

TIP = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Tip splitter</title>
<style>
body{font:16px/1.5 system-ui,sans-serif;margin:0;background:#f4f1ec;color:#222;display:grid;place-items:center;min-height:100vh}
.card{background:#fff;padding:2rem 2.25rem;border-radius:16px;box-shadow:0 8px 30px rgba(0,0,0,.08);width:min(24rem,90vw)}
h1{margin:0 0 1rem;font-size:1.4rem}label{display:block;margin:.75rem 0 .25rem;color:#555;font-size:.9rem}
input{width:100%;font:inherit;padding:.5rem .7rem;border:1px solid #ddd;border-radius:8px;box-sizing:border-box}
.row{display:flex;gap:.5rem}.row button{flex:1;padding:.5rem;border:1px solid #ddd;background:#fafafa;border-radius:8px;font:inherit;cursor:pointer}
.row button.on{background:#b4441c;color:#fff;border-color:#b4441c}
.out{margin-top:1.25rem;padding:1rem;background:#fbe9e1;border-radius:12px;display:flex;justify-content:space-between}
.out strong{font-size:1.6rem}
</style></head>
<body><main class="card"><h1>Tip splitter</h1>
<label for="bill">Bill</label><input id="bill" type="number" value="84.50" min="0" step="0.01">
<label>Tip</label><div class="row" id="tips"><button>10%</button><button class="on">15%</button><button>20%</button></div>
<label for="people">People</label><input id="people" type="number" value="3" min="1">
<div class="out"><span>Each pays</span><strong id="each">$32.39</strong></div></main>
<script>
const $ = (id) => document.getElementById(id);
let rate = 0.15;
function update() {
  const bill = parseFloat($("bill").value) || 0, people = Math.max(1, parseInt($("people").value) || 1);
  $("each").textContent = "$" + (bill * (1 + rate) / people).toFixed(2);
}
document.querySelectorAll("#tips button").forEach((b) => b.addEventListener("click", () => {
  document.querySelectorAll("#tips button").forEach((x) => x.classList.remove("on"));
  b.classList.add("on"); rate = parseInt(b.textContent) / 100; update();
}));
$("bill").addEventListener("input", update); $("people").addEventListener("input", update); update();
</script></body></html>"""

PALETTE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Palette maker</title>
<style>body{margin:0;font:15px system-ui;display:flex;flex-direction:column;height:100vh}
.sw{flex:1;display:flex;align-items:flex-end;padding:1rem;color:#fff;font:600 1rem ui-monospace,monospace;text-shadow:0 1px 2px #0006}
header{padding:.75rem 1rem;display:flex;justify-content:space-between;align-items:center;background:#111;color:#eee}
button{font:inherit;padding:.35rem .8rem;border-radius:6px;border:0;background:#eee}</style></head>
<body><header><b>Palette maker</b><button id="go">New palette</button></header><div id="p" style="display:flex;flex:1"></div>
<script>
function hsl(h,s,l){return `hsl(${h} ${s}% ${l}%)`}
function draw(){const p=document.getElementById('p');p.innerHTML='';const h=Math.random()*360|0;
for(let i=0;i<5;i++){const d=document.createElement('div');d.className='sw';const c=hsl((h+i*24)%360,60+i*5,35+i*9);
d.style.background=c;d.textContent=c;p.appendChild(d)}}
document.getElementById('go').onclick=draw;draw();
</script></body></html>"""

WORDS = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Word counter</title>
<style>body{font:16px/1.5 Georgia,serif;max-width:40rem;margin:2rem auto;padding:0 1rem;background:#fffdf7}
textarea{width:100%;height:14rem;font:inherit;padding:.75rem;border:1px solid #d6cfc0;border-radius:8px;box-sizing:border-box}
.stats{display:flex;gap:1.5rem;margin-top:.75rem;font-family:system-ui}.stats b{font-size:1.4rem;display:block}</style></head>
<body><h1>Word counter</h1><textarea id="t">Paste or type your text here. Kiln counts words, characters and reading time as you type.</textarea>
<div class="stats"><span><b id="w">0</b>words</span><span><b id="c">0</b>characters</span><span><b id="r">0</b>min read</span></div>
<script>const t=document.getElementById('t');function u(){const w=(t.value.match(/\\S+/g)||[]).length;
document.getElementById('w').textContent=w;document.getElementById('c').textContent=t.value.length;
document.getElementById('r').textContent=Math.max(1,Math.round(w/220))}t.oninput=u;u();</script></body></html>"""


# The tip splitter's acceptance checks, as a model writes them first.
TIP_CHECKS = """[
  {"name": "splits the bill three ways", "steps": [
    {"expect": "#each", "text": "$32.39"}
  ]},
  {"name": "a 20% tip raises each share", "steps": [
    {"click": "text=20%"},
    {"expect": "#each", "text": "$33.80"}
  ]},
  {"name": "one person pays it all", "steps": [
    {"fill": "#people", "text": "1"},
    {"expect": "#each", "text": "$97.17"}
  ]},
  {"name": "an empty bill is no charge", "steps": [
    {"fill": "#bill", "text": ""},
    {"expect": "#each", "text_is": "$0.00"},
    {"expect_no_errors": true}
  ]}
]"""


def answer(notes: str, doc: str, checks: str | None = None) -> str:
    block = f"```kiln-checks\n{checks}\n```\n\n" if checks else ""
    return f"{notes}\n\n{block}```html\n{doc}\n```\n"


def shoot(page, name: str, full_page: bool = False) -> None:
    path = DOCS / name
    page.screenshot(path=str(path), full_page=full_page)
    print(f"{path.relative_to(ROOT)}: {path.stat().st_size // 1024} KB")


def main() -> None:
    DOCS.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp, FakeLLM() as fake:
        overrides = dict(provider="anthropic", anthropic_api_key="fake", anthropic_base_url=fake.url,
                         retry_backoff_s=0, retry_backoff_max_s=0, smoke_on_save=True)
        with serve_kiln(Path(tmp), **overrides) as kiln, sync_playwright() as playwright:
            browser = playwright.chromium.launch(**launch_options(Settings().resolved_chromium_path()))
            owner = browser.new_context(viewport={"width": 1280, "height": 800}, color_scheme="light")
            owner.set_default_timeout(30_000)
            page = owner.new_page()

            # A few finished tools for the gallery.
            fake.script(answer("A palette generator: five harmonious colours per click.", PALETTE),
                        answer("A word counter with reading time.", WORDS))
            for prompt in ("A random colour palette generator", "Count words and reading time"):
                page.goto(kiln.app_origin)
                page.fill("#prompt", prompt)
                page.keyboard.press("Enter")
                wait_for_written(page)
            kiln.kiln.verdicts.wait(timeout=60)

            page.goto(kiln.app_origin)
            expect(page.locator(".card img").first).to_be_visible()
            page.fill("#prompt", "A tip calculator that splits the bill between friends")
            shoot(page, "home.png", full_page=True)

            # The workspace mid-stream: a slow answer, caught once the preview is drawing.
            fake.script(Script(answer("Here is a **tip splitter**: pick a tip, enter the bill and "
                                      "the number of people, and each share updates as you type.",
                                      TIP, TIP_CHECKS), tokens_per_second=60, chunk_chars=12))
            page.keyboard.press("Enter")
            page.wait_for_url("**/a/**")
            page.wait_for_function(
                "() => document.querySelector('[data-drafts]')?.dataset.rendered >= 4"
                " && document.querySelector('[data-code]').textContent.includes('<script')"
                " && document.querySelector('[data-live-notes] strong')")
            shoot(page, "workspace-streaming.png")
            wait_for_written(page, timeout=60_000)
            kiln.kiln.verdicts.wait(timeout=60)
            share_url = page.input_value("#share-url")
            page.locator("#tab-checks").click()
            shoot(page, "workspace-checks.png")

            # What someone with the link sees.
            viewer = browser.new_context(viewport={"width": 1280, "height": 800}, color_scheme="dark")
            shared = viewer.new_page()
            shared.goto(share_url)
            expect(shared.frame_locator("#artifact-frame").locator("#each")).to_have_text("$32.39")
            time.sleep(0.3)
            shoot(shared, "share.png")

            # The same link on a phone: the tool in the first screen, the actions in a menu.
            phone = browser.new_context(viewport={"width": 390, "height": 844}, color_scheme="light",
                                        device_scale_factor=2, is_mobile=True, has_touch=True)
            small = phone.new_page()
            small.goto(share_url)
            expect(small.frame_locator("#artifact-frame").locator("#each")).to_have_text("$32.39")
            time.sleep(0.3)
            shoot(small, "phone.png")
            browser.close()


if __name__ == "__main__":
    main()

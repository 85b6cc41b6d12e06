"""The mirror in real Chromium: every library loads and works inside the artifact
sandbox (opaque origin, artifact CSP), and imported tools that load libraries
from public CDNs work offline once rewritten."""
from __future__ import annotations

import base64
import json
import re

import pytest
from playwright.sync_api import expect

from mirror.libraries import LIBRARIES, find
from testkit.clients import post_artifact
from testkit.files import sqlite_bytes, xlsx_bytes


class Watch:
    """Everything that went wrong on a page, and every URL it asked for."""

    def __init__(self, page):
        self.errors: list[str] = []
        self.requests: list[str] = []
        # A library probing a sensor the sandbox denies (p5 asks for motion events) is the
        # policy working, not the library failing.
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error"
                and not m.text.startswith("Permissions policy violation") else None)
        page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))
        page.on("requestfailed", lambda r: self.errors.append(f"failed: {r.url} {r.failure}"))
        page.on("response", lambda r: self.errors.append(f"{r.status}: {r.url}")
                if r.status >= 400 else None)
        page.on("request", lambda r: self.requests.append(r.url))

    def assert_clean(self, sandbox_origin: str, *also: str):
        assert self.errors == []
        outside = [u for u in self.requests if not u.startswith(
            (sandbox_origin + "/", "data:", "blob:null/", *(origin + "/" for origin in also)))]
        assert outside == []


def library(key: str):
    """A library by its key here: the package name for its current version,
    NAME@VERSION for an older major the mirror holds beside it."""
    name, at, version = key[1:].rpartition("@") if key.startswith("@") else key.rpartition("@")
    if not at:
        return find(key)
    return find(key[0] + name if key.startswith("@") else name, version)


def key_of(lib) -> str:
    return lib.name if lib.current else f"{lib.name}@{lib.version}"


def page_for(lib_names: list[str], body: str) -> str:
    tags = "\n".join(tag for name in lib_names for tag in library(name).tags()
                     if not tag.startswith("import "))
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>t</title>\n{tags}\n"
            f"</head><body>\n{body}\n</body></html>")


# A workbook and a database made here, not by the library that reads them back.
BUDGET_ROWS = [["month", "spent", "budget"], ["Jan", 40, 100], ["Feb", 75.5, 100], ["Mar", 120, 100]]
BUDGET_XLSX = xlsx_bytes(BUDGET_ROWS)
SHOP_DB = sqlite_bytes("""
    CREATE TABLE sales (id INTEGER PRIMARY KEY, region TEXT, units INTEGER);
    INSERT INTO sales (region, units) VALUES ('North', 12), ('South', 9), ('North', 5), ('East', 7);
""")


def js_bytes(data: bytes) -> str:
    """A JavaScript expression for these bytes, as a Uint8Array."""
    return f"Uint8Array.from(atob('{base64.b64encode(data).decode()}'), c => c.charCodeAt(0))"


# A one-page PDF with "Hello Kiln" in Helvetica, as JavaScript building it.
TINY_PDF = """[
  '%PDF-1.4', '1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj',
  '2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj',
  '3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 100]/Contents 4 0 R'
    + '/Resources<</Font<</F1 5 0 R>>>>>>endobj',
  '4 0 obj<</Length 44>>stream', 'BT /F1 24 Tf 20 40 Td (Hello Kiln) Tj ET',
  'endstream endobj', '5 0 obj<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>endobj',
  'trailer<</Root 1 0 R>>', '%%EOF'].join('\\n')"""

# Dark pixels on a canvas: the text pdf.js drew.
CANVAS_HAS_INK = """const c = document.getElementById('c');
  const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let dark = 0; for (let i = 0; i < px.length; i += 4)
    if (px[i] < 100 && px[i + 3] > 200) dark++;
  return dark > 100;"""

# For each library: the page body, and a check evaluated once the page is ready.
# Each check fails unless the library actually ran (not just loaded).
LIBRARY_CHECKS = {
    # Not loaded by pages: the bootstrap brings it to a page that uses indexedDB.
    "fake-indexeddb": ([], """<output id="out"></output><script>
        const r = indexedDB.open('db');
        r.onupgradeneeded = () => r.result.createObjectStore('s');
        r.onsuccess = () => {
          const tx = r.result.transaction('s', 'readwrite');
          tx.objectStore('s').put('v', 'k');
          tx.oncomplete = () => { document.getElementById('out').textContent = 'stored'; };
        };</script>""", "() => document.getElementById('out')?.textContent === 'stored'"),
    "react": (["react", "react-dom"], """<div id="root"></div><script>
        ReactDOM.createRoot(document.getElementById('root'))
          .render(React.createElement('p', {id: 'out'}, 'hello ' + React.version));</script>""",
              "() => document.getElementById('out')?.textContent === 'hello 18.3.1'"),
    "react-dom": (["react", "react-dom"], """<div id="root"></div><script>
        ReactDOM.createRoot(document.getElementById('root'))
          .render(React.createElement('b', {id: 'out'}, 'dom'));</script>""",
                  "() => document.querySelector('#root b#out')?.textContent === 'dom'"),
    "@babel/standalone": (["react", "react-dom", "@babel/standalone"], """<div id="root"></div>
        <script type="text/babel">
          const App = () => <p id="out">{[1, 2, 3].map(n => n * 2).join(',')}</p>;
          ReactDOM.createRoot(document.getElementById('root')).render(<App />);
        </script>""", "() => document.getElementById('out')?.textContent === '2,4,6'"),
    "chart.js": (["chart.js"], """<canvas id="c" width="300" height="150"></canvas><script>
        new Chart(document.getElementById('c'), {type: 'bar', options: {animation: false,
          responsive: false}, data: {labels: ['a', 'b'], datasets: [{label: 'n', data: [3, 5],
          backgroundColor: '#e11'}]}});</script>""",
                 """() => { const c = document.getElementById('c');
                   const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                   let red = 0; for (let i = 0; i < px.length; i += 4)
                     if (px[i] > 200 && px[i + 1] < 60 && px[i + 3] > 200) red++;
                   return red > 500; }"""),
    "d3": (["d3"], """<svg id="s" width="100" height="50"></svg><script>
        d3.select('#s').selectAll('rect').data([10, 20, 30]).join('rect')
          .attr('x', (d, i) => i * 30).attr('height', d => d).attr('width', 20);</script>""",
           "() => document.querySelectorAll('#s rect').length === 3 && d3.sum([1, 2]) === 3"),
    "three": (["three"], """<p id="out"></p><script type="module">
        import * as THREE from 'three';
        import { OrbitControls } from 'three/addons/controls/OrbitControls.js';
        const v = new THREE.Vector3(1, 2, 2);
        document.getElementById('out').textContent =
          THREE.REVISION + ':' + v.length() + ':' + typeof OrbitControls;</script>""",
              "() => document.getElementById('out').textContent === '187:3:function'"),
    "lodash": (["lodash"], "<script>window.out = _.chunk([1, 2, 3, 4, 5], 2).length;</script>",
               "() => window.out === 3"),
    "papaparse": (["papaparse"], """<script>
        window.out = Papa.parse('a,b\\n1,2\\n3,4', {header: true}).data[1].b;</script>""",
                  "() => window.out === '4'"),
    "marked": (["marked"], """<div id="out"></div><script>
        document.getElementById('out').innerHTML = marked.parse('# Title\\n\\n**bold**');</script>
        <script type="module">
        import { marked as m } from '/lib/marked@18.2.1/lib/marked.esm.js';
        window.esm = m.parse('*x*');</script>""",
               """() => document.querySelector('#out h1')?.textContent === 'Title'
                   && document.querySelector('#out strong')?.textContent === 'bold'
                   && window.esm?.includes('<em>x</em>')"""),
    "dompurify": (["dompurify"], """<script>
        window.out = DOMPurify.sanitize('<img src=x onerror=alert(1)><b>ok</b>');</script>""",
                  "() => window.out === '<img src=\"x\"><b>ok</b>'"),
    "mathjs": (["mathjs"], "<script>window.out = math.format(math.evaluate('12.7 cm to inch'));"
                           "</script>",
               "() => window.out === '5 inch'"),
    "tone": (["tone"], """<script>window.out = typeof Tone.Synth + ':' +
        Tone.Frequency('A4').toFrequency();</script>""",
             "() => window.out === 'function:440'"),
    "leaflet": (["leaflet"], """<div id="map" style="height:200px;width:300px"></div><script>
        const map = L.map('map').setView([51.5, -0.09], 13);
        L.marker([51.5, -0.09]).addTo(map);</script>""",
                """() => { const img = document.querySelector('img.leaflet-marker-icon');
                  const shadow = document.querySelector('img.leaflet-marker-shadow');
                  const map = document.getElementById('map');
                  return img && img.complete && img.naturalWidth === 25
                    && shadow && shadow.complete && shadow.naturalWidth > 0
                    && getComputedStyle(map).overflow === 'hidden'; }"""),
    "katex": (["katex"], """<div id="out"></div><p id="auto">Inline $$a^2$$ here</p><script>
        katex.render('c = \\\\pm\\\\sqrt{a^2 + b^2}', document.getElementById('out'));
        renderMathInElement(document.getElementById('auto'));</script>""",
              """async () => { await document.fonts.ready;
                return !!document.querySelector('#out .katex-html')
                  && !!document.querySelector('#auto .katex')
                  && document.fonts.check('16px KaTeX_Main')
                  && [...document.fonts].some(f => f.family.includes('KaTeX_Main')
                                                   && f.status === 'loaded'); }"""),
    "@highlightjs/cdn-assets": (["@highlightjs/cdn-assets"],
        """<pre><code id="c" class="language-javascript">const x = 1; // hi</code></pre>
        <script>hljs.highlightElement(document.getElementById('c'));</script>""",
        """() => { const kw = document.querySelector('#c .hljs-keyword');
          return kw && kw.textContent === 'const'
            && getComputedStyle(kw).color !== getComputedStyle(document.body).color; }"""),
    "jquery": (["jquery"], """<ul id="l"><li>a</li><li>b</li></ul><script>
        $(() => { $('#l li').addClass('seen'); window.out = $('#l .seen').length + ':' + $.fn.jquery; });
        </script>""", "() => window.out === '2:3.8.0'"),
    "vue": (["vue"], """<div id="app"></div><script>
        Vue.createApp({data: () => ({n: 2}), template: '<b id="out">{{ n * 21 }}</b>'}).mount('#app');
        </script>""", "() => document.getElementById('out')?.textContent === '42'"),
    "alpinejs": (["alpinejs"], """<div x-data="{n: 6}"><b id="out" x-text="n * 7"></b></div>""",
                 "() => document.getElementById('out').textContent === '42'"),
    "p5": (["p5"], """<script>
        function setup() { createCanvas(60, 40); noLoop(); }
        function draw() { background(255, 0, 0); window.out = 'drawn'; }</script>""",
           """() => { const c = document.querySelector('canvas');
             if (!c || window.out !== 'drawn') return false;
             const px = c.getContext('2d').getImageData(5, 5, 1, 1).data;
             return px[0] > 200 && px[1] < 60; }"""),
    "gsap": (["gsap"], """<div id="box" style="width:10px;height:10px"></div><script>
        gsap.set('#box', {x: 100}); window.out = gsap.getProperty('#box', 'x');</script>""",
             "() => window.out === 100"),
    "@tailwindcss/browser": (["@tailwindcss/browser"],
        '<div id="box" class="p-4 bg-red-500 text-white">x</div>',
        """() => getComputedStyle(document.getElementById('box')).paddingTop === '16px'"""),
    "qrcodejs": (["qrcodejs"], """<div id="qr"></div><script>
        new QRCode(document.getElementById('qr'), {text: 'https://example.com/kiln', width: 128,
          height: 128, correctLevel: QRCode.CorrectLevel.M});</script>""",
                 # Modules fill about half a QR code, and a finder pattern's dark
                 # square sits in its top-left corner; the <img> copy loads too.
                 """() => { const c = document.querySelector('#qr canvas');
                   const img = document.querySelector('#qr img');
                   if (!c || !img || !img.complete || img.naturalWidth !== 128) return false;
                   const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                   let dark = 0; for (let i = 0; i < px.length; i += 4)
                     if (px[i] < 60 && px[i + 3] > 200) dark++;
                   const share = dark / (c.width * c.height);
                   return share > 0.3 && share < 0.7 && px[0] < 60 && px[3] > 200; }"""),
    "canvas-confetti": (["canvas-confetti"], """<canvas id="c" width="300" height="200"></canvas>
        <script>
        confetti.create(document.getElementById('c'), {resize: false, useWorker: false})(
          {particleCount: 150, spread: 360, startVelocity: 8, gravity: 0, ticks: 100000,
           origin: {x: 0.5, y: 0.5}, colors: ['#ff0000']});
        // The default burst draws in a worker made from a blob; it resolves once over.
        confetti({particleCount: 20, ticks: 30}).then(() => { window.out = 'done'; });
        </script>""",
                        """() => { if (window.out !== 'done') return false;
                          const c = document.getElementById('c');
                          const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                          let red = 0; for (let i = 0; i < px.length; i += 4)
                            if (px[i] > 200 && px[i + 1] < 60 && px[i + 3] > 100) red++;
                          return red > 100; }"""),
    "jspdf": (["jspdf"], """<script>
        const { jsPDF } = window.jspdf;
        const doc = new jsPDF({unit: 'mm', format: 'a4'});
        doc.setFontSize(20); doc.text('Kiln invoice', 20, 20); doc.rect(20, 30, 50, 20);
        doc.addPage(); doc.text('Page two', 20, 20);
        const pdf = doc.output(), blob = doc.output('blob');
        window.out = [pdf.slice(0, 5), doc.getNumberOfPages(), pdf.includes('(Kiln invoice) Tj'),
                      pdf.trimEnd().endsWith('%%EOF'), blob.type, jsPDF.version].join('|');
        </script>""",
              "() => window.out === '%PDF-|2|true|true|application/pdf|4.2.1'"),
    "bootstrap": (["bootstrap"], """<button id="go" class="btn btn-primary">Go</button>
        <div class="dropdown"><button id="dd" class="btn dropdown-toggle"
          data-bs-toggle="dropdown">Menu</button>
          <ul class="dropdown-menu"><li><a class="dropdown-item" href="#">One</a></li></ul></div>
        <div class="modal fade" id="m" tabindex="-1"><div class="modal-dialog">
          <div class="modal-content"><div class="modal-body">Hi</div></div></div></div>
        <script>
        const m = document.getElementById('m');
        m.addEventListener('shown.bs.modal', () => { window.out = 'shown'; });
        new bootstrap.Modal(m).show();
        new bootstrap.Dropdown(document.getElementById('dd')).show();
        </script>""",
                  # The dropdown is placed by Popper, which only the bundle carries.
                  """() => { const modal = document.getElementById('m');
                    const menu = document.querySelector('.dropdown-menu');
                    return window.out === 'shown' && modal.classList.contains('show')
                      && getComputedStyle(modal).display === 'block'
                      && !!document.querySelector('.modal-backdrop.show')
                      && getComputedStyle(document.getElementById('go')).backgroundColor
                           === 'rgb(13, 110, 253)'
                      && menu.hasAttribute('data-popper-placement'); }"""),
    "lucide": (["lucide"], """<button><i data-lucide="house" id="home"></i></button>
        <i data-lucide="trash-2" class="big"></i><script>lucide.createIcons();</script>""",
               """() => { const home = document.querySelector('svg#home');
                 const trash = document.querySelector('svg.big');
                 return !document.querySelector('i[data-lucide]') && !!home && !!trash
                   && home.querySelectorAll('path').length > 0
                   && trash.getAttribute('data-lucide') === 'trash-2'
                   && home.getBoundingClientRect().width === 24; }"""),
    "dayjs": (["dayjs"], """<script src="/lib/dayjs@1.11.23/plugin/relativeTime.js"></script>
        <script>
        dayjs.extend(window.dayjs_plugin_relativeTime);
        window.out = [dayjs('2024-03-05T14:07:00').format('ddd D MMM YYYY HH:mm'),
                      dayjs('2024-01-31').add(1, 'month').format('YYYY-MM-DD'),
                      dayjs('2024-01-01').from(dayjs('2024-01-04'))].join('|');</script>""",
              "() => window.out === 'Tue 5 Mar 2024 14:07|2024-02-29|3 days ago'"),
    "moment": (["moment"], """<script>
        window.out = [moment('2024-03-05').format('dddd, MMMM Do YYYY'),
                      moment.duration(90, 'minutes').humanize(), moment.version].join('|');
        </script>""",
               "() => window.out === 'Tuesday, March 5th 2024|2 hours|2.31.0'"),
    "sortablejs": (["sortablejs"], """<ul id="list"><li data-id="a">A</li><li data-id="b">B</li>
        <li data-id="c">C</li></ul><script>
        const sortable = Sortable.create(document.getElementById('list'), {animation: 0});
        sortable.sort(['c', 'a', 'b']);
        window.out = sortable.toArray().join(',');</script>""",
                   """() => window.out === 'c,a,b' && [...document.querySelectorAll('#list li')]
                     .map(li => li.textContent).join('') === 'CAB'
                     && Sortable.get(document.getElementById('list')) !== undefined"""),
    "animejs": (["animejs"], """<div id="box" style="position: absolute; left: 0; top: 0;
          width: 20px; height: 20px"></div><script>
        anime({targets: '#box', translateX: 120, duration: 200, easing: 'linear',
               complete: () => { window.out = 'done'; }});</script>""",
                """() => window.out === 'done'
                  && document.getElementById('box').getBoundingClientRect().left === 120"""),
    # The icon is the stylesheet's ::before glyph in the webfont its ../webfonts/ URL loads.
    "@fortawesome/fontawesome-free": (["@fortawesome/fontawesome-free"],
        """<p><i id="icon" class="fa-solid fa-house"></i><span id="plain"></span></p><script>
        document.fonts.load('900 16px "Font Awesome 6 Free"', '\uf015')
          .then(faces => { window.out = faces.length; });</script>""",
        """() => { const icon = document.getElementById('icon');
          const before = getComputedStyle(icon, '::before');
          const faces = [...document.fonts].filter(f => f.family.includes('Font Awesome 6 Free')
                                                      && f.status === 'loaded');
          return window.out === 1 && faces.length > 0 && before.content === '"\uf015"'
            && before.fontFamily.includes('Font Awesome 6 Free')
            && icon.getBoundingClientRect().width > 10; }"""),
    "markdown-it": (["markdown-it"], """<div id="out"></div><script>
        document.getElementById('out').innerHTML =
          markdownit({linkify: true}).render('# Title\\n\\nsee https://example.com *x*');</script>
        <script type="module">
        import MarkdownIt from 'markdown-it';
        window.esm = new MarkdownIt().render('**b**');</script>""",
                    """() => document.querySelector('#out h1')?.textContent === 'Title'
                      && document.querySelector('#out a')?.getAttribute('href') === 'https://example.com'
                      && document.querySelector('#out em')?.textContent === 'x'
                      && window.esm === '<p><strong>b</strong></p>\\n'"""),
    "turndown": (["turndown"], """<script>
        window.out = new TurndownService({headingStyle: 'atx'})
          .turndown('<h1>Hi</h1><p>a <strong>b</strong> <a href="https://x.test/">c</a></p>');</script>""",
                 "() => window.out === '# Hi\\n\\na **b** [c](https://x.test/)'"),
    "moment-timezone": (["moment", "moment-timezone"], """<script>
        window.out = [moment.tz('2024-03-05 09:00', 'America/New_York').tz('Asia/Tokyo')
                        .format('YYYY-MM-DD HH:mm z'), moment.tz.names().length > 400].join('|');
        </script>""", "() => window.out === '2024-03-05 23:00 JST|true'"),
    "jszip": (["jszip"], """<script>
        const zip = new JSZip();
        zip.file('notes/a.txt', 'hello zip');
        zip.generateAsync({type: 'uint8array', compression: 'DEFLATE'})
          .then(bytes => { window.magic = String.fromCharCode(bytes[0], bytes[1]);
                           return JSZip.loadAsync(bytes); })
          .then(read => read.file('notes/a.txt').async('string'))
          .then(text => { window.out = window.magic + ':' + text; });</script>""",
              "() => window.out === 'PK:hello zip'"),
    "leaflet.markercluster": (["leaflet", "leaflet.markercluster"],
        """<div id="map" style="height:300px;width:400px"></div><script>
        const map = L.map('map', {maxZoom: 18}).setView([51.5, -0.09], 10);
        const group = L.markerClusterGroup();
        for (let i = 0; i < 30; i++) group.addLayer(L.marker([51.5 + i / 10000, -0.09]));
        map.addLayer(group);</script>""",
        # One cluster of 30, drawn with the Default stylesheet's colours.
        """() => { const icon = document.querySelector('.marker-cluster');
          return icon && icon.textContent === '30'
            && getComputedStyle(icon).backgroundColor !== 'rgba(0, 0, 0, 0)'
            && document.querySelectorAll('img.leaflet-marker-icon').length === 0; }"""),
    # A real worker (the bootstrap starts the mirrored worker as a blob: worker),
    # not pdf.js's fallback on the main thread.
    "pdfjs-dist": (["pdfjs-dist"], """<canvas id="c"></canvas><script type="module">
        import * as pdfjsLib from 'pdfjs-dist';
        pdfjsLib.GlobalWorkerOptions.workerSrc = '/lib/pdfjs-dist@6.5.438/build/pdf.worker.min.mjs';
        const pdf = [
          '%PDF-1.4', '1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj',
          '2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj',
          '3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 100]/Contents 4 0 R'
            + '/Resources<</Font<</F1 5 0 R>>>>>>endobj',
          '4 0 obj<</Length 44>>stream', 'BT /F1 24 Tf 20 40 Td (Hello Kiln) Tj ET',
          'endstream endobj', '5 0 obj<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>endobj',
          'trailer<</Root 1 0 R>>', '%%EOF'].join('\\n');
        const task = pdfjsLib.getDocument({data: new TextEncoder().encode(pdf)});
        const doc = await task.promise;
        const page = await doc.getPage(1);
        const viewport = page.getViewport({scale: 1});
        const canvas = document.getElementById('c');
        canvas.width = viewport.width; canvas.height = viewport.height;
        await page.render({canvas, viewport}).promise;
        const text = (await page.getTextContent()).items.map(item => item.str).join('');
        window.out = [doc.numPages, text, task._worker.port instanceof Worker].join('|');
        </script>""",
                   """() => { if (window.out !== '1|Hello Kiln|true') return false;
                     const c = document.getElementById('c');
                     const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                     let dark = 0; for (let i = 0; i < px.length; i += 4)
                       if (px[i] < 100 && px[i + 3] > 200) dark++;
                     return dark > 100; }"""),
    # A workbook's bytes read by the classic build and by the ES module through
    # its bare specifier, and one written and read back.
    "xlsx": (["xlsx"], """<script>
        const wb = XLSX.read(""" + js_bytes(BUDGET_XLSX) + """.buffer);
        const rows = XLSX.utils.sheet_to_json(wb.Sheets[wb.SheetNames[0]]);
        const out = XLSX.utils.book_new();
        XLSX.utils.book_append_sheet(out, XLSX.utils.json_to_sheet([{n: 6}, {n: 7}]), 'Made');
        const again = XLSX.read(XLSX.write(out, {type: 'array', bookType: 'xlsx'}));
        window.out = [wb.SheetNames[0], rows.length, rows.reduce((t, r) => t + r.spent, 0),
          rows[2].month, again.SheetNames[0], again.Sheets.Made.A3.v, XLSX.version].join('|');
        </script><script type="module">
        import * as X from 'xlsx';
        const wb = X.read(""" + js_bytes(BUDGET_XLSX) + """);
        window.esm = X.utils.sheet_to_json(wb.Sheets.Budget, {header: 1})[3].join(',');
        </script>""",
        "() => window.out === 'Budget|3|235.5|Mar|Made|7|0.18.5' && window.esm === 'Mar,120,100'"),
    # Its WebAssembly comes through Kiln's page, like Pyodide's: a database file
    # opened and queried, and one made in memory.
    "sql.js": (["sql.js"], """<script>
        initSqlJs({locateFile: f => '/lib/sql.js@1.17.0/dist/' + f}).then(SQL => {
          const db = new SQL.Database(""" + js_bytes(SHOP_DB) + """);
          const [r] = db.exec('SELECT region, SUM(units) FROM sales GROUP BY region ORDER BY 1');
          const mem = new SQL.Database();
          mem.run('CREATE TABLE t (x)'); mem.run('INSERT INTO t VALUES (?), (?)', [20, 22]);
          const st = mem.prepare('SELECT SUM(x) AS s, sqlite_version() AS v FROM t');
          st.step(); const row = st.getAsObject(); st.free();
          window.out = JSON.stringify(r.values) + '|' + row.s + '|' + /^3[.]/.test(row.v)
            + '|' + (new SQL.Database(mem.export()).exec('SELECT COUNT(*) FROM t')[0].values[0][0]);
        });</script>""",
        """() => window.out === '[["East",7],["North",17],["South",9]]|42|true|2'"""),
    # Its WebAssembly and standard library come through Kiln's page (the frame
    # cannot fetch): this one runs in the artifact page's frame.
    "pyodide": (["pyodide"], """<script>
        loadPyodide().then(py => {
          window.out = py.runPython(
            'import json, statistics, sys\\n'
            + 'json.dumps([statistics.median([3, 1, 2]), sum(range(10)), sys.platform])');
        });</script>""", "() => window.out === '[2, 45, \"emscripten\"]'"),
}

LIBRARY_CHECKS.update({
    # The classic build 2.x and 3.x tools load: the global pdfjsLib, canvasContext,
    # and its classic worker running as a real worker.
    "pdfjs-dist@3.11.174": (["pdfjs-dist@3.11.174"], """<canvas id="c"></canvas><script>
        pdfjsLib.GlobalWorkerOptions.workerSrc = '/lib/pdfjs-dist@3.11.174/build/pdf.worker.min.js';
        const task = pdfjsLib.getDocument({data: new TextEncoder().encode(""" + TINY_PDF + """)});
        task.promise.then(async doc => {
          const page = await doc.getPage(1);
          const viewport = page.getViewport({scale: 1});
          const canvas = document.getElementById('c');
          canvas.width = viewport.width; canvas.height = viewport.height;
          await page.render({canvasContext: canvas.getContext('2d'), viewport}).promise;
          const text = (await page.getTextContent()).items.map(item => item.str).join('');
          window.out = [doc.numPages, text, pdfjsLib.version,
                        task._worker.port instanceof Worker].join('|');
        });</script>""",
        "() => { if (window.out !== '1|Hello Kiln|3.11.174|true') return false; "
        + CANVAS_HAS_INK + " }"),
    # scales.yAxes is 2.x's option: 4 ignores it and names its axis "y".
    "chart.js@2.9.4": (["chart.js@2.9.4"], """<canvas id="c" width="300" height="150"></canvas>
        <script>
        window.chart = new Chart(document.getElementById('c').getContext('2d'), {type: 'bar',
          data: {labels: ['a', 'b'], datasets: [{label: 'n', data: [3, 5],
                 backgroundColor: '#e11'}]},
          options: {animation: {duration: 0}, responsive: false,
                    scales: {yAxes: [{ticks: {beginAtZero: true, max: 10}}]}}});</script>""",
        """() => { const c = document.getElementById('c');
          const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
          let red = 0; for (let i = 0; i < px.length; i += 4)
            if (px[i] > 200 && px[i + 1] < 60 && px[i + 3] > 200) red++;
          const y = window.chart.scales['y-axis-0'];
          return typeof Chart.pluginService === 'object' && y.min === 0 && y.max === 10 && red > 500; }"""),
    # d3.event and d3.nest are gone from v6 on.
    "d3@5.16.0": (["d3@5.16.0"], """<svg id="s" width="100" height="50"></svg><script>
        d3.select('#s').on('click', () => {
          window.out = d3.event.type + ':' + d3.nest().key(d => d.k)
            .entries([{k: 'a'}, {k: 'a'}, {k: 'b'}]).length;
        });
        d3.select('#s').node().dispatchEvent(new MouseEvent('click'));</script>""",
        "() => window.out === 'click:2' && d3.version === '5.16.0'"),
    # The global build and an examples/js addon, drawing a red square with WebGL.
    "three@0.147.0": (["three@0.147.0"],
        """<script src="/lib/three@0.147.0/examples/js/controls/OrbitControls.js"></script>
        <script>
        const renderer = new THREE.WebGLRenderer({preserveDrawingBuffer: true});
        renderer.setSize(100, 100); renderer.setClearColor(0x0000ff);
        document.body.appendChild(renderer.domElement);
        const scene = new THREE.Scene();
        const camera = new THREE.PerspectiveCamera(50, 1, 0.1, 100);
        camera.position.z = 3;
        scene.add(new THREE.Mesh(new THREE.BoxGeometry(1, 1, 1),
                                 new THREE.MeshBasicMaterial({color: 0xff0000})));
        const controls = new THREE.OrbitControls(camera, renderer.domElement);
        controls.update(); renderer.render(scene, camera);
        window.out = THREE.REVISION + ':' + typeof controls.enableDamping;</script>""",
        """() => { if (window.out !== '147:boolean') return false;
          const c = document.createElement('canvas'); c.width = c.height = 100;
          const g = c.getContext('2d'); g.drawImage(document.querySelector('canvas'), 0, 0);
          const mid = g.getImageData(50, 50, 1, 1).data, edge = g.getImageData(2, 2, 1, 1).data;
          return mid[0] > 200 && mid[2] < 60 && edge[2] > 200 && edge[0] < 60; }"""),
    # ReactDOM.render, which 18 only keeps with a warning, and 17's version.
    "react@17.0.2": (["react@17.0.2", "react-dom@17.0.2"], """<div id="root"></div><script>
        ReactDOM.render(React.createElement('p', {id: 'out'}, 'hello ' + React.version),
                        document.getElementById('root'));</script>""",
                     "() => document.getElementById('out')?.textContent === 'hello 17.0.2'"),
    "react-dom@17.0.2": (["react@17.0.2", "react-dom@17.0.2", "@babel/standalone"],
        """<div id="root"></div><script type="text/babel">
        function App() { const [n, setN] = React.useState(40);
          React.useEffect(() => setN(m => m + 2), []); return <b id="out">{n}</b>; }
        ReactDOM.render(<App />, document.getElementById('root'));</script>""",
        "() => document.getElementById('out')?.textContent === '42' && ReactDOM.version === '17.0.2'"),
    # 4's jQuery plugins and data-toggle, and its margin classes (5 renamed ml- to ms-).
    "bootstrap@4.6.2": (["jquery", "bootstrap@4.6.2"], """<button id="go" class="btn btn-primary ml-3"
          data-toggle="collapse" data-target="#more">More</button>
        <div id="more" class="collapse"><p>Details</p></div>
        <div class="modal fade" id="m" tabindex="-1"><div class="modal-dialog">
          <div class="modal-content"><div class="modal-body">Hi</div></div></div></div>
        <script>
        $('#m').on('shown.bs.modal', () => { window.out = 'shown'; }).modal('show');
        $('#go').click();</script>""",
        """() => window.out === 'shown' && $('#m').hasClass('show')
          && $('#more').hasClass('show') && getComputedStyle(document.getElementById('go'))
            .marginLeft === '16px' && typeof $.fn.tooltip.Constructor === 'function'"""),
    # Vue 2's constructor and options API, which Vue 3 replaced with createApp.
    "vue@2.7.16": (["vue@2.7.16"], """<div id="app"><b id="out">{{ n * 21 }}</b>
        <button id="add" @click="add">+</button></div><script>
        window.vm = new Vue({el: '#app', data: {n: 2}, methods: {add() { this.n++; }}});
        window.vm.add(); window.vm.n--;</script>""",
                   "() => document.getElementById('out')?.textContent === '42' && Vue.version === '2.7.16'"),
    # A map whose style needs no network: a blue background and a red GeoJSON
    # square, which only the worker's parsing and WebGL's drawing put there.
    "maplibre-gl": (["maplibre-gl"], """<div id="map" style="width:300px;height:200px"></div>
        <script>
        const square = {type: 'Feature', properties: {name: 'square'}, geometry: {type: 'Polygon',
          coordinates: [[[-30, -20], [30, -20], [30, 20], [-30, 20], [-30, -20]]]}};
        window.map = new maplibregl.Map({container: 'map', center: [0, 0], zoom: 1,
          canvasContextAttributes: {preserveDrawingBuffer: true}, style: {version: 8,
          sources: {shapes: {type: 'geojson', data: square}},
          layers: [{id: 'bg', type: 'background', paint: {'background-color': '#0000ff'}},
                   {id: 'square', type: 'fill', source: 'shapes',
                    paint: {'fill-color': '#ff0000'}}]}});
        new maplibregl.Marker().setLngLat([100, 50]).addTo(window.map);
        window.map.on('idle', () => { window.idle = true; });</script>""",
        """() => { const map = window.map;
          if (!window.idle || !map.loaded()) return false;
          const hit = map.queryRenderedFeatures(map.project([0, 0]), {layers: ['square']});
          const gl = map.getCanvas(), c = document.createElement('canvas');
          c.width = gl.width; c.height = gl.height;
          const g = c.getContext('2d'); g.drawImage(gl, 0, 0);
          const mid = g.getImageData(c.width / 2, c.height / 2, 1, 1).data;
          const corner = g.getImageData(3, 3, 1, 1).data;
          const marker = document.querySelector('.maplibregl-marker svg');
          return hit.length === 1 && hit[0].properties.name === 'square'
            && mid[0] > 200 && mid[2] < 60 && corner[2] > 200 && corner[0] < 60
            && !!marker && getComputedStyle(document.querySelector('.maplibregl-marker'))
                             .position === 'absolute'; }"""),
    # The classic build draws the page's diagram; the ES module build renders another.
    "mermaid": (["mermaid"], """<pre class="mermaid" id="flow">flowchart LR
          A[Upload file] --> B{Valid?}
          B -->|yes| C[Render chart]</pre>
        <div id="seq"></div>
        <script>mermaid.initialize({startOnLoad: true});</script>
        <script type="module">
        import esm from 'mermaid';
        const {svg} = await esm.render('seq-diagram', 'sequenceDiagram\\n  Alice->>Bob: Hi Bob');
        document.getElementById('seq').innerHTML = svg;</script>""",
        """() => { const flow = document.querySelector('#flow svg');
          const seq = document.querySelector('#seq svg');
          return !!flow && !!seq && flow.querySelectorAll('g.node').length === 3
            && ['Upload file', 'Valid?', 'Render chart'].every(t => flow.textContent.includes(t))
            && flow.getBoundingClientRect().width > 100
            && seq.textContent.includes('Alice') && seq.textContent.includes('Hi Bob'); }"""),
})

# Libraries that read mirror files with fetch(), which only Kiln's page can answer.
NEEDS_KILN_PAGE = {"pyodide", "sql.js"}


def test_every_library_has_a_browser_check():
    assert set(LIBRARY_CHECKS) == {key_of(lib) for lib in LIBRARIES}


@pytest.mark.mirror
@pytest.mark.parametrize("name", list(LIBRARY_CHECKS))
def test_library_works_inside_the_artifact_sandbox(live_server, page, name):
    libs, body, check = LIBRARY_CHECKS[name]
    watch = Watch(page)
    created = post_artifact(live_server.app_origin, page_for(libs, body))
    if name in NEEDS_KILN_PAGE:
        page.goto(created["url"])  # its load event waits for the frame's own load
        target = next(f for f in page.frames if "/raw/" in f.url)
    else:
        page.goto(created["raw_url"])
        target = page.main_frame
    assert target.evaluate("() => self.origin") == "null"  # really the sandbox
    target.wait_for_function(check, timeout=30_000)
    # Kiln's page loads its own files from the app origin.
    watch.assert_clean(live_server.sandbox_origin,
                       *([live_server.app_origin] if name in NEEDS_KILN_PAGE else []))


WORKER_PROBE = """<!doctype html><html><head><title>Worker probe</title></head><body>
<output id="out">waiting</output><script>
const source = "fetch('LIB_URL').then(() => postMessage('fetch-ok'), "
             + "() => postMessage('fetch-blocked'))";
const worker = new Worker(URL.createObjectURL(new Blob([source], {type: 'text/javascript'})));
worker.onmessage = (e) => { document.getElementById('out').textContent = e.data; };
worker.onerror = () => { document.getElementById('out').textContent = 'worker-error'; };
</script></body></html>"""


def test_blob_workers_run_but_reach_nothing(live_server, page):
    """worker-src allows blob: (Tone.js, Papa Parse) because such a worker inherits
    the artifact's CSP: it computes, but cannot fetch, not even the mirror."""
    lib_url = live_server.sandbox_origin + "/lib/lodash@4.18.1/lodash.min.js"
    created = post_artifact(live_server.app_origin, WORKER_PROBE.replace("LIB_URL", lib_url))
    fetched = []
    page.on("request", lambda r: fetched.append(r.url) if r.url == lib_url else None)
    page.goto(created["raw_url"])
    expect(page.locator("#out")).to_have_text("fetch-blocked")
    assert fetched == []


# -- real-world tools written against public CDNs ------------------------------

CHART_TOOL = """<!doctype html><html><head><meta charset="utf-8"><title>Sales chart</title>
<script src="https://cdn.jsdelivr.net/npm/chart.js@4.4.1/dist/chart.umd.min.js"
  integrity="sha384-9nhczxUqK87bcKHh20fSQcTGD4qq5GhayNYSYWqwBkINBhOfQLg/P5HG5lF1urn4"
  crossorigin="anonymous"></script>
</head><body><canvas id="chart" width="400" height="200"></canvas><script>
new Chart(document.getElementById('chart'), {
  type: 'bar',
  data: {labels: ['Q1', 'Q2', 'Q3'],
         datasets: [{label: 'Sales', data: [12, 19, 7], backgroundColor: 'rgb(30, 90, 220)'}]},
  options: {animation: false, responsive: false}
});
</script></body></html>"""

MARKED_TOOL = """<!doctype html><html><head><title>Markdown preview</title>
<script src="https://cdnjs.cloudflare.com/ajax/libs/marked/12.0.0/marked.min.js"
  integrity="sha512-bogus==" crossorigin="anonymous" referrerpolicy="no-referrer"></script>
</head><body><textarea id="md"># Shopping list

- **milk**
- eggs</textarea><div id="preview"></div><script>
const render = () => {
  document.getElementById('preview').innerHTML =
    marked.parse(document.getElementById('md').value);
};
document.getElementById('md').addEventListener('input', render);
render();
</script></body></html>"""

REACT_TOOL = """<!doctype html><html><head><title>Counter</title>
<script crossorigin src="https://unpkg.com/react@18/umd/react.development.js"></script>
<script crossorigin src="https://unpkg.com/react-dom@18/umd/react-dom.development.js"></script>
<script src="https://unpkg.com/@babel/standalone/babel.min.js"></script>
</head><body><div id="root"></div>
<script type="text/babel">
function Counter() {
  const [count, setCount] = React.useState(0);
  return (<div>
    <h1>Clicks: {count}</h1>
    <button onClick={() => setCount(c => c + 1)}>Add one</button>
  </div>);
}
ReactDOM.createRoot(document.getElementById('root')).render(<Counter />);
</script></body></html>"""


def open_imported(live_server, page, html: str) -> tuple[Watch, dict]:
    watch = Watch(page)
    created = post_artifact(live_server.app_origin, html)
    page.goto(created["raw_url"])
    assert page.evaluate("() => self.origin") == "null"
    return watch, created


@pytest.mark.mirror
def test_chart_js_from_jsdelivr_renders_offline(live_server, page):
    watch, created = open_imported(live_server, page, CHART_TOOL)
    assert any("chart.js 4.6.1" in n for n in created["notices"])
    page.wait_for_function("() => typeof Chart === 'function' && Chart.version === '4.6.1'")
    blue = page.evaluate("""() => {
        const c = document.getElementById('chart');
        const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0;
        for (let i = 0; i < px.length; i += 4)
          if (px[i] < 60 && px[i + 1] > 70 && px[i + 1] < 110 && px[i + 2] > 200) n++;
        return n; }""")
    assert blue > 1000  # three bars drawn in the dataset's colour
    watch.assert_clean(live_server.sandbox_origin)


@pytest.mark.mirror
def test_marked_from_cdnjs_renders_offline(live_server, page):
    watch, created = open_imported(live_server, page, MARKED_TOOL)
    assert any("marked 18.2.1" in n and "12.0.0" in n for n in created["notices"])
    expect(page.locator("#preview h1")).to_have_text("Shopping list")
    expect(page.locator("#preview li strong")).to_have_text("milk")
    page.locator("#md").fill("## Done\n\n`code`")
    expect(page.locator("#preview h2")).to_have_text("Done")
    expect(page.locator("#preview code")).to_have_text("code")
    watch.assert_clean(live_server.sandbox_origin)


@pytest.mark.mirror
def test_react_and_babel_jsx_from_unpkg_render_offline(live_server, page):
    watch, created = open_imported(live_server, page, REACT_TOOL)
    assert len(created["notices"]) == 3
    expect(page.get_by_role("heading")).to_have_text("Clicks: 0")
    page.get_by_role("button", name="Add one").click()
    page.get_by_role("button", name="Add one").click()
    expect(page.get_by_role("heading")).to_have_text("Clicks: 2")
    watch.assert_clean(live_server.sandbox_origin)


def test_a_library_the_mirror_lacks_is_reported_and_blocked(live_server, page):
    html = CHART_TOOL.replace("chart.js@4.4.1/dist/chart.umd.min.js", "chart.js@1.1.1/Chart.min.js")
    watch, created = open_imported(live_server, page, html)
    assert any("1.1.1" in n and "will not load" in n for n in created["notices"])
    page.wait_for_load_state("load")
    assert page.evaluate("() => typeof Chart") == "undefined"
    assert any("Content Security Policy" in e for e in watch.errors)


@pytest.mark.mirror
def test_imported_tool_works_in_the_app_page_preview(live_server, page):
    watch = Watch(page)
    created = post_artifact(live_server.app_origin, MARKED_TOOL)
    page.goto(created["url"])
    preview = page.frame_locator("iframe.preview")
    expect(preview.locator("#preview h1")).to_have_text("Shopping list")
    assert watch.errors == []


TAILWIND_V3_TOOL = """<!doctype html><html><head><title>Card</title>
<script src="https://cdn.tailwindcss.com"></script>
<script>tailwind.config = {theme: {extend: {colors: {brand: '#0a7'}}}};</script>
</head><body class="bg-gray-100"><div id="card" class="p-6 m-2 rounded-lg bg-white shadow">Hi</div>
</body></html>"""


@pytest.mark.mirror
def test_tailwind_play_cdn_tool_is_styled_offline_without_errors(live_server, page):
    watch, created = open_imported(live_server, page, TAILWIND_V3_TOOL)
    assert any("Tailwind v3 Play CDN" in n for n in created["notices"])
    page.wait_for_function(
        "() => getComputedStyle(document.getElementById('card')).paddingTop === '24px'")
    watch.assert_clean(live_server.sandbox_origin)


JQUERY_ALPINE_TOOL = """<!DOCTYPE html>
<html lang="en"><head><meta charset="UTF-8"><title>Counter</title>
<script src="https://code.jquery.com/jquery-3.7.1.min.js"
        integrity="sha256-/JqT3SQfawRcv/BIHPThkBvs0OEvtFFmqPF/lYI/Cxo=" crossorigin="anonymous"></script>
<script defer src="https://cdn.jsdelivr.net/npm/alpinejs@3.x.x/dist/cdn.min.js"></script>
</head><body>
<div x-data="{count: 0}">
  <button id="inc" @click="count++">Add</button> <b id="count" x-text="count"></b>
</div>
<p id="jq"></p>
<script>$(function () { $('#jq').text('jQuery ' + $.fn.jquery); });</script>
</body></html>"""


@pytest.mark.mirror
def test_jquery_and_alpine_from_their_cdns_work_offline(live_server, page):
    watch, created = open_imported(live_server, page, JQUERY_ALPINE_TOOL)
    assert sum("library mirror" in n for n in created["notices"]) == 2
    expect(page.locator("#jq")).to_have_text("jQuery 3.8.0")
    expect(page.locator("#count")).to_have_text("0")
    page.locator("#inc").click()
    page.locator("#inc").click()
    expect(page.locator("#count")).to_have_text("2")
    watch.assert_clean(live_server.sandbox_origin)


QR_PDF_TOOL = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>QR to PDF</title>
<link href="https://cdn.jsdelivr.net/npm/bootstrap@5.3.3/dist/css/bootstrap.min.css" rel="stylesheet"
  integrity="sha384-QWTKZyjpPEjISv5WaRU9OFeRpok6YctnYmDr5pNlyT2bRjXh0JMhjY6hW+ALEwIH"
  crossorigin="anonymous">
<script src="https://cdnjs.cloudflare.com/ajax/libs/qrcodejs/1.0.0/qrcode.min.js"
  integrity="sha512-CNgIRecGo7nphbeZ04Sc13ka07paqdeTu0WR1IM4kNcpmBAUSHSQX0FslNhTDadL4O5SAGapGt4FodqL8My0mA=="
  crossorigin="anonymous" referrerpolicy="no-referrer"></script>
<script src="https://cdnjs.cloudflare.com/ajax/libs/jspdf/2.5.1/jspdf.umd.min.js"></script>
<script src="https://cdn.jsdelivr.net/npm/canvas-confetti@1.9.3/dist/confetti.browser.min.js"></script>
</head><body class="p-3">
<div class="card" style="max-width: 22rem"><div class="card-body">
  <label for="text" class="form-label">Text</label>
  <input id="text" class="form-control" value="https://example.com/menu">
  <button id="make" class="btn btn-primary mt-2">Make PDF</button>
  <div id="qr" class="mt-3"></div><p id="status" aria-live="polite"></p>
</div></div>
<script src="https://cdn.jsdelivr.net/npm/bootstrap@5.3.3/dist/js/bootstrap.bundle.min.js"
  integrity="sha384-YvpcrYf0tY3lHB60NNkmXc5s9fDVZLESaAA55NDzOxhy9GkcIdslK1eN7N6jIeHz"
  crossorigin="anonymous"></script>
<script>
const qr = new QRCode(document.getElementById('qr'), {width: 128, height: 128});
document.getElementById('make').addEventListener('click', () => {
  qr.makeCode(document.getElementById('text').value);
  const { jsPDF } = window.jspdf;
  const doc = new jsPDF();
  doc.text('Scan me', 20, 15);
  doc.addImage(document.querySelector('#qr canvas').toDataURL('image/png'), 'PNG', 20, 20, 50, 50);
  const pdf = doc.output();
  confetti({particleCount: 80, spread: 70}).then(() => {
    document.getElementById('status').textContent =
      pdf.slice(0, 5) + ' ' + (pdf.includes('/Subtype /Image') ? 'with QR' : 'no image');
  });
});
</script></body></html>"""


@pytest.mark.mirror
def test_qr_pdf_tool_with_bootstrap_from_cdns_works_offline(live_server, page):
    watch, created = open_imported(live_server, page, QR_PDF_TOOL)
    mirrored = [n for n in created["notices"] if "library mirror" in n]
    assert len(mirrored) == 5 and any("jspdf 4.2.1" in n and "2.5.1" in n for n in mirrored)
    expect(page.locator("#make")).to_have_css("background-color", "rgb(13, 110, 253)")
    page.locator("#make").click()
    expect(page.locator("#status")).to_have_text("%PDF- with QR")
    assert page.locator("#qr img").evaluate("img => img.complete && img.naturalWidth") == 128
    watch.assert_clean(live_server.sandbox_origin)


TASK_BOARD_TOOL = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Tasks</title>
<link rel="stylesheet" href="https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.5.1/css/all.min.css"
  integrity="sha512-DTOQO9RWCH3ppGqcWaEA1BIZOC6xxalwEsw9c2QQeAIftl+Vegovlnee1c9QX4TctnWMn13TZye+giMm8e2LwA=="
  crossorigin="anonymous" referrerpolicy="no-referrer">
<script src="https://unpkg.com/lucide@latest"></script>
<script src="https://cdn.jsdelivr.net/npm/dayjs@1/dayjs.min.js"></script>
<script src="https://cdn.jsdelivr.net/npm/dayjs@1/plugin/relativeTime.js"></script>
<script src="https://cdnjs.cloudflare.com/ajax/libs/moment.js/2.29.4/moment.min.js"></script>
<script src="https://cdn.jsdelivr.net/npm/sortablejs@1.15.0/Sortable.min.js"></script>
<script src="https://cdnjs.cloudflare.com/ajax/libs/animejs/3.2.1/anime.min.js"></script>
</head><body>
<h1><i class="fa-solid fa-list-check" id="fa"></i> Tasks <i data-lucide="calendar"></i></h1>
<ul id="tasks"><li data-id="1">Write</li><li data-id="2">Test</li><li data-id="3">Ship</li></ul>
<p id="due"></p><div id="bar" style="width: 10px; height: 4px; background: teal"></div>
<script>
dayjs.extend(window.dayjs_plugin_relativeTime);
lucide.createIcons();
const list = Sortable.create(document.getElementById('tasks'));
list.sort(['3', '1', '2']);
document.getElementById('due').textContent = dayjs('2024-05-01').from(dayjs('2024-05-03')) +
  ' / ' + moment('2024-05-01').format('MMM Do');
anime({targets: '#bar', width: 110, duration: 100, easing: 'linear',
       complete: () => document.body.setAttribute('data-done', list.toArray().join(''))});
</script></body></html>"""


@pytest.mark.mirror
def test_task_board_with_icons_dates_and_sorting_from_cdns_works_offline(live_server, page):
    watch, created = open_imported(live_server, page, TASK_BOARD_TOOL)
    mirrored = [n for n in created["notices"] if "library mirror" in n]
    assert len(mirrored) == 7
    expect(page.locator("#due")).to_have_text("2 days ago / May 1st")
    expect(page.locator("body")).to_have_attribute("data-done", "312")
    expect(page.locator("#tasks li").first).to_have_text("Ship")
    assert page.locator("#bar").evaluate("el => el.getBoundingClientRect().width") == 110
    expect(page.locator("h1 svg[data-lucide='calendar']")).to_have_count(1)
    page.wait_for_function("() => [...document.fonts].some(f => f.status === 'loaded'"
                           " && f.family.includes('Font Awesome 6 Free'))")
    assert page.locator("#fa").evaluate("el => el.getBoundingClientRect().width") > 10
    watch.assert_clean(live_server.sandbox_origin)


# -- tools written against older majors, and the libraries added for them -----

def open_in_kiln_page(live_server, page, html: str):
    """An imported tool as a person sees it: in Kiln's page, in the sandboxed frame."""
    watch = Watch(page)
    created = post_artifact(live_server.app_origin, html)
    page.goto(created["url"])  # its load event waits for the frame's own load
    frame = next(f for f in page.frames if "/raw/" in f.url)
    assert frame.evaluate("() => self.origin") == "null"
    return watch, created, frame


# The classic pdf.js of 2.x, as countless tools load it: cdnjs, the global
# pdfjsLib, the worker named by its CDN URL, a binary string, canvasContext.
OLD_PDF_TOOL = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>PDF viewer</title>
<script src="https://cdnjs.cloudflare.com/ajax/libs/pdf.js/2.16.105/pdf.min.js"
  integrity="sha512-tqaIiFJopq4lTBmFlWF0MNzzTpDsHyug8tJaaY0VkcH5AR2ANMJlcD+3fIL+RQ4JU3K6edt9OoySKfCCyKgkng=="
  crossorigin="anonymous" referrerpolicy="no-referrer"></script>
</head><body>
<h1>PDF viewer</h1><p>Page <span id="page">?</span> of <span id="pages">?</span></p>
<canvas id="c"></canvas><pre id="text"></pre>
<script>
pdfjsLib.GlobalWorkerOptions.workerSrc =
  'https://cdnjs.cloudflare.com/ajax/libs/pdf.js/2.16.105/pdf.worker.min.js';
const bytes = PDF_BYTES;
pdfjsLib.getDocument({data: bytes}).promise.then(function (pdf) {
  document.getElementById('pages').textContent = pdf.numPages;
  return pdf.getPage(1);
}).then(function (page) {
  const viewport = page.getViewport({scale: 2});
  const canvas = document.getElementById('c');
  canvas.width = viewport.width;
  canvas.height = viewport.height;
  return page.render({canvasContext: canvas.getContext('2d'), viewport: viewport}).promise
    .then(function () { return page.getTextContent(); })
    .then(function (content) {
      document.getElementById('page').textContent = page.pageNumber;
      document.getElementById('text').textContent =
        content.items.map(function (item) { return item.str; }).join(' ');
    });
}).catch(function (err) { document.getElementById('text').textContent = 'Error: ' + err; });
</script></body></html>""".replace("PDF_BYTES", TINY_PDF)


@pytest.mark.mirror
def test_old_api_pdf_js_tool_renders_in_kilns_page(live_server, page):
    watch, created, frame = open_in_kiln_page(live_server, page, OLD_PDF_TOOL)
    mirrored = [n for n in created["notices"] if "library mirror" in n]
    assert len(mirrored) == 2 and all("pdfjs-dist 3.11.174" in n and "2.16.105" in n
                                      for n in mirrored)
    expect(frame.locator("#text")).to_have_text("Hello Kiln", timeout=20_000)
    expect(frame.locator("#pages")).to_have_text("1")
    assert frame.evaluate("() => { " + CANVAS_HAS_INK + " }")
    assert frame.evaluate("() => [document.getElementById('c').width, pdfjsLib.version]") == [
        400, "3.11.174"]
    watch.assert_clean(live_server.sandbox_origin, live_server.app_origin)


# A MapLibre tool as written for 4.x: unpkg, the global maplibregl, an inline
# style (no tile server), a GeoJSON layer, a marker with a popup, a click.
MAPLIBRE_TOOL = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Delivery zones</title>
<link href="https://unpkg.com/maplibre-gl@4.7.1/dist/maplibre-gl.css" rel="stylesheet">
<script src="https://unpkg.com/maplibre-gl@4.7.1/dist/maplibre-gl.js"></script>
<style>body { margin: 0 } #map { width: 480px; height: 320px }</style>
</head><body><div id="map"></div><p id="status">loading</p><p id="picked"></p>
<script>
const zones = {type: 'FeatureCollection', features: [
  {type: 'Feature', properties: {zone: 'North'}, geometry: {type: 'Polygon',
   coordinates: [[[-20, 5], [20, 5], [20, 30], [-20, 30], [-20, 5]]]}},
  {type: 'Feature', properties: {zone: 'South'}, geometry: {type: 'Polygon',
   coordinates: [[[-20, -30], [20, -30], [20, -5], [-20, -5], [-20, -30]]]}}]};
const map = new maplibregl.Map({
  container: 'map', center: [0, 0], zoom: 1.5, preserveDrawingBuffer: true,
  canvasContextAttributes: {preserveDrawingBuffer: true},
  style: {version: 8, sources: {zones: {type: 'geojson', data: zones}}, layers: [
    {id: 'water', type: 'background', paint: {'background-color': 'rgb(0, 0, 255)'}},
    {id: 'zones', type: 'fill', source: 'zones', paint: {'fill-color': [
      'match', ['get', 'zone'], 'North', 'rgb(255, 0, 0)', 'rgb(0, 255, 0)']}},
    {id: 'edges', type: 'line', source: 'zones', paint: {'line-width': 2}}]}});
map.addControl(new maplibregl.NavigationControl());
new maplibregl.Marker({color: '#000'}).setLngLat([0, 18])
  .setPopup(new maplibregl.Popup().setText('Depot')).addTo(map);
map.on('click', 'zones', e => {
  document.getElementById('picked').textContent = e.features[0].properties.zone;
});
map.on('load', () => { document.getElementById('status').textContent = 'ready'; });
</script></body></html>"""

MAP_PIXELS = """() => { const gl = document.querySelector('#map canvas');
  const c = document.createElement('canvas'); c.width = gl.width; c.height = gl.height;
  const g = c.getContext('2d'); g.drawImage(gl, 0, 0);
  const at = (x, y) => Array.from(g.getImageData(x * c.width, y * c.height, 1, 1).data);
  return {north: at(0.5, 0.35), south: at(0.5, 0.68), water: at(0.05, 0.5)}; }"""


@pytest.mark.mirror
def test_maplibre_tool_from_unpkg_renders_in_kilns_page(live_server, page):
    watch, created, frame = open_in_kiln_page(live_server, page, MAPLIBRE_TOOL)
    mirrored = [n for n in created["notices"] if "library mirror" in n]
    assert len(mirrored) == 2 and all("maplibre-gl 5.24.1" in n for n in mirrored)
    expect(frame.locator("#status")).to_have_text("ready", timeout=20_000)
    frame.wait_for_function("() => map.loaded() && !map.isMoving()")
    frame.wait_for_function(MAP_PIXELS.replace(
        "return {", "const p = {").replace("}; }", "}; return p.north[0] > 200 "
        "&& p.north[1] < 60 && p.south[1] > 200 && p.south[0] < 60 && p.water[2] > 200; }"))
    # The stylesheet placed the controls; the marker opens its popup; a click
    # on a zone reaches the tool's layer handler through the worker's index.
    expect(frame.locator(".maplibregl-ctrl-zoom-in")).to_be_visible()
    assert frame.locator(".maplibregl-ctrl-top-right").evaluate(
        "el => getComputedStyle(el).position") == "absolute"
    box = frame.locator("#map").bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.45, box["y"] + box["height"] * 0.68)
    expect(frame.locator("#picked")).to_have_text("South")
    frame.locator(".maplibregl-marker").click()
    expect(frame.locator(".maplibregl-popup-content")).to_contain_text("Depot")
    watch.assert_clean(live_server.sandbox_origin, live_server.app_origin)


# Pyodide as 0.21 to 0.25 tools load it: jsDelivr's own builds, indexURL named
# in the page, the stdout option, globals.set/get, toJs, runPythonAsync, FS.
OLD_PYODIDE_TOOL = """<!doctype html><html><head><meta charset="utf-8"><title>Python runner</title>
<script src="https://cdn.jsdelivr.net/pyodide/v0.22.1/full/pyodide.js"></script>
</head><body><textarea id="code">import statistics
nums = [int(n) for n in data.split(",")]
print("mean", statistics.mean(nums))
result = {"max": max(nums), "sorted": sorted(nums)}</textarea>
<pre id="out"></pre><p id="result"></p>
<script>
const lines = [];
async function main() {
  const pyodide = await loadPyodide({
    indexURL: "https://cdn.jsdelivr.net/pyodide/v0.22.1/full/",
    stdout: (text) => lines.push(text),
  });
  pyodide.globals.set("data", "4,1,7");
  pyodide.runPython(document.getElementById("code").value);
  const result = pyodide.globals.get("result").toJs({dict_converter: Object.fromEntries});
  pyodide.FS.writeFile("/tmp/note.txt", "saved");
  const later = await pyodide.runPythonAsync(
    "import asyncio\\nawait asyncio.sleep(0)\\nopen('/tmp/note.txt').read()");
  document.getElementById("out").textContent = lines.join("\\n");
  document.getElementById("result").textContent =
    result.max + " " + result.sorted.join(",") + " " + later;
}
main();
</script></body></html>"""


@pytest.mark.mirror
def test_pyodide_tool_of_an_older_release_runs_in_kilns_page(live_server, page):
    watch, created, frame = open_in_kiln_page(live_server, page, OLD_PYODIDE_TOOL)
    mirrored = [n for n in created["notices"] if "library mirror" in n]
    assert len(mirrored) == 2 and all("pyodide 314.0.8" in n and "0.22.1" in n for n in mirrored)
    expect(frame.locator("#result")).to_have_text("7 1,4,7 saved", timeout=30_000)
    expect(frame.locator("#out")).to_have_text("mean 4")
    watch.assert_clean(live_server.sandbox_origin, live_server.app_origin)


CHART_V2_TOOL = """<!doctype html><html><head><meta charset="utf-8"><title>Budget</title>
<script src="https://cdnjs.cloudflare.com/ajax/libs/Chart.js/2.9.4/Chart.min.js"
  integrity="sha512-d9xgZrVZpmmQlfonhQUvTR7lMPtO7NkZMkA0ABN3PHCbKA5nqylQ/yWlFAyY6hYgdF1Qh6nYiuADWwKB4C2WSw=="
  crossorigin="anonymous"></script>
</head><body><canvas id="chart" width="400" height="200"></canvas><script>
const chart = new Chart(document.getElementById('chart').getContext('2d'), {
  type: 'bar',
  data: {labels: ['Rent', 'Food', 'Fun'],
         datasets: [{label: 'Spent', data: [900, 300, 150], backgroundColor: 'rgb(220, 20, 20)'}]},
  options: {animation: {duration: 0}, responsive: false, legend: {display: false},
            scales: {yAxes: [{ticks: {beginAtZero: true, callback: v => '$' + v}}]}}
});
document.body.dataset.ticks = chart.scales['y-axis-0'].ticks.join(' ');
</script></body></html>"""


@pytest.mark.mirror
def test_chart_js_2_tool_from_cdnjs_renders(live_server, page):
    watch, created = open_imported(live_server, page, CHART_V2_TOOL)
    assert any("chart.js 2.9.4" in n for n in created["notices"])
    # The ticks callback of 2.x's scales.yAxes ran (4 would ignore the option).
    expect(page.locator("body")).to_have_attribute(
        "data-ticks", "$900 $800 $700 $600 $500 $400 $300 $200 $100 $0")
    red = page.evaluate("""() => { const c = document.getElementById('chart');
        const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0; for (let i = 0; i < px.length; i += 4)
          if (px[i] > 200 && px[i + 1] < 60 && px[i + 2] < 60 && px[i + 3] > 200) n++;
        return n; }""")
    assert red > 3000
    watch.assert_clean(live_server.sandbox_origin)


# The most common three.js page of the r1xx years: cdnjs r128, OrbitControls
# from examples/js, an animation loop.
THREE_R128_TOOL = """<!doctype html><html><head><meta charset="utf-8"><title>Cube</title>
<style>body { margin: 0 }</style>
<script src="https://cdnjs.cloudflare.com/ajax/libs/three.js/r128/three.min.js"></script>
<script src="https://cdn.jsdelivr.net/npm/three@0.128.0/examples/js/controls/OrbitControls.js"></script>
</head><body><script>
const scene = new THREE.Scene();
scene.background = new THREE.Color(0x0000ff);
const camera = new THREE.PerspectiveCamera(50, 1, 0.1, 100);
camera.position.set(0, 0, 4);
const renderer = new THREE.WebGLRenderer({antialias: true, preserveDrawingBuffer: true});
renderer.setSize(200, 200);
document.body.appendChild(renderer.domElement);
const controls = new THREE.OrbitControls(camera, renderer.domElement);
controls.enableDamping = true;
const cube = new THREE.Mesh(new THREE.BoxGeometry(1.5, 1.5, 1.5),
                            new THREE.MeshBasicMaterial({color: 0xff0000}));
scene.add(cube);
let frames = 0;
(function animate() {
  requestAnimationFrame(animate);
  cube.rotation.y += 0.01;
  controls.update();
  renderer.render(scene, camera);
  document.body.dataset.frames = ++frames;
})();
</script></body></html>"""


@pytest.mark.mirror
def test_three_r128_global_build_tool_renders(live_server, page):
    watch, created = open_imported(live_server, page, THREE_R128_TOOL)
    mirrored = [n for n in created["notices"] if "library mirror" in n]
    assert len(mirrored) == 2 and all("three 0.147.0" in n for n in mirrored)
    page.wait_for_function("() => Number(document.body.dataset.frames) > 5")
    colours = page.evaluate("""() => { const c = document.createElement('canvas');
        c.width = c.height = 200; const g = c.getContext('2d');
        g.drawImage(document.querySelector('canvas'), 0, 0);
        return [Array.from(g.getImageData(100, 100, 1, 1).data),
                Array.from(g.getImageData(3, 3, 1, 1).data)]; }""")
    assert colours == [[255, 0, 0, 255], [0, 0, 255, 255]]
    watch.assert_clean(live_server.sandbox_origin)


D3_V5_TOOL = """<!doctype html><html><head><meta charset="utf-8"><title>Bars</title>
<script src="https://d3js.org/d3.v5.min.js"></script>
</head><body><svg width="300" height="120"></svg><div id="tip"></div><script>
const data = [{k: 'a', v: 3}, {k: 'b', v: 7}, {k: 'a', v: 2}];
const byKey = d3.nest().key(d => d.k).rollup(g => d3.sum(g, d => d.v)).entries(data);
const x = d3.scaleBand().domain(byKey.map(d => d.key)).range([0, 300]).padding(0.1);
d3.select('svg').selectAll('rect').data(byKey).enter().append('rect')
  .attr('x', d => x(d.key)).attr('y', d => 120 - d.value * 10)
  .attr('width', x.bandwidth()).attr('height', d => d.value * 10)
  .on('mouseover', function (d) {
    d3.select('#tip').text(d.key + '=' + d.value + ' at ' + d3.mouse(this).map(Math.round));
  });
</script></body></html>"""


@pytest.mark.mirror
def test_d3_v5_tool_with_d3_event_era_handlers_works(live_server, page):
    watch, created = open_imported(live_server, page, D3_V5_TOOL)
    assert any("d3 5.16.0" in n for n in created["notices"])
    expect(page.locator("rect")).to_have_count(2)
    box = page.locator("rect").first.bounding_box()
    page.mouse.move(box["x"] + 10, box["y"] + 5)
    expect(page.locator("#tip")).to_have_text(re.compile(r"^a=5 at \d+,\d+$"))
    watch.assert_clean(live_server.sandbox_origin)


# Mermaid as its own documentation shows it: the ES module from jsDelivr.
MERMAID_TOOL = """<!doctype html><html><head><meta charset="utf-8"><title>Diagram editor</title>
</head><body><textarea id="src">graph TD
  Start --> Check{Logged in?}
  Check -->|no| Login
  Check -->|yes| Home</textarea><div id="view"></div>
<pre class="mermaid">pie title Pets
  "Dogs" : 3
  "Cats" : 2</pre>
<script type="module">
import mermaid from 'https://cdn.jsdelivr.net/npm/mermaid@10/dist/mermaid.esm.min.mjs';
mermaid.initialize({startOnLoad: true, theme: 'forest'});
let n = 0;
async function draw() {
  const {svg} = await mermaid.render('d' + n++, document.getElementById('src').value);
  document.getElementById('view').innerHTML = svg;
}
document.getElementById('src').addEventListener('input', draw);
draw();
</script></body></html>"""


@pytest.mark.mirror
def test_mermaid_tool_from_jsdelivr_draws_and_redraws(live_server, page):
    watch, created, frame = open_in_kiln_page(live_server, page, MERMAID_TOOL)
    assert any("mermaid 12.4.0" in n for n in created["notices"])
    expect(frame.locator("#view svg g.node")).to_have_count(4, timeout=20_000)
    expect(frame.locator("#view svg")).to_contain_text("Logged in?")
    expect(frame.locator("pre.mermaid svg")).to_contain_text("Dogs")
    frame.locator("#src").fill("sequenceDiagram\n  Client->>Server: GET /")
    expect(frame.locator("#view svg")).to_contain_text("Server")
    expect(frame.locator("#view svg g.node")).to_have_count(0)
    watch.assert_clean(live_server.sandbox_origin, live_server.app_origin)


def pdf_with_script_in_font(js: str) -> str:
    """A PDF whose font's FontMatrix carries a string of script, drawn with a
    pattern fill, so pdf.js before 4.2.67 compiles the string into the glyph's
    drawing function when eval is allowed (CVE-2024-4367)."""
    matrix = "[0.001 0 0 0.001 0 (0\\); " + js.replace("(", "\\(").replace(")", "\\)") + " //)]"
    content = "/Pattern cs /P1 scn BT /F1 40 Tf 10 30 Td (AB) Tj ET"
    bodies = [
        "<</Type/Catalog/Pages 2 0 R>>",
        "<</Type/Pages/Kids[3 0 R]/Count 1>>",
        "<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 100]/Contents 4 0 R"
        "/Resources<</Font<</F1 5 0 R>>/Pattern<</P1 8 0 R>>>>>>",
        f"<</Length {len(content)}>>stream\n{content}\nendstream\n",
        "<</Type/Font/Subtype/Type1/BaseFont/Probe/FirstChar 65/LastChar 66/Widths[500 500]"
        f"/FontMatrix {matrix}/FontDescriptor 6 0 R>>",
        "<</Type/FontDescriptor/FontName/Probe/Flags 32/FontBBox[0 0 500 700]/ItalicAngle 0"
        "/Ascent 700/Descent -200/CapHeight 700/StemV 80/FontFile3 7 0 R>>",
        "<</Subtype/Type2/Length 100>>stream\n\nendstream\n",
        "<</PatternType 2/Shading<</ShadingType 2/ColorSpace/DeviceRGB/Coords[0 0 200 0]"
        "/Function<</FunctionType 2/Domain[0 1]/C0[1 0 0]/C1[0 0 1]/N 1>>>>>>",
    ]
    objects = [f"{n} 0 obj{body}endobj" for n, body in enumerate(bodies, 1)]
    return "\n".join(["%PDF-1.4", *objects, "trailer<</Root 1 0 R>>", "%%EOF"])


# A 2.x-style viewer opening a stranger's PDF, under both names the classic
# build goes by; then, as a control, the same PDF given to the library itself
# with eval on (what every 2.x and 3.x tool did by default).
HOSTILE_PDF_TOOL = """<!doctype html><html><head><title>Viewer</title>
<script src="https://cdnjs.cloudflare.com/ajax/libs/pdf.js/2.16.105/pdf.min.js"></script>
</head><body><canvas id="c"></canvas><script>
const lib = window['pdfjs-dist/build/pdf'];
lib.GlobalWorkerOptions.workerSrc =
  'https://cdnjs.cloudflare.com/ajax/libs/pdf.js/2.16.105/pdf.worker.min.js';
async function show(pdfjs, bytes, params) {
  const doc = await pdfjs.getDocument(Object.assign({data: bytes}, params)).promise;
  const page = await doc.getPage(1);
  const viewport = page.getViewport({scale: 1});
  const canvas = document.getElementById('c');
  canvas.width = viewport.width; canvas.height = viewport.height;
  await page.render({canvasContext: canvas.getContext('2d'), viewport}).promise;
}
const enc = s => new TextEncoder().encode(s);
(async () => {
  await show(lib, enc(PDF_ONE), {isEvalSupported: true});
  await show(pdfjsLib, enc(PDF_TWO));
  await show(pdfjsLib, enc(PDF_TWO).buffer);
  document.body.dataset.guarded = 'rendered';
  await show(Object.getPrototypeOf(pdfjsLib), enc(PDF_CONTROL), {isEvalSupported: true});
  document.body.dataset.control = 'rendered';
})();
</script></body></html>"""


@pytest.mark.mirror
def test_a_pdf_cannot_run_script_through_the_older_pdf_js(live_server, page):
    html = HOSTILE_PDF_TOOL
    for name, mark in (("PDF_ONE", "one"), ("PDF_TWO", "two"), ("PDF_CONTROL", "raw")):
        pdf = pdf_with_script_in_font(f"document.body.dataset.{mark} = 'ran'")
        html = html.replace(name, json.dumps(pdf))
    watch, created = open_imported(live_server, page, html)
    assert sum("pdfjs-dist 3.11.174" in n for n in created["notices"]) == 2
    expect(page.locator("body")).to_have_attribute("data-control", "rendered", timeout=20_000)
    body = page.locator("body")
    assert body.get_attribute("data-guarded") == "rendered"
    # The PDF does carry script the unguarded library runs...
    assert body.get_attribute("data-raw") == "ran"
    # ...and neither name of the library a tool sees lets it run, even asked to.
    assert body.get_attribute("data-one") is None and body.get_attribute("data-two") is None
    assert page.evaluate("() => window.pdfjsLib === window['pdfjs-dist/build/pdf']")


# React as tools wrote it before 18: unpkg's development builds of 17,
# ReactDOM.render, a class component beside a hooks one.
REACT_17_TOOL = """<!doctype html><html><head><title>Tip calculator</title>
<script crossorigin src="https://unpkg.com/react@17/umd/react.development.js"></script>
<script crossorigin src="https://unpkg.com/react-dom@17/umd/react-dom.development.js"></script>
<script src="https://unpkg.com/babel-standalone@6/babel.min.js"></script>
</head><body><div id="root"></div>
<script type="text/babel">
class Total extends React.Component {
  render() { return <p id="total">Total: {this.props.value.toFixed(2)}</p>; }
}
function App() {
  const [bill, setBill] = React.useState(40);
  return (<div>
    <label>Bill <input id="bill" type="number" value={bill}
      onChange={e => setBill(Number(e.target.value))} /></label>
    <Total value={bill * 1.15} />
  </div>);
}
ReactDOM.render(<App />, document.getElementById('root'));
</script></body></html>"""


@pytest.mark.mirror
def test_react_17_tool_with_reactdom_render_works(live_server, page):
    watch, created = open_imported(live_server, page, REACT_17_TOOL)
    assert sum("react 17.0.2" in n or "react-dom 17.0.2" in n for n in created["notices"]) == 2
    expect(page.locator("#total")).to_have_text("Total: 46.00")
    page.locator("#bill").fill("100")
    expect(page.locator("#total")).to_have_text("Total: 115.00")
    assert page.evaluate("() => [React.version, ReactDOM.version]") == ["17.0.2", "17.0.2"]
    watch.assert_clean(live_server.sandbox_origin)


VUE_2_TOOL = """<!doctype html><html><head><meta charset="utf-8"><title>Todos</title>
<script src="https://cdn.jsdelivr.net/npm/vue@2.6.14/dist/vue.js"></script>
</head><body><div id="app">
  <input id="new" v-model="draft" @keyup.enter="add" placeholder="New task">
  <ul><li v-for="(todo, i) in todos" :key="i" :class="{done: todo.done}"
          @click="todo.done = !todo.done">{{ todo.text }}</li></ul>
  <p id="left">{{ remaining }} left</p>
</div><script>
new Vue({
  el: '#app',
  data: {draft: '', todos: [{text: 'Write', done: false}]},
  computed: {remaining() { return this.todos.filter(t => !t.done).length; }},
  methods: {add() { if (this.draft) { this.todos.push({text: this.draft, done: false});
                                      this.draft = ''; } }}
});
</script></body></html>"""


@pytest.mark.mirror
def test_vue_2_tool_with_new_vue_works(live_server, page):
    watch, created = open_imported(live_server, page, VUE_2_TOOL)
    assert any("vue 2.7.16" in n and "2.6.14" in n for n in created["notices"])
    expect(page.locator("#left")).to_have_text("1 left")
    page.locator("#new").fill("Ship")
    page.locator("#new").press("Enter")
    expect(page.locator("li")).to_have_text(["Write", "Ship"])
    page.locator("li").first.click()
    expect(page.locator("#left")).to_have_text("1 left")
    expect(page.locator("li.done")).to_have_text("Write")
    watch.assert_clean(live_server.sandbox_origin)


# Bootstrap 4 as its own documentation had pages load it: Bootstrap's CDN, the
# slim jQuery, then the bundle.
BOOTSTRAP_4_TOOL = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Signup</title>
<link rel="stylesheet" href="https://stackpath.bootstrapcdn.com/bootstrap/4.5.2/css/bootstrap.min.css"
  integrity="sha384-JcKb8q3iqJ61gNV9KGb8thSsNjpSL0n8PARn9HuZOnIxN0hoP+VmmDGMN5t9UJ0Z"
  crossorigin="anonymous">
</head><body><div class="container mt-3"><form id="f">
  <div class="form-group"><label for="email">Email</label>
    <input id="email" class="form-control" type="email"></div>
  <button class="btn btn-success ml-2" type="button" data-toggle="modal" data-target="#done">
    Sign up</button>
</form></div>
<div class="modal fade" id="done" tabindex="-1"><div class="modal-dialog"><div class="modal-content">
  <div class="modal-body" id="thanks">Thanks!</div></div></div></div>
<script src="https://code.jquery.com/jquery-3.5.1.slim.min.js"
  integrity="sha384-DfXdz2htPH0lsSSs5nCTpuj/zy4C+OGpamoFVy38MVBnE+IbbVYUew+OrCXaRkfj"
  crossorigin="anonymous"></script>
<script src="https://cdn.jsdelivr.net/npm/bootstrap@4.5.3/dist/js/bootstrap.bundle.min.js"></script>
</body></html>"""


@pytest.mark.mirror
def test_bootstrap_4_tool_from_its_cdn_works(live_server, page):
    watch, created = open_imported(live_server, page, BOOTSTRAP_4_TOOL)
    assert sum("bootstrap 4.6.2" in n for n in created["notices"]) == 2
    button = page.get_by_role("button", name="Sign up")
    expect(button).to_have_css("background-color", "rgb(40, 167, 69)")  # 4's green
    expect(button).to_have_css("margin-left", "8px")
    button.click()
    expect(page.locator("#thanks")).to_be_visible()
    watch.assert_clean(live_server.sandbox_origin)


# -- file readers: a spreadsheet and a database, opened by the person ---------------

# SheetJS as tools load it from its own CDN (0.19 on are published only there).
SHEET_TOOL = """<!doctype html><html><head><meta charset="utf-8"><title>Budget viewer</title>
<script lang="javascript"
  src="https://cdn.sheetjs.com/xlsx-0.20.3/package/dist/xlsx.full.min.js"></script>
</head><body><input type="file" id="file" accept=".xlsx,.xls,.ods">
<p id="status">Pick a workbook</p><table id="rows"></table>
<script>
document.getElementById('file').addEventListener('change', async (e) => {
  const status = document.getElementById('status');
  try {
    const wb = XLSX.read(await e.target.files[0].arrayBuffer());
    const rows = XLSX.utils.sheet_to_json(wb.Sheets[wb.SheetNames[0]], {header: 1});
    document.getElementById('rows').innerHTML = rows.map(r =>
      '<tr>' + r.map(v => '<td>' + v + '</td>').join('') + '</tr>').join('');
    status.textContent = wb.SheetNames[0] + ': ' + (rows.length - 1) + ' rows';
  } catch (err) {
    status.textContent = 'Could not read it: ' + err.message;
  }
});
</script></body></html>"""

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.mark.mirror
def test_sheetjs_tool_from_its_own_cdn_reads_a_workbook_the_person_picks(live_server, page):
    watch, created = open_imported(live_server, page, SHEET_TOOL)
    assert any("xlsx 0.18.5" in n and "0.20.3" in n for n in created["notices"])
    page.locator("#file").set_input_files(
        files=[{"name": "budget.xlsx", "mimeType": XLSX_MIME, "buffer": BUDGET_XLSX}])
    expect(page.locator("#status")).to_have_text("Budget: 3 rows")
    expect(page.locator("#rows tr").nth(3)).to_have_text("Mar120100")
    # A file that only says it is a workbook: the tool's own error, nothing thrown.
    page.locator("#file").set_input_files(
        files=[{"name": "fake.xlsx", "mimeType": XLSX_MIME, "buffer": b"PK\x03\x04 cut short"}])
    expect(page.locator("#status")).to_contain_text("Could not read it")
    watch.assert_clean(live_server.sandbox_origin)


# sql.js as tools load it: the script and its WebAssembly's folder (locateFile)
# on a public CDN, in the three spellings its README and cdnjs give.
SQL_LOADS = {
    "jsdelivr": ('https://cdn.jsdelivr.net/npm/sql.js@1.x/dist/sql-wasm.js',
                 'f => "https://cdn.jsdelivr.net/npm/sql.js@1.x/dist/" + f'),
    "cdnjs": ("https://cdnjs.cloudflare.com/ajax/libs/sql.js/1.8.0/sql-wasm.js",
              "file => `https://cdnjs.cloudflare.com/ajax/libs/sql.js/1.8.0/${file}`"),
    "own-site": ("https://unpkg.com/sql.js@1.10.3/dist/sql-wasm.js",
                 "file => `https://sql.js.org/dist/${file}`"),
}
SQL_TOOL = """<!doctype html><html><head><meta charset="utf-8"><title>Shop queries</title>
<script src="SCRIPT"></script>
</head><body><input type="file" id="db" accept=".sqlite,.db">
<textarea id="sql">SELECT region, SUM(units) AS units FROM sales GROUP BY region ORDER BY units DESC</textarea>
<button id="run">Run</button><p id="status">Open a database</p><pre id="out"></pre>
<script>
let db = null;
const SQL_READY = initSqlJs({locateFile: LOCATE});
const status = document.getElementById('status');
document.getElementById('db').addEventListener('change', async (e) => {
  const SQL = await SQL_READY;
  db = new SQL.Database(new Uint8Array(await e.target.files[0].arrayBuffer()));
  status.textContent = 'Opened ' + e.target.files[0].name;
});
document.getElementById('run').addEventListener('click', () => {
  try {
    const [result] = db.exec(document.getElementById('sql').value);
    document.getElementById('out').textContent = result.values.map(r => r.join('=')).join(' ');
    status.textContent = result.columns.join(',');
  } catch (err) {
    status.textContent = 'Error: ' + err.message;
  }
});
</script></body></html>"""


@pytest.mark.mirror
@pytest.mark.parametrize("spelling", list(SQL_LOADS))
def test_sql_js_tool_from_a_cdn_queries_a_database_the_person_picks(live_server, page, spelling):
    script, locate = SQL_LOADS[spelling]
    watch, created, frame = open_in_kiln_page(
        live_server, page, SQL_TOOL.replace("SCRIPT", script).replace("LOCATE", locate))
    mirrored = [n for n in created["notices"] if "library mirror" in n]
    assert len(mirrored) == 2 and all("sql.js 1.17.0" in n for n in mirrored), mirrored
    frame.locator("#db").set_input_files(
        files=[{"name": "shop.sqlite", "mimeType": "application/vnd.sqlite3", "buffer": SHOP_DB}])
    expect(frame.locator("#status")).to_have_text("Opened shop.sqlite", timeout=30_000)
    frame.locator("#run").click()
    expect(frame.locator("#out")).to_have_text("North=17 South=9 East=7")
    expect(frame.locator("#status")).to_have_text("region,units")
    # Broken input: a query naming no table, then a file that is no database.
    frame.locator("#sql").fill("SELECT * FROM nowhere")
    frame.locator("#run").click()
    expect(frame.locator("#status")).to_have_text("Error: no such table: nowhere")
    frame.locator("#db").set_input_files(
        files=[{"name": "notes.db", "mimeType": "text/plain", "buffer": b"just text " * 100}])
    expect(frame.locator("#status")).to_have_text("Opened notes.db")
    frame.locator("#run").click()
    expect(frame.locator("#status")).to_have_text("Error: file is not a database")
    watch.assert_clean(live_server.sandbox_origin, live_server.app_origin)

"""The library mirror's one list: every front-end library an artifact may load.

Artifacts cannot reach the internet (their CSP allows scripts and styles only
inline or from the sandbox origin's ``/lib/``), so the libraries they use are
installed from the npm registry at set-up (``mirror/package.json``, kept equal
to this list by a test) and served by the sandbox at
``/lib/NAME@VERSION/PATH``.

Artifacts refer to the mirror with **root-relative** URLs (``/lib/...``): the
document always runs on the sandbox origin, so they resolve there, and a
stored version keeps working when ``KILN_SANDBOX_ORIGIN`` changes.

The generator renders :func:`prompt_section` into its system prompt; the
sandbox serves only what :func:`find` knows; imported HTML is pointed here by
:mod:`mirror.cdn`.
"""
from __future__ import annotations

from dataclasses import dataclass, field

MIRROR_PREFIX = "/lib/"
# The largest file a page may read from the mirror with fetch() (through Kiln's
# page: see the bootstrap's 72-mirror-fetch.js). Pyodide's WebAssembly, the
# largest listed file, is under 10 MB.
MAX_FETCH_BYTES = 32 * 1024 * 1024

# The command that installs the mirror, run from the project root.
SETUP_COMMAND = "npm ci --prefix mirror --ignore-scripts --no-audit --no-fund"


@dataclass(frozen=True)
class Library:
    name: str                      # npm package name
    version: str                   # exact pinned version
    description: str               # what it is for, one phrase, for the prompt
    usage: str                     # one line telling the model how to use it
    scripts: tuple[str, ...] = ()  # classic scripts, in load order
    styles: tuple[str, ...] = ()   # stylesheets
    module: str | None = None      # self-contained ES module entry
    global_name: str | None = None  # what the classic scripts define on window
    # Extra paths a page may load directly (plugins, themes, addons): a
    # trailing "/" means everything under that directory.
    extras: tuple[str, ...] = ()
    # Import map entries (specifier -> path in the package) for ESM packages
    # whose own files import bare specifiers (three's addons import "three").
    import_map: dict[str, str] = field(default_factory=dict)
    # Folders whose files the package ships only under the plain name, where
    # jsDelivr and cdnjs also serve a NAME.min.js (Day.js's plugins, locales).
    plain_named: tuple[str, ...] = ()
    # Other names the same files go by on public CDNs.
    cdnjs: str | None = None
    npm_aliases: tuple[str, ...] = ()
    # The GitHub repository ("owner/name") jsDelivr also serves it from (/gh/).
    github: str | None = None
    # CDN file paths that differ from the npm layout -> path in the package.
    cdn_paths: dict[str, str] = field(default_factory=dict)
    # The same for whole folders (prefix -> prefix in the package).
    cdn_folders: dict[str, str] = field(default_factory=dict)
    # Oldest version whose API this one still serves, for mapping CDN URLs;
    # by default the same semver major (0.x: the same minor).
    compatible_from: str | None = None
    # The first version it no longer stands in for; by default the next major
    # (0.x: the next minor). Where two held versions both cover a request, the
    # newer one that has the file asked for serves it.
    compatible_to: str | None = None
    # The folder npm installs it in, for an older major held beside the current
    # one through an npm alias ("pdfjs-dist-v3": "npm:pdfjs-dist@3.11.174").
    # Such a version keeps the package's name in its /lib/ URL, is served only
    # to pages written against it (their CDN URLs name it), and is never offered
    # to the model, which writes for the current API.
    install_as: str | None = None
    # False when npm's newest release breaks this one's API: a CDN URL with no
    # version (or @latest, or a jsDelivr /gh/ branch) then asks for that one.
    latest_compatible: bool = True
    # Files (or "" for the package's folder) that a page names in a string for
    # the library to load at run time: pdf.js's workerSrc, Pyodide's indexURL.
    # CDN URLs of these are pointed at the mirror inside scripts too.
    runtime_files: tuple[str, ...] = ()
    # Scripts that must run after the document is parsed (Alpine starts itself).
    defer: bool = False
    # False for what Kiln itself loads into artifacts (the bootstrap's stand-ins):
    # served by the mirror, never offered to the model.
    offered: bool = True

    @property
    def folder(self) -> str:
        """Its folder in the npm install (``mirror/node_modules``)."""
        return self.install_as or self.name

    @property
    def current(self) -> bool:
        """The version pages are written for; False for an older major kept for old tools."""
        return self.install_as is None

    @property
    def base(self) -> str:
        return f"{MIRROR_PREFIX}{self.name}@{self.version}/"

    def url(self, path: str) -> str:
        return self.base + path.lstrip("/")

    def entry_files(self) -> tuple[str, ...]:
        """Every file the prompt tells a page to load."""
        files = [*self.scripts, *self.styles]
        if self.module:
            files.append(self.module)
        files.extend(self.import_map.values())
        files.extend(f for f in self.runtime_files if f)
        return tuple(dict.fromkeys(f for f in files if not f.endswith("/")))

    def tags(self) -> list[str]:
        """The exact tags a page uses to load it."""
        tags = [f'<link rel="stylesheet" href="{self.url(p)}">' for p in self.styles]
        attrs = " defer" if self.defer else ""
        tags += [f'<script{attrs} src="{self.url(p)}"></script>' for p in self.scripts]
        if self.import_map:
            imports = ", ".join(f'"{spec}": "{self.url(p)}"' for spec, p in self.import_map.items())
            tags.append(f'<script type="importmap">{{"imports": {{{imports}}}}}</script>')
        elif self.module and not self.scripts:
            tags.append(f'import ... from "{self.url(self.module)}"')
        return tags


LIBRARIES: tuple[Library, ...] = (
    Library(
        name="react", version="18.3.1",
        description="React 18 (UMD build)",
        scripts=("umd/react.production.min.js",), global_name="React",
        usage="Load react, react-dom and @babel/standalone, then write JSX in "
              '<script type="text/babel">; use React.useState etc. and '
              "ReactDOM.createRoot(el).render(<App />). No import statements.",
        extras=("umd/",), cdnjs="react",
        cdn_paths={"umd/react.min.js": "umd/react.production.min.js"},
    ),
    Library(
        name="react-dom", version="18.3.1",
        description="ReactDOM 18 (UMD build, load after react)",
        scripts=("umd/react-dom.production.min.js",), global_name="ReactDOM",
        usage="ReactDOM.createRoot(document.getElementById('root')).render(<App />)",
        extras=("umd/",), cdnjs="react-dom",
        cdn_paths={"umd/react-dom.min.js": "umd/react-dom.production.min.js"},
    ),
    Library(
        name="react", version="17.0.2", install_as="react-v17",
        description="React 17 (UMD build), for tools written against 16.x and 17.x",
        scripts=("umd/react.production.min.js",), global_name="React", extras=("umd/",),
        usage="ReactDOM.render(<App />, document.getElementById('root'))",
        cdn_paths={"umd/react.min.js": "umd/react.production.min.js"},
        # 16.0 removed createClass and PropTypes from React itself; 16 and 17
        # pages render with ReactDOM.render, which 18 keeps only with a warning
        # and the old, synchronous rendering.
        compatible_from="16.0.0",
    ),
    Library(
        name="react-dom", version="17.0.2", install_as="react-dom-v17",
        description="ReactDOM 17 (UMD build), for tools written against 16.x and 17.x",
        scripts=("umd/react-dom.production.min.js",), global_name="ReactDOM", extras=("umd/",),
        usage="ReactDOM.render(<App />, document.getElementById('root'))",
        cdn_paths={"umd/react-dom.min.js": "umd/react-dom.production.min.js"},
        compatible_from="16.0.0",
    ),
    Library(
        name="@babel/standalone", version="7.29.12",
        description="Babel in the browser: compiles <script type=\"text/babel\"> (JSX)",
        scripts=("babel.min.js",), global_name="Babel",
        usage='Put JSX in <script type="text/babel"> (add data-presets="react" if needed); '
              "it runs after the page loads.",
        # Babel 6's standalone build was used the same way (text/babel).
        cdnjs="babel-standalone", npm_aliases=("babel-standalone",),
        compatible_from="6.0.0",
    ),
    Library(
        name="chart.js", version="4.6.1",
        description="Chart.js 4: canvas charts (bar, line, pie, doughnut, scatter, radar)",
        scripts=("dist/chart.umd.min.js",), global_name="Chart",
        usage="new Chart(canvas, {type: 'bar', data: {labels, datasets: [{label, data}]}, "
              "options}); keep the returned chart and call chart.update() after changing data.",
        cdnjs="Chart.js",
        cdn_paths={"chart.umd.js": "dist/chart.umd.min.js",
                   "chart.umd.min.js": "dist/chart.umd.min.js",
                   "chart.min.js": "dist/chart.umd.min.js", "chart.js": "dist/chart.umd.min.js",
                   "dist/chart.min.js": "dist/chart.umd.min.js",
                   "dist/chart.js": "dist/chart.umd.min.js", "auto": "dist/chart.umd.min.js"},
        # 4.0 changed the packaging, not the API that 3.x pages use (scales.x,
        # plugins.legend); 2.x pages have their own version below.
        compatible_from="3.0.0",
    ),
    Library(
        name="chart.js", version="2.9.4", install_as="chart.js-v2",
        description="Chart.js 2 (classic build), for tools written against 2.x "
                    "(options.scales.xAxes/yAxes, tooltips, Chart.bundle with Moment)",
        scripts=("dist/Chart.min.js",), global_name="Chart", extras=("dist/",),
        usage="new Chart(ctx, {type: 'bar', data, options: {scales: {yAxes: [{ticks: "
              "{beginAtZero: true}}]}}})",
    ),
    Library(
        name="d3", version="7.9.2",
        description="D3 v7: data-driven SVG charts, scales, layouts, geo",
        scripts=("dist/d3.min.js",), global_name="d3",
        usage="d3.select('#chart').append('svg')...; event handlers get (event, d) (v6+).",
        cdnjs="d3", cdn_paths={"d3.min.js": "dist/d3.min.js", "d3.js": "dist/d3.js"},
        compatible_from="6.0.0",
    ),
    Library(
        name="d3", version="5.16.0", install_as="d3-v5",
        description="D3 v5 (classic build), for tools written against v4 and v5 "
                    "(d3.event, d3.mouse, d3.nest)",
        scripts=("dist/d3.min.js",), global_name="d3",
        usage="d3.select('svg').on('click', function (d) { d3.mouse(this); d3.event; })",
        cdn_paths={"d3.min.js": "dist/d3.min.js", "d3.js": "dist/d3.js"},
        # v4 split D3 into modules with the API v5 kept; v5 only moved d3.csv and
        # friends to promises, which need the network anyway.
        compatible_from="4.0.0",
    ),
    Library(
        name="three", version="0.187.0",
        description="three.js r187: 3D graphics with WebGL (ES modules only)",
        module="build/three.module.js",
        import_map={"three": "build/three.module.js", "three/addons/": "examples/jsm/"},
        extras=("examples/jsm/",),
        usage="Add the import map, then in <script type=\"module\">: "
              "import * as THREE from 'three'; "
              "import { OrbitControls } from 'three/addons/controls/OrbitControls.js';",
        cdnjs="three.js", cdn_paths={"build/three.module.min.js": "build/three.module.js"},
        # Pages written for r150+ mostly run unchanged; leaving their CDN URL
        # would fail for certain, so they get the mirrored release.
        compatible_from="0.150.0",
    ),
    Library(
        name="three", version="0.147.0", install_as="three-r147",
        description="three.js r147 (classic build, global `THREE`, with the examples/js addons), "
                    "for tools written against r125 to r159",
        scripts=("build/three.min.js",), global_name="THREE",
        extras=("build/", "examples/js/", "examples/jsm/"),
        usage="<script src=three.min.js> then <script src=examples/js/controls/OrbitControls.js>; "
              "new THREE.OrbitControls(camera, renderer.domElement)",
        cdn_paths={"three.min.js": "build/three.min.js", "three.js": "build/three.js",
                   "three.module.js": "build/three.module.js"},
        # The last release with both global builds: r148 removed examples/js (the
        # THREE.OrbitControls that r1xx tools load beside three.min.js) and r160
        # three.min.js. Geometry went in r125, so tools from r125 on run here;
        # r148 to r159 pages that load the global build get this one too.
        compatible_from="0.125.0", compatible_to="0.160.0",
    ),
    Library(
        name="lodash", version="4.18.1",
        description="Lodash 4: collection, object and function utilities",
        scripts=("lodash.min.js",), global_name="_",
        usage="_.groupBy(rows, 'kind'), _.debounce(fn, 200), _.sortBy(...), _.chunk(...)",
        cdnjs="lodash.js", cdn_paths={"lodash.js": "lodash.min.js"},
    ),
    Library(
        name="papaparse", version="5.7.1",
        description="Papa Parse 5: CSV parsing and writing",
        scripts=("papaparse.min.js",), global_name="Papa",
        usage="Papa.parse(text or File, {header: true, skipEmptyLines: true, "
              "complete: r => ...}); Papa.unparse(rows).",
        cdnjs="PapaParse",
    ),
    Library(
        name="marked", version="18.2.1",
        description="marked 18: Markdown to HTML",
        scripts=("lib/marked.umd.js",), module="lib/marked.esm.js", global_name="marked",
        usage="marked.parse(markdown) returns HTML; pass it through DOMPurify.sanitize() "
              "before innerHTML when the markdown comes from the user.",
        cdnjs="marked",
        cdn_paths={"marked.min.js": "lib/marked.umd.js", "marked.js": "lib/marked.umd.js",
                   "lib/marked.min.js": "lib/marked.umd.js", "lib/marked.js": "lib/marked.umd.js",
                   "marked.esm.js": "lib/marked.esm.js",
                   "lib/marked.esm.min.js": "lib/marked.esm.js"},
        # marked.parse() has been the entry point since v4.
        compatible_from="4.0.0",
    ),
    Library(
        name="dompurify", version="3.5.0",
        description="DOMPurify 3: sanitise HTML before inserting it",
        scripts=("dist/purify.min.js",), module="dist/purify.es.mjs", global_name="DOMPurify",
        usage="el.innerHTML = DOMPurify.sanitize(untrustedHtml)",
        cdnjs="dompurify",
        cdn_paths={"purify.min.js": "dist/purify.min.js", "purify.js": "dist/purify.js"},
        compatible_from="2.0.0",
    ),
    Library(
        name="mathjs", version="15.2.0",
        description="math.js 15: expression parser, units, matrices, big numbers",
        scripts=("lib/browser/math.js",), global_name="math",
        usage="math.evaluate('12.7 cm to inch'), math.format(x, {precision: 14}), "
              "math.matrix(...), math.derivative('x^2', 'x')",
        cdnjs="mathjs",
        cdn_paths={"math.min.js": "lib/browser/math.js", "math.js": "lib/browser/math.js",
                   "dist/math.min.js": "lib/browser/math.js", "dist/math.js": "lib/browser/math.js",
                   "lib/browser/math.min.js": "lib/browser/math.js"},
        compatible_from="11.0.0",
    ),
    Library(
        name="tone", version="15.5.44",
        description="Tone.js 15: Web Audio synths, effects and scheduling",
        scripts=("build/Tone.js",), global_name="Tone",
        usage="Start audio from a click: await Tone.start(); then "
              "new Tone.Synth().toDestination().triggerAttackRelease('C4', '8n').",
        cdnjs="tone", cdn_paths={"Tone.js": "build/Tone.js", "build/Tone.min.js": "build/Tone.js",
                                 "Tone.min.js": "build/Tone.js"},
        compatible_from="14.7.0",
    ),
    Library(
        name="leaflet", version="1.9.4",
        description="Leaflet 1.9: interactive maps (markers, polygons, GeoJSON)",
        scripts=("dist/leaflet.js",), styles=("dist/leaflet.css",), global_name="L",
        extras=("dist/images/",),
        usage="L.map('map').setView([lat, lng], zoom); give #map a height. Internet tile "
              "servers are blocked: draw GeoJSON, vector layers or an L.imageOverlay instead.",
        cdnjs="leaflet",
        cdn_paths={"leaflet.js": "dist/leaflet.js", "leaflet.css": "dist/leaflet.css",
                   "leaflet.min.js": "dist/leaflet.js", "leaflet.min.css": "dist/leaflet.css",
                   "leaflet-src.js": "dist/leaflet-src.js"},
    ),
    Library(
        name="katex", version="0.19.1",
        description="KaTeX: fast TeX math rendering",
        scripts=("dist/katex.min.js", "dist/contrib/auto-render.min.js"),
        styles=("dist/katex.min.css",), module="dist/katex.mjs", global_name="katex",
        extras=("dist/contrib/", "dist/fonts/"),
        usage="katex.render('c = \\\\pm\\\\sqrt{a^2 + b^2}', el, {throwOnError: false}); or "
              "renderMathInElement(document.body) for $$...$$ in text (auto-render).",
        cdnjs="KaTeX",
        cdn_paths={"katex.min.js": "dist/katex.min.js", "katex.js": "dist/katex.js",
                   "katex.min.css": "dist/katex.min.css", "katex.css": "dist/katex.css",
                   "contrib/auto-render.min.js": "dist/contrib/auto-render.min.js",
                   "contrib/auto-render.js": "dist/contrib/auto-render.js",
                   "contrib/mhchem.min.js": "dist/contrib/mhchem.min.js",
                   "contrib/copy-tex.min.js": "dist/contrib/copy-tex.min.js"},
        compatible_from="0.13.0",
    ),
    Library(
        name="@highlightjs/cdn-assets", version="11.12.0",
        description="highlight.js 11: syntax highlighting (common languages built in)",
        scripts=("highlight.min.js",), styles=("styles/github.min.css",),
        module="es/highlight.min.js", global_name="hljs", extras=("languages/", "styles/", "es/"),
        usage="hljs.highlightElement(codeEl) or hljs.highlightAll(); other themes: "
              "styles/github-dark.min.css, styles/atom-one-dark.min.css; more languages: "
              "languages/NAME.min.js.",
        cdnjs="highlight.js", npm_aliases=("highlight.js",), github="highlightjs/cdn-release",
        # The cdn-release repository keeps the same files under build/.
        cdn_folders={"build/": ""},
        cdn_paths={"build/highlight.min.js": "highlight.min.js",
                   "build/highlight.js": "highlight.js"},
    ),
    Library(
        name="jquery", version="3.8.0",
        description="jQuery 3: DOM queries, events and effects",
        scripts=("dist/jquery.min.js",), global_name="jQuery",
        usage="$(() => { $('#go').on('click', () => $('#out').text('hi')); }); "
              "no $.ajax (there is no network).",
        cdnjs="jquery", cdn_paths={"jquery.min.js": "dist/jquery.min.js",
                                   "jquery.js": "dist/jquery.min.js",
                                   "dist/jquery.js": "dist/jquery.min.js"},
    ),
    Library(
        name="vue", version="3.5.45",
        description="Vue 3 (global build with the template compiler)",
        scripts=("dist/vue.global.prod.js",), global_name="Vue",
        usage="Vue.createApp({data: () => ({n: 0}), template: '<button @click=\"n++\">{{ n }}"
              "</button>'}).mount('#app')",
        cdnjs="vue", cdn_paths={"vue.global.js": "dist/vue.global.prod.js",
                                "vue.global.prod.js": "dist/vue.global.prod.js",
                                "vue.global.min.js": "dist/vue.global.prod.js",
                                "dist/vue.global.js": "dist/vue.global.prod.js"},
    ),
    Library(
        name="vue", version="2.7.16", install_as="vue-v2",
        description="Vue 2 (global build with the template compiler), for tools written "
                    "against 2.x: new Vue({el, data, methods})",
        scripts=("dist/vue.min.js",), global_name="Vue", extras=("dist/",),
        usage="new Vue({el: '#app', data: {n: 0}, methods: {add() { this.n++; }}})",
        cdn_paths={"vue.js": "dist/vue.min.js", "vue.min.js": "dist/vue.min.js",
                   "dist/vue.js": "dist/vue.min.js"},
    ),
    Library(
        name="alpinejs", version="3.17.5",
        description="Alpine.js 3: behaviour in HTML attributes (x-data, x-on, x-text)",
        scripts=("dist/cdn.min.js",), global_name="Alpine", defer=True,
        usage='<div x-data="{open: false}">'
              '<button @click="open = !open">Toggle</button><p x-show="open">Hi</p></div>',
        cdnjs="alpinejs", cdn_paths={"cdn.min.js": "dist/cdn.min.js", "cdn.js": "dist/cdn.min.js",
                                     "alpine.min.js": "dist/cdn.min.js"},
    ),
    Library(
        name="p5", version="1.11.13",
        description="p5.js 1: creative coding on a canvas (setup/draw sketches)",
        scripts=("lib/p5.min.js",), global_name="p5",
        usage="function setup() { createCanvas(400, 300); } function draw() { background(220); "
              "circle(mouseX, mouseY, 40); }",
        cdnjs="p5.js", cdn_paths={"p5.min.js": "lib/p5.min.js", "p5.js": "lib/p5.min.js",
                                   "lib/p5.js": "lib/p5.min.js"},
    ),
    Library(
        name="gsap", version="3.15.0",
        description="GSAP 3: animation of DOM, SVG and objects",
        scripts=("dist/gsap.min.js",), global_name="gsap",
        usage="gsap.to('.box', {x: 200, rotation: 360, duration: 1}); respect "
              "prefers-reduced-motion.",
        cdnjs="gsap", cdn_paths={"gsap.min.js": "dist/gsap.min.js", "gsap.js": "dist/gsap.min.js",
                                 "dist/gsap.js": "dist/gsap.min.js"},
    ),
    Library(
        name="@tailwindcss/browser", version="4.3.4",
        description="Tailwind CSS v4, compiled in the browser from the classes you use",
        scripts=("dist/index.global.js",),
        usage="Load the script and use utility classes; customise with "
              '<style type="text/tailwindcss">@theme { --color-brand: #0af; }</style> '
              "(v4: no tailwind.config).",
        cdn_paths={"index.global.js": "dist/index.global.js"},
    ),
    Library(
        name="qrcodejs", version="1.0.0",
        description="QRCode.js: QR codes drawn on a canvas, with an <img> copy",
        scripts=("qrcode.min.js",), global_name="QRCode",
        usage="const qr = new QRCode(el, {text: 'https://example.com', width: 160, height: 160, "
              "correctLevel: QRCode.CorrectLevel.M}); qr.makeCode(newText) redraws it. "
              "Keep level M: the default (H) throws on some text lengths.",
        cdnjs="qrcodejs", cdn_paths={"qrcode.js": "qrcode.min.js"},
        # davidshimjs-qrcodejs 0.0.2 on npm ships this qrcode.min.js byte for
        # byte, and the repository's branches serve later builds of the same API.
        npm_aliases=("davidshimjs-qrcodejs",), github="davidshimjs/qrcodejs",
        compatible_from="0.0.2",
    ),
    Library(
        name="canvas-confetti", version="1.9.4",
        description="canvas-confetti 1: confetti bursts for celebrations",
        scripts=("dist/confetti.browser.js",), module="dist/confetti.module.mjs",
        global_name="confetti",
        usage="confetti({particleCount: 100, spread: 70, origin: {y: 0.6}, "
              "disableForReducedMotion: true}) returns a promise that resolves when it is over.",
        cdnjs="canvas-confetti",
        # The package has no minified build; jsDelivr and cdnjs make one of this file.
        cdn_paths={"dist/confetti.browser.min.js": "dist/confetti.browser.js"},
    ),
    Library(
        name="jspdf", version="4.2.1",
        description="jsPDF 4: PDF files made in the browser (text, shapes, images)",
        scripts=("dist/jspdf.umd.min.js",), global_name="jspdf",
        extras=("dist/polyfills.umd.js",),
        usage="const { jsPDF } = window.jspdf; const doc = new jsPDF(); doc.text('Hello', 20, 20); "
              "doc.save('file.pdf') from a click handler (the viewer is asked first). "
              "doc.html() does not work here (it needs html2canvas).",
        cdnjs="jspdf", cdn_paths={"dist/jspdf.umd.js": "dist/jspdf.umd.min.js"},
        # 2.0 moved the global from window.jsPDF to window.jspdf.jsPDF, so 1.x
        # pages cannot run on this. 3.0 only dropped Internet Explorer and 4.0
        # only fenced file reads in the Node build: pages written for 2.x run.
        compatible_from="2.0.0",
    ),
    Library(
        name="bootstrap", version="5.3.9",
        description="Bootstrap 5.3: CSS components and grid, with its JavaScript (Popper included)",
        scripts=("dist/js/bootstrap.bundle.min.js",), styles=("dist/css/bootstrap.min.css",),
        global_name="bootstrap", extras=("dist/css/",),
        usage="Use its classes (container, row, col-md-6, btn btn-primary, card, form-control) "
              "and data-bs-toggle attributes, or new bootstrap.Modal(el).show(). "
              "No Bootstrap Icons.",
        cdnjs="bootstrap",
        # The bundle is bootstrap.js with Popper built in: pages that load the two
        # separately get it whole, as Popper is not mirrored on its own.
        cdn_paths={"dist/js/bootstrap.min.js": "dist/js/bootstrap.bundle.min.js",
                   "dist/js/bootstrap.js": "dist/js/bootstrap.bundle.min.js",
                   "dist/js/bootstrap.bundle.js": "dist/js/bootstrap.bundle.min.js"},
    ),
    Library(
        name="bootstrap", version="4.6.2", install_as="bootstrap-v4",
        description="Bootstrap 4.6 (CSS and its jQuery plugins, Popper included), for tools "
                    "written against 4.x: ml-2, form-group, data-toggle",
        scripts=("dist/js/bootstrap.bundle.min.js",), styles=("dist/css/bootstrap.min.css",),
        global_name="bootstrap", extras=("dist/css/", "dist/js/"),
        usage="Load jQuery first; $('#modal').modal('show'), data-toggle=\"collapse\"",
        # As for 5: the bundle stands in for bootstrap.js and a separate Popper.
        cdn_paths={"dist/js/bootstrap.min.js": "dist/js/bootstrap.bundle.min.js",
                   "dist/js/bootstrap.js": "dist/js/bootstrap.bundle.min.js",
                   "dist/js/bootstrap.bundle.js": "dist/js/bootstrap.bundle.min.js"},
    ),
    Library(
        name="lucide", version="1.65.0",
        description="Lucide: 1,600+ SVG icons placed by data-lucide attributes",
        scripts=("dist/umd/lucide.min.js",), global_name="lucide", extras=("dist/umd/",),
        usage='<i data-lucide="trash-2"></i> (names as on lucide.dev: house, search, x, '
              "check, plus, settings, ...), then call lucide.createIcons() once the elements "
              "are in the page, and again after adding more. No brand logos (github, twitter).",
        cdnjs="lucide",
        cdn_paths={"lucide.min.js": "dist/umd/lucide.min.js", "lucide.js": "dist/umd/lucide.js",
                   "umd/lucide.min.js": "dist/umd/lucide.min.js",
                   "umd/lucide.js": "dist/umd/lucide.js"},
        # 1.0 kept createIcons() and the renamed icons' old names as aliases;
        # it dropped the brand logos, which then stay empty (with a warning)
        # rather than failing the page as a blocked script would.
        compatible_from="0.200.0",
    ),
    Library(
        name="dayjs", version="1.11.23",
        description="Day.js 1: parse, format and compare dates (2 kB, Moment-like API)",
        scripts=("dayjs.min.js",), global_name="dayjs", extras=("plugin/", "locale/"),
        plain_named=("plugin/", "locale/"),
        usage="dayjs(date).format('DD MMM YYYY HH:mm'), .add(7, 'day'), .diff(other, 'day'); "
              "plugins: load plugin/NAME.js, then dayjs.extend(window.dayjs_plugin_NAME) "
              "(relativeTime, utc, timezone, customParseFormat, isoWeek, duration).",
        cdnjs="dayjs",
    ),
    Library(
        name="moment", version="2.31.0",
        description="Moment.js 2: date parsing, formatting and arithmetic (prefer dayjs in new code)",
        scripts=("min/moment.min.js",), global_name="moment", extras=("min/", "locale/"),
        plain_named=("locale/",),
        usage="moment(date).format('dddd, MMMM Do YYYY'), moment().subtract(3, 'days'), "
              "moment.duration(90, 'minutes').humanize(); every locale: "
              "min/moment-with-locales.min.js instead.",
        cdnjs="moment.js",
        cdn_paths={"moment.min.js": "min/moment.min.js", "moment.js": "min/moment.min.js",
                   "moment-with-locales.min.js": "min/moment-with-locales.min.js",
                   "moment-with-locales.js": "min/moment-with-locales.min.js"},
    ),
    Library(
        name="sortablejs", version="1.15.7",
        description="SortableJS 1: drag-and-drop reordering of lists and between lists",
        scripts=("Sortable.min.js",), module="modular/sortable.esm.js", global_name="Sortable",
        usage="const s = Sortable.create(listEl, {animation: 150, group: 'tasks', "
              "handle: '.grip', onEnd: e => save(e.oldIndex, e.newIndex)}); s.toArray() gives "
              "the items' data-id order.",
        cdnjs="Sortable", github="SortableJS/Sortable",
        cdn_paths={"Sortable.js": "Sortable.min.js"},
    ),
    Library(
        name="animejs", version="3.2.2",
        description="anime.js 3: tweening of CSS, SVG and object properties, with timelines",
        scripts=("lib/anime.min.js",), module="lib/anime.es.js", global_name="anime",
        usage="anime({targets: '.box', translateX: 250, rotate: '1turn', duration: 800, "
              "easing: 'easeInOutQuad', complete: () => ...}); anime.timeline({...}).add({...}). "
              "This is the v3 API (v4's animate() is not here).",
        cdnjs="animejs",
        cdn_paths={"anime.min.js": "lib/anime.min.js", "anime.js": "lib/anime.min.js",
                   "lib/anime.js": "lib/anime.min.js", "anime.es.js": "lib/anime.es.js"},
        # Version 4 replaced anime() with animate() and friends, so only 3.x URLs
        # map here, and no unversioned one: npm's latest, and the repository's
        # branches, are 4.
        latest_compatible=False,
    ),
    Library(
        name="@fortawesome/fontawesome-free", version="6.7.2",
        description="Font Awesome 6 Free: icon font (solid, regular and brand icons)",
        styles=("css/all.min.css",), extras=("css/", "webfonts/", "js/"),
        usage='<i class="fa-solid fa-house"></i>, <i class="fa-regular fa-heart"></i>, '
              '<i class="fa-brands fa-github"></i>; add aria-hidden="true" and a text label.',
        cdnjs="font-awesome",
        # Pages are written against one major's class names and metrics: 5 named
        # styles differently (fas, far), and 7 makes every icon fixed-width and
        # changes the icon set. So only 6.x URLs map here, not unversioned ones
        # (npm's latest is 7).
        latest_compatible=False,
    ),
    Library(
        name="markdown-it", version="15.0.3",
        description="markdown-it 15: CommonMark Markdown to HTML, with plugins and options",
        scripts=("dist/browser/markdown-it.umd.min.js",),
        module="dist/browser/markdown-it.esm.min.mjs", global_name="markdownit",
        usage="const md = markdownit({linkify: true, typographer: true}); "
              "el.innerHTML = md.render(text) (raw HTML in the text is escaped unless html: true).",
        cdnjs="markdown-it",
        cdn_paths={"dist/markdown-it.min.js": "dist/browser/markdown-it.umd.min.js",
                   "dist/markdown-it.js": "dist/browser/markdown-it.umd.min.js",
                   "markdown-it.min.js": "dist/browser/markdown-it.umd.min.js",
                   "markdown-it.js": "dist/browser/markdown-it.umd.min.js"},
        # render() and the options object are the same since 8.
        compatible_from="8.0.0",
    ),
    Library(
        name="turndown", version="7.2.5",
        description="Turndown 7: HTML to Markdown",
        scripts=("dist/turndown.js",), module="lib/turndown.browser.es.js",
        global_name="TurndownService",
        usage="new TurndownService({headingStyle: 'atx', codeBlockStyle: 'fenced'})"
              ".turndown(htmlStringOrElement) returns Markdown.",
        cdnjs="turndown", extras=("lib/",),
        cdn_paths={"turndown.js": "dist/turndown.js", "turndown.min.js": "dist/turndown.js",
                   "dist/turndown.min.js": "dist/turndown.js"},
        compatible_from="5.0.0",
    ),
    Library(
        name="moment-timezone", version="0.6.6",
        description="Moment Timezone: time zones for Moment.js (load after moment), with the IANA data",
        scripts=("builds/moment-timezone-with-data.min.js",), global_name="moment.tz",
        extras=("builds/",),
        usage="moment.tz('2024-03-05 09:00', 'America/New_York').tz('Asia/Tokyo')"
              ".format('YYYY-MM-DD HH:mm z'); moment.tz.names() lists every zone.",
        cdnjs="moment-timezone",
        cdn_paths={"moment-timezone-with-data.min.js": "builds/moment-timezone-with-data.min.js",
                   "moment-timezone-with-data.js": "builds/moment-timezone-with-data.js",
                   "moment-timezone-with-data-10-year-range.min.js":
                       "builds/moment-timezone-with-data-10-year-range.min.js",
                   "moment-timezone-with-data-1970-2030.min.js":
                       "builds/moment-timezone-with-data-1970-2030.min.js",
                   "moment-timezone.min.js": "builds/moment-timezone.min.js"},
        # 0.6 only dropped old data formats; 0.5 pages run unchanged.
        compatible_from="0.5.0",
    ),
    Library(
        name="jszip", version="3.10.2",
        description="JSZip 3: read and write .zip files in the browser",
        scripts=("dist/jszip.min.js",), global_name="JSZip",
        usage="const zip = new JSZip(); zip.file('a.txt', 'hi'); "
              "const blob = await zip.generateAsync({type: 'blob'}); "
              "read one: (await JSZip.loadAsync(file)).file('a.txt').async('string').",
        cdnjs="jszip",
        cdn_paths={"jszip.min.js": "dist/jszip.min.js", "jszip.js": "dist/jszip.min.js",
                   "dist/jszip.js": "dist/jszip.min.js"},
    ),
    Library(
        name="leaflet.markercluster", version="1.5.3",
        description="Leaflet.markercluster: clusters of many markers on a Leaflet map (load after leaflet)",
        scripts=("dist/leaflet.markercluster.js",),
        styles=("dist/MarkerCluster.css", "dist/MarkerCluster.Default.css"),
        global_name="L.MarkerClusterGroup",
        usage="L.map('map', {maxZoom: 18}) (it needs a maxZoom, and there is no tile layer to "
              "give one); const group = L.markerClusterGroup(); "
              "group.addLayer(L.marker([lat, lng])); map.addLayer(group);",
        cdnjs="leaflet.markercluster",
        cdn_paths={"leaflet.markercluster.js": "dist/leaflet.markercluster.js",
                   "leaflet.markercluster-src.js": "dist/leaflet.markercluster-src.js",
                   "MarkerCluster.css": "dist/MarkerCluster.css",
                   "MarkerCluster.Default.css": "dist/MarkerCluster.Default.css"},
        compatible_from="1.0.0",
    ),
    Library(
        name="pdfjs-dist", version="6.5.438",
        description="PDF.js 6: render PDF pages to a canvas and read their text (ES module)",
        module="build/pdf.min.mjs",
        runtime_files=("build/pdf.worker.min.mjs", "build/pdf.worker.mjs"),
        extras=("build/", "cmaps/", "standard_fonts/", "wasm/", "iccs/"),
        usage="import * as pdfjsLib from 'pdfjs-dist'; pdfjsLib.GlobalWorkerOptions.workerSrc = "
              "'/lib/pdfjs-dist@6.5.438/build/pdf.worker.min.mjs'; "
              "const pdf = await pdfjsLib.getDocument({data: await file.arrayBuffer()}).promise; "
              "const page = await pdf.getPage(1); const viewport = page.getViewport({scale: 1.5}); "
              "await page.render({canvas, viewport}).promise; (await page.getTextContent()).items.",
        cdnjs="pdf.js",
        cdn_paths={"pdf.min.mjs": "build/pdf.min.mjs", "pdf.mjs": "build/pdf.mjs",
                   "pdf.worker.min.mjs": "build/pdf.worker.min.mjs",
                   "pdf.worker.mjs": "build/pdf.worker.mjs"},
        # The ES module builds began with 4.0; 2.x and 3.x pages load a classic
        # pdf.min.js, which this release no longer has.
        compatible_from="4.0.0",
    ),
    Library(
        name="pdfjs-dist", version="3.11.174", install_as="pdfjs-dist-v3",
        description="PDF.js 3 (classic build, global `pdfjsLib`), for tools written against "
                    "2.x and 3.x",
        scripts=("build/pdf.min.js",), global_name="pdfjsLib",
        runtime_files=("build/pdf.worker.min.js", "build/pdf.worker.js",
                       "legacy/build/pdf.worker.min.js", "legacy/build/pdf.worker.js"),
        extras=("build/", "legacy/build/", "cmaps/", "standard_fonts/"),
        usage="pdfjsLib.GlobalWorkerOptions.workerSrc = "
              "'/lib/pdfjs-dist@3.11.174/build/pdf.worker.min.js'; "
              "page.render({canvasContext: canvas.getContext('2d'), viewport})",
        cdn_paths={"pdf.min.js": "build/pdf.min.js", "pdf.js": "build/pdf.js",
                   "pdf.worker.min.js": "build/pdf.worker.min.js",
                   "pdf.worker.js": "build/pdf.worker.js"},
        # 2.x pages use the same global and calls (getDocument().promise,
        # getViewport({scale}), render({canvasContext, viewport})); the few from
        # before 2.2 that pass getViewport a bare number draw nothing here, as
        # they would on 3.x, but the page still loads.
        compatible_from="2.0.0",
    ),
    Library(
        name="pyodide", version="314.0.8",
        description="Pyodide: CPython compiled to WebAssembly, with the standard library "
                    "(no extra packages: loadPackage and micropip need the network)",
        scripts=("pyodide.js",), module="pyodide.mjs", global_name="loadPyodide",
        extras=("pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip", "pyodide-lock.json"),
        runtime_files=("",),
        usage="const py = await loadPyodide(); py.runPython('import statistics; "
              "statistics.mean([1, 2, 3])'); py.setStdout({batched: line => show(line)}). It takes "
              "a few seconds to start: show a loading message. Only the standard library "
              "is there: no numpy or pandas, no micropip.install.",
        # What tools call (loadPyodide with indexURL and stdout, runPython,
        # runPythonAsync, globals.get/set, toJs, FS) is the same since 0.21 (0.23
        # only added setStdout): a 0.22 tool runs here unchanged. jsDelivr also
        # serves the same files under /pyodide/vVERSION/full/. One release is
        # held: it is the largest library (14 MB), and an older one would serve
        # no tool this one cannot.
        compatible_from="0.21.0",
    ),
    Library(
        name="xlsx", version="0.18.5",
        description="SheetJS 0.18: read and write spreadsheets (XLSX, XLS, ODS) as rows",
        scripts=("dist/xlsx.full.min.js",), module="xlsx.mjs", global_name="XLSX",
        extras=("dist/", "xlsx.js"),
        usage="const wb = XLSX.read(await file.arrayBuffer()); const rows = "
              "XLSX.utils.sheet_to_json(wb.Sheets[wb.SheetNames[0]]) (objects keyed by the "
              "header row; {header: 1} gives arrays); to make one: XLSX.utils.json_to_sheet(rows), "
              "XLSX.utils.book_new(), XLSX.utils.book_append_sheet(wb, ws, 'Sheet1'), "
              "XLSX.write(wb, {type: 'array', bookType: 'xlsx'}).",
        cdnjs="xlsx",
        cdn_paths={"xlsx.min.js": "dist/xlsx.full.min.js",
                   "dist/xlsx.min.js": "dist/xlsx.full.min.js"},
        # npm's last release: 0.19 and 0.20 are published on SheetJS's own CDN
        # (cdn.sheetjs.com) with the same read, utils and write calls, which
        # tools have used since 0.12.
        compatible_from="0.12.0", compatible_to="0.21.0",
    ),
    Library(
        name="sql.js", version="1.17.0",
        description="sql.js 1: SQLite in WebAssembly: open a .sqlite/.db file or make a "
                    "database in memory, and query it with SQL",
        scripts=("dist/sql-wasm.js",), global_name="initSqlJs", extras=("dist/",),
        runtime_files=("dist/sql-wasm.wasm", "dist/"),
        usage="const SQL = await initSqlJs({locateFile: f => '/lib/sql.js@1.17.0/dist/' + f}) "
              "(locateFile is needed: it finds its WebAssembly there); "
              "const db = new SQL.Database(new Uint8Array(await "
              "file.arrayBuffer())) (or new SQL.Database() for an empty one); "
              "const [result] = db.exec('SELECT name, total FROM orders'); result.columns, "
              "result.values; for rows one by one: const st = db.prepare(sql, [param]); "
              "while (st.step()) st.getAsObject(); st.free(). db.export() gives the file back.",
        cdnjs="sql.js",
        # cdnjs serves dist/'s files at the release's root (locateFile names
        # that folder).
        cdn_folders={"": "dist/"},
        # initSqlJs() and the Database API are the same since 1.0.
    ),
    Library(
        name="maplibre-gl", version="5.24.1",
        description="MapLibre GL JS 5: WebGL vector maps (GeoJSON layers, markers, popups)",
        scripts=("dist/maplibre-gl.js",), styles=("dist/maplibre-gl.css",),
        global_name="maplibregl", extras=("dist/",),
        usage="new maplibregl.Map({container: 'map', center: [lng, lat], zoom: 3, style: "
              "{version: 8, sources: {places: {type: 'geojson', data: geojson}}, layers: "
              "[{id: 'bg', type: 'background', paint: {'background-color': '#dde7ee'}}, "
              "{id: 'places', type: 'circle', source: 'places', paint: {'circle-radius': 6, "
              "'circle-color': '#d33'}}]}}); give #map a height. Style URLs and tile servers "
              "are on the internet and blocked: write the style inline, with fill, line, "
              "circle and background layers (text labels need glyphs from the network: use "
              "maplibregl.Marker and Popup for labels).",
        cdnjs="maplibre-gl",
        # The constructor, sources, layers, markers and popups that tools use
        # have kept their API since 2.0 (which only dropped Internet Explorer).
        compatible_from="2.0.0",
    ),
    Library(
        name="mermaid", version="12.4.0",
        description="Mermaid 12: diagrams from text (flowchart, sequence, class, state, ER, "
                    "gantt, pie, mindmap, timeline), drawn as SVG",
        scripts=("dist/mermaid.min.js",), module="dist/mermaid.esm.min.mjs",
        global_name="mermaid", extras=("dist/chunks/mermaid.esm.min/",),
        usage='<pre class="mermaid">flowchart LR; A[Idea] --> B[Tool]</pre> is drawn when the '
              "page loads; for text that changes: const {svg} = await mermaid.render("
              "'diagram-' + n++, text); el.innerHTML = svg (call mermaid.initialize("
              "{startOnLoad: false, theme: 'neutral'}) first).",
        cdnjs="mermaid",
        cdn_paths={"mermaid.min.js": "dist/mermaid.min.js", "mermaid.js": "dist/mermaid.min.js",
                   "dist/mermaid.js": "dist/mermaid.min.js",
                   "mermaid.esm.min.mjs": "dist/mermaid.esm.min.mjs",
                   "dist/mermaid.esm.mjs": "dist/mermaid.esm.min.mjs",
                   "mermaid.esm.mjs": "dist/mermaid.esm.min.mjs"},
        # 10 made render() return a promise and added run(); the versions since
        # kept both, and the diagram syntax only grew.
        compatible_from="10.0.0",
    ),
    Library(
        name="fake-indexeddb", version="6.2.8",
        description="an in-memory IndexedDB, loaded by the bootstrap where the sandbox refuses the real one",
        usage="Not for pages: the bootstrap loads it when a page first uses indexedDB.",
        module="auto/index.mjs", extras=("build/esm/",), offered=False,
    ),
)

_BY_NAME = {lib.name: lib for lib in LIBRARIES if lib.current}
_BY_VERSION = {(lib.name, lib.version): lib for lib in LIBRARIES}


def _module_url(name: str) -> str:
    lib = _BY_NAME[name]
    if lib.module is None:
        raise ValueError(f"{name} is listed without an ES module entry")
    return lib.url(lib.module)


# The in-memory IndexedDB the bootstrap loads on a page's first use of indexedDB.
INDEXEDDB_SHIM = _module_url("fake-indexeddb")


def import_map() -> dict[str, str]:
    """Bare specifiers of every offered library with an ES module build, for the
    import map Kiln puts in front of every page that uses modules: ``three``,
    ``three/addons/...``, ``pdfjs-dist/build/...``. A page's own import map is
    merged after it (its CDN entries already point here, see :mod:`mirror.cdn`)."""
    imports: dict[str, str] = {}
    for lib in LIBRARIES:
        if not lib.offered or not lib.current or not (lib.module or lib.import_map):
            continue
        if lib.module:
            imports.update(dict.fromkeys((lib.name, *lib.npm_aliases), lib.url(lib.module)))
        imports.update({spec: lib.url(path) for spec, path in lib.import_map.items()})
        imports[lib.name + "/"] = lib.base
    return imports


def find(name: str, version: str | None = None) -> Library | None:
    """The listed library of that name: its exact version when given, else the
    current one (the version pages are written for)."""
    if version is None:
        return _BY_NAME.get(name)
    return _BY_VERSION.get((name, version))


def versions(name: str) -> tuple[Library, ...]:
    """Every held version of a package, the current one first."""
    return tuple(sorted((lib for lib in LIBRARIES if lib.name == name),
                        key=lambda lib: not lib.current))


def package_json_dependencies() -> dict[str, str]:
    """What ``mirror/package.json`` must pin, exactly: older majors by npm alias."""
    return {lib.folder: f"npm:{lib.name}@{lib.version}" if lib.install_as else lib.version
            for lib in LIBRARIES}


def prompt_section() -> str:
    """The system prompt's list of libraries, with the exact tags to use."""
    lines = [
        "Libraries: the page cannot reach the internet or any CDN. Use only these "
        "pinned libraries, loaded exactly as shown (root-relative /lib/ URLs; no "
        "integrity or crossorigin attributes). Prefer plain JavaScript when a library "
        "is not needed.",
        "",
    ]
    for lib in LIBRARIES:
        if not lib.offered or not lib.current:
            continue
        head = f"- {lib.name} {lib.version}: {lib.description}"
        if lib.global_name:
            head += f" (global `{lib.global_name}`)"
        lines.append(head)
        lines.extend(f"    {tag}" for tag in lib.tags())
        if lib.module and lib.scripts:
            lines.append(f'    or as an ES module: import ... from "{lib.url(lib.module)}"')
        lines.append(f"    {lib.usage}")
    return "\n".join(lines)


LIBRARIES_START = "<!-- libraries: generated from mirror/libraries.py by scripts/libraries_doc.py -->"
LIBRARIES_END = "<!-- end of libraries -->"


def libraries_table() -> str:
    """The table of mirrored libraries in docs/tool-api.md, between its two markers:
    what tools are written with, then the older majors kept for tools that name them."""
    rows = ["| library | version | what for |", "|---|---|---|"]
    rows += [f"| `{lib.name}` | {lib.version} | {lib.description.replace('<', '&lt;')} |"
             for lib in LIBRARIES if lib.offered and lib.current]
    older = [lib for lib in LIBRARIES if lib.offered and not lib.current]
    if older:
        rows += ["", "Older majors, served only to tools whose CDN URLs ask for them "
                 "(never offered to the model):", "",
                 "| library | version | serves CDN URLs of | what for |", "|---|---|---|---|"]
        rows += [f"| `{lib.name}` | {lib.version} | {_served_range(lib)} | "
                 f"{lib.description.replace('<', '&lt;')} |" for lib in older]
    return "\n".join([LIBRARIES_START, *rows, LIBRARIES_END])


def _served_range(lib: Library) -> str:
    major, minor = (int(n) for n in lib.version.split(".")[:2])
    low = lib.compatible_from or (f"{major}.0.0" if major else f"0.{minor}.0")
    high = lib.compatible_to or (f"{major + 1}.0.0" if major else f"0.{minor + 1}.0")
    return f"{low} to before {high}"

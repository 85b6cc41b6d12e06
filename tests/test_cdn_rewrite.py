"""rewrite_cdn_urls: CDN loads of mirrored libraries point at the mirror; nothing else moves."""
import json
import re

import pytest

from mirror.cdn import compatible, resolve, rewrite_cdn_urls
from mirror.files import split_spec
from mirror.libraries import find
from testkit.serving import mirror_dir

CHART = "/lib/chart.js@4.6.1/dist/chart.umd.min.js"
QRCODE = "/lib/qrcodejs@1.0.0/qrcode.min.js"
CONFETTI = "/lib/canvas-confetti@1.9.4/dist/confetti.browser.js"
JSPDF = "/lib/jspdf@4.2.1/dist/jspdf.umd.min.js"
BOOTSTRAP_JS = "/lib/bootstrap@5.3.9/dist/js/bootstrap.bundle.min.js"
BOOTSTRAP_CSS = "/lib/bootstrap@5.3.9/dist/css/bootstrap.min.css"
LUCIDE = "/lib/lucide@1.65.0/dist/umd/lucide.min.js"
DAYJS = "/lib/dayjs@1.11.23/dayjs.min.js"
MOMENT = "/lib/moment@2.31.0/min/moment.min.js"
SORTABLE = "/lib/sortablejs@1.15.7/Sortable.min.js"
ANIME = "/lib/animejs@3.2.2/lib/anime.min.js"
FONTAWESOME = "/lib/@fortawesome/fontawesome-free@6.7.2/"
MARKDOWN_IT = "/lib/markdown-it@15.0.3/dist/browser/markdown-it.umd.min.js"
MOMENT_TZ = "/lib/moment-timezone@0.6.6/builds/moment-timezone-with-data.min.js"
JSZIP = "/lib/jszip@3.10.2/dist/jszip.min.js"
PDFJS = "/lib/pdfjs-dist@6.5.438/build/pdf.min.mjs"
HLJS = "/lib/@highlightjs/cdn-assets@11.12.0/"
THREE = "/lib/three@0.187.0/build/three.module.js"
D3_V5 = "/lib/d3@5.16.0/dist/d3.min.js"
PDFJS_V3 = "/lib/pdfjs-dist@3.11.174/build/pdf.min.js"
CHART_V2 = "/lib/chart.js@2.9.4/dist/Chart.min.js"
THREE_R147 = "/lib/three@0.147.0/build/three.min.js"
MAPLIBRE = "/lib/maplibre-gl@5.24.1/dist/maplibre-gl.js"
MERMAID = "/lib/mermaid@12.4.0/dist/mermaid.min.js"
XLSX = "/lib/xlsx@0.18.5/dist/xlsx.full.min.js"
SQL_JS = "/lib/sql.js@1.17.0/dist/sql-wasm.js"


def rewritten(html: str) -> str:
    return rewrite_cdn_urls(html)[0]


@pytest.mark.parametrize("url, expected", [
    ("https://cdn.jsdelivr.net/npm/chart.js", CHART),
    ("https://cdn.jsdelivr.net/npm/chart.js@4", CHART),
    ("https://cdn.jsdelivr.net/npm/chart.js@latest/dist/chart.umd.min.js", CHART),
    ("https://cdn.jsdelivr.net/npm/chart.js@4.4.1/dist/chart.umd.js", CHART),
    ("https://cdnjs.cloudflare.com/ajax/libs/Chart.js/4.4.0/chart.umd.min.js", CHART),
    ("https://cdnjs.cloudflare.com/ajax/libs/Chart.js/4.4.0/chart.min.js", CHART),
    ("//cdn.jsdelivr.net/npm/chart.js@^4.0.0", CHART),
    ("http://unpkg.com/chart.js@4.x/dist/chart.umd.min.js", CHART),
    ("https://cdnjs.cloudflare.com/ajax/libs/marked/12.0.0/marked.min.js",
     "/lib/marked@18.2.1/lib/marked.umd.js"),
    ("https://cdn.jsdelivr.net/npm/marked/marked.min.js", "/lib/marked@18.2.1/lib/marked.umd.js"),
    ("https://unpkg.com/react@18/umd/react.development.js",
     "/lib/react@18.3.1/umd/react.development.js"),
    ("https://unpkg.com/react-dom@18.2.0/umd/react-dom.production.min.js",
     "/lib/react-dom@18.3.1/umd/react-dom.production.min.js"),
    ("https://unpkg.com/@babel/standalone/babel.min.js",
     "/lib/@babel/standalone@7.29.12/babel.min.js"),
    ("https://cdnjs.cloudflare.com/ajax/libs/babel-standalone/6.26.0/babel.min.js",
     "/lib/@babel/standalone@7.29.12/babel.min.js"),
    ("https://cdn.jsdelivr.net/npm/d3@7", "/lib/d3@7.9.2/dist/d3.min.js"),
    ("https://d3js.org/d3.v7.min.js", "/lib/d3@7.9.2/dist/d3.min.js"),
    ("https://d3js.org/d3.v5.min.js", D3_V5),  # an older major the mirror holds
    ("https://d3js.org/d3.v4.js", D3_V5),
    ("https://cdnjs.cloudflare.com/ajax/libs/d3/5.16.0/d3.min.js", D3_V5),
    ("https://cdn.jsdelivr.net/npm/d3@6", "/lib/d3@7.9.2/dist/d3.min.js"),
    ("https://d3js.org/d3.v3.min.js", None),  # a major the mirror lacks: left, with a notice
    ("https://d3js.org/d3-array.v3.min.js", None),
    ("https://code.jquery.com/jquery-3.7.1.min.js", "/lib/jquery@3.8.0/dist/jquery.min.js"),
    ("https://code.jquery.com/jquery-3.6.0.slim.min.js", "/lib/jquery@3.8.0/dist/jquery.min.js"),
    ("https://code.jquery.com/jquery-1.12.4.min.js", None),
    ("https://code.jquery.com/ui/1.13.2/jquery-ui.min.js", None),
    ("https://momentjs.com/downloads/moment.min.js", MOMENT),
    ("https://momentjs.com/downloads/moment-with-locales.js",
     "/lib/moment@2.31.0/min/moment-with-locales.min.js"),
    ("https://momentjs.com/downloads/moment-timezone.min.js", None),
    ("https://use.fontawesome.com/releases/v6.4.2/js/all.js", FONTAWESOME + "js/all.js"),
    ("https://use.fontawesome.com/releases/v5.15.4/js/all.js", None),  # another major
    ("https://cdn.jsdelivr.net/npm/vue@3/dist/vue.global.js",
     "/lib/vue@3.5.45/dist/vue.global.prod.js"),
    ("https://unpkg.com/vue@3", "/lib/vue@3.5.45/dist/vue.global.prod.js"),
    ("https://cdn.jsdelivr.net/npm/alpinejs@3.x.x/dist/cdn.min.js",
     "/lib/alpinejs@3.17.5/dist/cdn.min.js"),
    ("https://cdnjs.cloudflare.com/ajax/libs/p5.js/1.9.0/p5.min.js", "/lib/p5@1.11.13/lib/p5.min.js"),
    ("https://cdn.jsdelivr.net/npm/p5@1.9.0/lib/p5.js", "/lib/p5@1.11.13/lib/p5.min.js"),
    ("https://cdnjs.cloudflare.com/ajax/libs/gsap/3.12.2/gsap.min.js",
     "/lib/gsap@3.15.0/dist/gsap.min.js"),
    ("https://cdnjs.cloudflare.com/ajax/libs/lodash.js/4.17.21/lodash.min.js",
     "/lib/lodash@4.18.1/lodash.min.js"),
    ("https://cdnjs.cloudflare.com/ajax/libs/PapaParse/5.4.1/papaparse.min.js",
     "/lib/papaparse@5.7.1/papaparse.min.js"),
    ("https://cdnjs.cloudflare.com/ajax/libs/dompurify/3.0.6/purify.min.js",
     "/lib/dompurify@3.5.0/dist/purify.min.js"),
    ("https://cdnjs.cloudflare.com/ajax/libs/mathjs/12.2.1/math.min.js",
     "/lib/mathjs@15.2.0/lib/browser/math.js"),
    ("https://unpkg.com/tone@14.7.77/build/Tone.js", "/lib/tone@15.5.44/build/Tone.js"),
    ("https://unpkg.com/leaflet@1.9.4/dist/leaflet.js", "/lib/leaflet@1.9.4/dist/leaflet.js"),
    ("https://cdn.jsdelivr.net/npm/katex@0.16.9/dist/contrib/auto-render.min.js",
     "/lib/katex@0.19.1/dist/contrib/auto-render.min.js"),
    ("https://cdnjs.cloudflare.com/ajax/libs/KaTeX/0.16.9/contrib/auto-render.min.js",
     "/lib/katex@0.19.1/dist/contrib/auto-render.min.js"),
    ("https://cdnjs.cloudflare.com/ajax/libs/highlight.js/11.9.0/highlight.min.js",
     "/lib/@highlightjs/cdn-assets@11.12.0/highlight.min.js"),
    ("https://cdnjs.cloudflare.com/ajax/libs/highlight.js/11.9.0/languages/rust.min.js",
     "/lib/@highlightjs/cdn-assets@11.12.0/languages/rust.min.js"),
    ("https://unpkg.com/@tailwindcss/browser@4",
     "/lib/@tailwindcss/browser@4.3.4/dist/index.global.js"),
    ("https://cdn.tailwindcss.com", "/lib/@tailwindcss/browser@4.3.4/dist/index.global.js"),
    ("https://cdn.tailwindcss.com/3.4.1?plugins=forms",
     "/lib/@tailwindcss/browser@4.3.4/dist/index.global.js"),
    ("https://cdnjs.cloudflare.com/ajax/libs/qrcodejs/1.0.0/qrcode.min.js", QRCODE),
    ("https://cdn.jsdelivr.net/npm/qrcodejs@1.0.0/qrcode.min.js", QRCODE),
    ("https://cdn.jsdelivr.net/npm/qrcodejs/qrcode.min.js", QRCODE),
    ("https://www.unpkg.com/qrcodejs@1.0.0/qrcode.min.js", QRCODE),
    ("https://cdn.jsdelivr.net/npm/davidshimjs-qrcodejs@0.0.2/qrcode.min.js", QRCODE),
    ("https://cdn.jsdelivr.net/gh/davidshimjs/qrcodejs/qrcode.min.js", QRCODE),
    ("https://cdn.jsdelivr.net/gh/davidshimjs/qrcodejs@gh-pages/qrcode.min.js", QRCODE),
    ("https://cdn.jsdelivr.net/gh/davidshimjs/qrcodejs@master/qrcode.js", QRCODE),
    ("https://cdn.jsdelivr.net/npm/canvas-confetti@1.9.3/dist/confetti.browser.min.js", CONFETTI),
    ("https://cdnjs.cloudflare.com/ajax/libs/canvas-confetti/1.9.3/confetti.browser.min.js",
     CONFETTI),
    ("https://cdn.jsdelivr.net/npm/canvas-confetti@1.5.1/dist/confetti.browser.min.js", CONFETTI),
    ("https://unpkg.com/canvas-confetti@1.6.0/dist/confetti.browser.js", CONFETTI),
    ("https://cdn.jsdelivr.net/npm/canvas-confetti@1", CONFETTI),
    ("https://cdnjs.cloudflare.com/ajax/libs/jspdf/2.5.1/jspdf.umd.min.js", JSPDF),
    ("https://cdn.jsdelivr.net/npm/jspdf@2.5.1/dist/jspdf.umd.min.js", JSPDF),
    ("https://unpkg.com/jspdf@2.3.1/dist/jspdf.umd.js", JSPDF),
    ("https://unpkg.com/jspdf@latest/dist/jspdf.umd.min.js", JSPDF),
    ("https://cdnjs.cloudflare.com/ajax/libs/jspdf/3.0.1/jspdf.umd.min.js", JSPDF),
    ("https://cdn.jsdelivr.net/npm/jspdf", JSPDF),
    ("https://cdn.jsdelivr.net/npm/bootstrap@5.3.3/dist/js/bootstrap.bundle.min.js", BOOTSTRAP_JS),
    ("https://cdnjs.cloudflare.com/ajax/libs/bootstrap/5.3.3/js/bootstrap.bundle.min.js",
     BOOTSTRAP_JS),
    # Without Popper beside it (not mirrored) the plain build's dropdowns throw.
    ("https://cdn.jsdelivr.net/npm/bootstrap@5.2.3/dist/js/bootstrap.min.js", BOOTSTRAP_JS),
    ("https://cdnjs.cloudflare.com/ajax/libs/bootstrap/5.0.2/js/bootstrap.js", BOOTSTRAP_JS),
    ("https://unpkg.com/lucide@latest", LUCIDE),
    ("https://unpkg.com/lucide", LUCIDE),
    ("https://unpkg.com/lucide@latest/dist/umd/lucide.js", "/lib/lucide@1.65.0/dist/umd/lucide.js"),
    ("https://cdn.jsdelivr.net/npm/lucide@0.263.1/dist/umd/lucide.min.js", LUCIDE),
    ("https://cdn.jsdelivr.net/npm/lucide@latest/dist/umd/lucide.min.js", LUCIDE),
    ("https://cdnjs.cloudflare.com/ajax/libs/lucide/0.460.0/umd/lucide.min.js", LUCIDE),
    ("https://cdnjs.cloudflare.com/ajax/libs/lucide/1.8.0/lucide.min.js", LUCIDE),
    ("https://cdn.jsdelivr.net/npm/dayjs@1.11.10/dayjs.min.js", DAYJS),
    ("https://cdn.jsdelivr.net/npm/dayjs@1/dayjs.min.js", DAYJS),
    ("https://unpkg.com/dayjs@1.8.21/dayjs.min.js", DAYJS),
    ("https://cdnjs.cloudflare.com/ajax/libs/dayjs/1.11.10/dayjs.min.js", DAYJS),
    ("https://cdn.jsdelivr.net/npm/dayjs", DAYJS),
    ("https://cdn.jsdelivr.net/npm/dayjs@1/plugin/relativeTime.js",
     "/lib/dayjs@1.11.23/plugin/relativeTime.js"),
    # jsDelivr and cdnjs also serve the plugins and locales as NAME.min.js.
    ("https://cdnjs.cloudflare.com/ajax/libs/dayjs/1.11.10/plugin/customParseFormat.min.js",
     "/lib/dayjs@1.11.23/plugin/customParseFormat.js"),
    ("https://cdn.jsdelivr.net/npm/dayjs@1.11.10/locale/de.min.js", "/lib/dayjs@1.11.23/locale/de.js"),
    ("https://cdnjs.cloudflare.com/ajax/libs/moment.js/2.29.4/moment.min.js", MOMENT),
    ("https://cdnjs.cloudflare.com/ajax/libs/moment.js/2.18.1/moment.js", MOMENT),
    ("https://cdnjs.cloudflare.com/ajax/libs/moment.js/2.29.4/moment-with-locales.min.js",
     "/lib/moment@2.31.0/min/moment-with-locales.min.js"),
    ("https://cdnjs.cloudflare.com/ajax/libs/moment.js/2.29.4/locale/fr.min.js",
     "/lib/moment@2.31.0/locale/fr.js"),
    ("https://cdn.jsdelivr.net/npm/moment@2.29.4/moment.min.js", MOMENT),
    ("https://cdn.jsdelivr.net/npm/moment@2.29.4/min/moment.min.js", MOMENT),
    ("https://unpkg.com/moment@2.30.1/min/moment-with-locales.min.js",
     "/lib/moment@2.31.0/min/moment-with-locales.min.js"),
    ("https://cdn.jsdelivr.net/npm/moment", MOMENT),
    ("https://cdn.jsdelivr.net/npm/sortablejs@1.15.0/Sortable.min.js", SORTABLE),
    ("https://cdn.jsdelivr.net/npm/sortablejs@latest/Sortable.min.js", SORTABLE),
    ("https://unpkg.com/sortablejs@1.14.0/Sortable.js", SORTABLE),
    ("https://cdnjs.cloudflare.com/ajax/libs/Sortable/1.15.2/Sortable.min.js", SORTABLE),
    ("https://cdn.jsdelivr.net/gh/SortableJS/Sortable/Sortable.min.js", SORTABLE),
    ("https://cdnjs.cloudflare.com/ajax/libs/animejs/3.2.1/anime.min.js", ANIME),
    ("https://cdn.jsdelivr.net/npm/animejs@3.2.1/lib/anime.min.js", ANIME),
    ("https://unpkg.com/animejs@3.2.2/lib/anime.js", ANIME),
    ("https://cdn.jsdelivr.net/npm/animejs@3/lib/anime.min.js", ANIME),
    ("https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.5.1/js/all.min.js",
     FONTAWESOME + "js/all.min.js"),
    ("https://cdn.jsdelivr.net/npm/markdown-it@14.1.0/dist/markdown-it.min.js", MARKDOWN_IT),
    ("https://cdnjs.cloudflare.com/ajax/libs/markdown-it/13.0.2/markdown-it.min.js", MARKDOWN_IT),
    ("https://unpkg.com/markdown-it@8.4.2/dist/markdown-it.js", MARKDOWN_IT),
    ("https://unpkg.com/turndown/dist/turndown.js", "/lib/turndown@7.2.5/dist/turndown.js"),
    ("https://cdnjs.cloudflare.com/ajax/libs/turndown/7.1.2/turndown.min.js",
     "/lib/turndown@7.2.5/dist/turndown.js"),
    ("https://cdnjs.cloudflare.com/ajax/libs/moment-timezone/0.5.45/"
     "moment-timezone-with-data.min.js", MOMENT_TZ),
    ("https://cdn.jsdelivr.net/npm/moment-timezone@0.5/builds/moment-timezone-with-data.min.js",
     MOMENT_TZ),
    ("https://cdnjs.cloudflare.com/ajax/libs/jszip/3.10.1/jszip.min.js", JSZIP),
    ("https://cdn.jsdelivr.net/npm/jszip@3/dist/jszip.min.js", JSZIP),
    ("https://unpkg.com/leaflet.markercluster@1.4.1/dist/leaflet.markercluster.js",
     "/lib/leaflet.markercluster@1.5.3/dist/leaflet.markercluster.js"),
    ("https://cdnjs.cloudflare.com/ajax/libs/leaflet.markercluster/1.5.3/"
     "leaflet.markercluster.js",
     "/lib/leaflet.markercluster@1.5.3/dist/leaflet.markercluster.js"),
    ("https://cdn.jsdelivr.net/pyodide/v0.26.1/full/pyodide.js", "/lib/pyodide@314.0.8/pyodide.js"),
    ("https://cdn.jsdelivr.net/pyodide/v0.27.2/full/pyodide.mjs",
     "/lib/pyodide@314.0.8/pyodide.mjs"),
    ("https://cdn.jsdelivr.net/npm/pyodide@0.26.0/pyodide.js", "/lib/pyodide@314.0.8/pyodide.js"),
    ("https://cdnjs.cloudflare.com/ajax/libs/pdf.js/4.0.379/pdf.min.mjs", PDFJS),
    ("https://cdn.jsdelivr.net/npm/pdfjs-dist@4.2.67/build/pdf.min.mjs", PDFJS),
    ("https://cdn.jsdelivr.net/npm/pdfjs-dist@5.4.54/build/pdf.worker.min.mjs",
     "/lib/pdfjs-dist@6.5.438/build/pdf.worker.min.mjs"),
    ("https://cdn.jsdelivr.net/gh/highlightjs/cdn-release@11.9.0/build/highlight.min.js",
     HLJS + "highlight.min.js"),
    ("https://cdn.jsdelivr.net/gh/highlightjs/cdn-release@11.9.0/build/languages/python.min.js",
     HLJS + "languages/python.min.js"),
    # ES module forms: esm.sh, jsDelivr's +esm, unpkg's ?module.
    ("https://esm.sh/three@0.160.0", THREE),
    ("https://esm.sh/three@0.160.0/examples/jsm/controls/OrbitControls.js",
     "/lib/three@0.187.0/examples/jsm/controls/OrbitControls.js"),
    ("https://cdn.jsdelivr.net/npm/three@0.160.0/+esm", THREE),
    ("https://cdn.jsdelivr.net/npm/three@0.160.0/examples/jsm/controls/OrbitControls.js/+esm",
     "/lib/three@0.187.0/examples/jsm/controls/OrbitControls.js"),
    ("https://unpkg.com/three@0.160.0/build/three.module.js?module", THREE),
    ("https://esm.sh/highlight.js@11.9.0", HLJS + "es/highlight.min.js"),
    ("https://cdn.jsdelivr.net/npm/markdown-it@14/+esm",
     "/lib/markdown-it@15.0.3/dist/browser/markdown-it.esm.min.mjs"),
    ("https://esm.sh/pdfjs-dist@4.0.379", PDFJS),
    # Older majors held beside the current one, chosen by the version asked for.
    ("https://cdnjs.cloudflare.com/ajax/libs/pdf.js/3.11.174/pdf.min.js", PDFJS_V3),
    ("https://cdnjs.cloudflare.com/ajax/libs/pdf.js/2.16.105/pdf.min.js", PDFJS_V3),
    ("https://cdn.jsdelivr.net/npm/pdfjs-dist@3.11.174/build/pdf.min.js", PDFJS_V3),
    ("https://unpkg.com/pdfjs-dist@3/build/pdf.js", "/lib/pdfjs-dist@3.11.174/build/pdf.js"),
    ("https://cdn.jsdelivr.net/npm/pdfjs-dist@2.6.347/legacy/build/pdf.min.js",
     "/lib/pdfjs-dist@3.11.174/legacy/build/pdf.min.js"),
    ("https://cdn.jsdelivr.net/npm/pdfjs-dist@4.10.38/build/pdf.min.mjs", PDFJS),
    ("https://cdn.jsdelivr.net/npm/pdfjs-dist@5/build/pdf.worker.min.mjs",
     "/lib/pdfjs-dist@6.5.438/build/pdf.worker.min.mjs"),
    ("https://unpkg.com/pdfjs-dist/build/pdf.min.mjs", PDFJS),
    ("https://cdnjs.cloudflare.com/ajax/libs/pdf.js/3.11.174/pdf.worker.min.js",
     "/lib/pdfjs-dist@3.11.174/build/pdf.worker.min.js"),
    ("https://cdn.jsdelivr.net/npm/chart.js@2.9.4/dist/Chart.min.js", CHART_V2),
    ("https://cdnjs.cloudflare.com/ajax/libs/Chart.js/2.8.0/Chart.bundle.min.js",
     "/lib/chart.js@2.9.4/dist/Chart.bundle.min.js"),
    ("https://cdn.jsdelivr.net/npm/chart.js@2", CHART_V2),
    ("https://cdnjs.cloudflare.com/ajax/libs/Chart.js/3.9.1/chart.min.js", CHART),
    ("https://cdnjs.cloudflare.com/ajax/libs/three.js/r128/three.min.js", THREE_R147),
    ("https://cdn.jsdelivr.net/npm/three@0.128.0/build/three.min.js", THREE_R147),
    ("https://cdn.jsdelivr.net/npm/three@0.128.0/examples/js/controls/OrbitControls.js",
     "/lib/three@0.147.0/examples/js/controls/OrbitControls.js"),
    # r150 to r159 had both builds: modules get the current release, the global
    # build the newest release that had it.
    ("https://unpkg.com/three@0.155.0/build/three.min.js", THREE_R147),
    ("https://unpkg.com/three@0.155.0/build/three.module.js", THREE),
    ("https://unpkg.com/three@0.148.0/build/three.module.js",
     "/lib/three@0.147.0/build/three.module.js"),
    ("https://unpkg.com/maplibre-gl@4.7.1/dist/maplibre-gl.js", MAPLIBRE),
    ("https://unpkg.com/maplibre-gl@latest/dist/maplibre-gl.js", MAPLIBRE),
    ("https://cdnjs.cloudflare.com/ajax/libs/maplibre-gl/3.6.2/maplibre-gl.js", MAPLIBRE),
    ("https://cdn.jsdelivr.net/npm/mermaid@10/dist/mermaid.min.js", MERMAID),
    ("https://cdn.jsdelivr.net/npm/mermaid@11.4.1/dist/mermaid.esm.min.mjs",
     "/lib/mermaid@12.4.0/dist/mermaid.esm.min.mjs"),
    ("https://unpkg.com/mermaid/dist/mermaid.js", MERMAID),
    ("https://unpkg.com/react@17/umd/react.production.min.js",
     "/lib/react@17.0.2/umd/react.production.min.js"),
    ("https://unpkg.com/react-dom@16.14.0/umd/react-dom.development.js",
     "/lib/react-dom@17.0.2/umd/react-dom.development.js"),
    ("https://cdnjs.cloudflare.com/ajax/libs/react/17.0.2/umd/react.production.min.js",
     "/lib/react@17.0.2/umd/react.production.min.js"),
    ("https://cdn.jsdelivr.net/npm/vue@2.6.14/dist/vue.js", "/lib/vue@2.7.16/dist/vue.min.js"),
    ("https://cdn.jsdelivr.net/npm/vue@2", "/lib/vue@2.7.16/dist/vue.min.js"),
    ("https://cdnjs.cloudflare.com/ajax/libs/vue/2.6.12/vue.min.js",
     "/lib/vue@2.7.16/dist/vue.min.js"),
    ("https://unpkg.com/vue@3/dist/vue.global.js", "/lib/vue@3.5.45/dist/vue.global.prod.js"),
    ("https://cdn.jsdelivr.net/npm/bootstrap@4.6.2/dist/js/bootstrap.bundle.min.js",
     "/lib/bootstrap@4.6.2/dist/js/bootstrap.bundle.min.js"),
    ("https://stackpath.bootstrapcdn.com/bootstrap/4.5.2/js/bootstrap.min.js",
     "/lib/bootstrap@4.6.2/dist/js/bootstrap.bundle.min.js"),
    ("https://maxcdn.bootstrapcdn.com/bootstrap/4.0.0/js/bootstrap.js",
     "/lib/bootstrap@4.6.2/dist/js/bootstrap.bundle.min.js"),
    ("https://stackpath.bootstrapcdn.com/bootstrap/5.0.0/js/bootstrap.bundle.min.js", BOOTSTRAP_JS),
    ("https://cdn.jsdelivr.net/pyodide/v0.22.1/full/pyodide.js", "/lib/pyodide@314.0.8/pyodide.js"),
    # SheetJS: npm's last release serves its own CDN's 0.19 and 0.20 too.
    ("https://cdn.sheetjs.com/xlsx-0.20.3/package/dist/xlsx.full.min.js", XLSX),
    ("https://cdn.sheetjs.com/xlsx-latest/package/dist/xlsx.full.min.js", XLSX),
    ("https://cdn.sheetjs.com/xlsx-0.19.3/package/dist/xlsx.mini.min.js",
     "/lib/xlsx@0.18.5/dist/xlsx.mini.min.js"),
    ("https://cdnjs.cloudflare.com/ajax/libs/xlsx/0.18.5/xlsx.full.min.js", XLSX),
    ("https://cdnjs.cloudflare.com/ajax/libs/xlsx/0.16.9/xlsx.min.js", XLSX),
    ("https://cdn.jsdelivr.net/npm/xlsx@0.18.5/dist/xlsx.full.min.js", XLSX),
    ("https://unpkg.com/xlsx/dist/xlsx.full.min.js", XLSX),
    ("https://unpkg.com/xlsx@0.17.0", XLSX),
    # sql.js: cdnjs serves dist/'s files at the release's root.
    ("https://cdn.jsdelivr.net/npm/sql.js@1.8.0/dist/sql-wasm.js", SQL_JS),
    ("https://cdnjs.cloudflare.com/ajax/libs/sql.js/1.8.0/sql-wasm.js", SQL_JS),
    ("https://cdnjs.cloudflare.com/ajax/libs/sql.js/1.8.0/sql-wasm.wasm",
     "/lib/sql.js@1.17.0/dist/sql-wasm.wasm"),
    ("https://unpkg.com/sql.js@1.10.3/dist/sql-wasm.js", SQL_JS),
    ("https://sql.js.org/dist/sql-wasm.js", SQL_JS),
    ("https://unpkg.com/sql.js", SQL_JS),
])
def test_script_urls(url, expected):
    result = resolve(url)
    assert (result.url if result else None) == expected


@pytest.mark.parametrize("url", [
    "https://cdn.jsdelivr.net/npm/chart.js@1.1.1/Chart.min.js",        # a major not held
    "https://cdn.jsdelivr.net/npm/chart.js/dist/Chart.min.js",        # latest (4) lacks it
    "https://unpkg.com/react@15.6.2/dist/react.min.js",                # createClass era
    "https://cdn.jsdelivr.net/npm/vue@1.0.28/dist/vue.min.js",
    "https://unpkg.com/three@0.160.0/build/three.min.js",              # no global build any more
    "https://cdnjs.cloudflare.com/ajax/libs/three.js/r110/three.min.js",  # before r125
    "https://esm.sh/react@18",                                         # no ES module build
    "https://cdn.jsdelivr.net/npm/chart.js@4/dist/chart.js",           # ES module, via ...
    "https://cdn.jsdelivr.net/npm/left-pad@1.3.0/index.js",            # not mirrored
    "https://cdn.jsdelivr.net/npm/chart.js@>=3 <5",                    # a range we don't guess
    "https://cdn.jsdelivr.net/npm/chart.js@4.6.1/dist/nonexistent.js",
    # jsPDF 1.x defined window.jsPDF; 2.0 moved it to window.jspdf.jsPDF.
    "https://cdnjs.cloudflare.com/ajax/libs/jspdf/1.5.3/jspdf.min.js",
    "https://cdn.jsdelivr.net/npm/jspdf@1.5.3/dist/jspdf.min.js",
    "https://unpkg.com/jspdf@1.3.4/dist/jspdf.debug.js",
    "https://esm.sh/jspdf@2.5.1",                              # its ES build imports bare names
    "https://cdn.jsdelivr.net/npm/bootstrap@3.4.1/dist/js/bootstrap.min.js",
    "https://maxcdn.bootstrapcdn.com/bootstrap/3.3.7/css/bootstrap.min.css",
    "https://stackpath.bootstrapcdn.com/font-awesome/4.7.0/css/font-awesome.min.css",
    "https://cdn.jsdelivr.net/npm/bootstrap@5.3.3/dist/js/bootstrap.esm.min.js",
    "https://cdn.jsdelivr.net/npm/canvas-confetti@0.5.0/dist/confetti.browser.min.js",
    "https://cdn.jsdelivr.net/gh/davidshimjs/qrcodejs@2.0.0/qrcode.min.js",
    "https://cdn.jsdelivr.net/gh/someone/qrcodejs/qrcode.min.js",     # another repository
    "https://cdn.jsdelivr.net/gh/davidshimjs",
    # Lucide before createIcons() took its present options.
    "https://unpkg.com/lucide@0.100.0/dist/umd/lucide.min.js",
    "https://cdn.jsdelivr.net/npm/dayjs@2.0.0-alpha.4/dist/dayjs.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/moment.js/1.7.2/moment.min.js",
    "https://cdn.jsdelivr.net/npm/sortablejs@0.7.3/Sortable.min.js",
    # anime.js 4 replaced anime() with animate(): neither its URLs nor unversioned
    # ones (npm's latest, the repository's branches) may get 3.2.2.
    "https://cdn.jsdelivr.net/npm/animejs@4.0.2/lib/anime.umd.min.js",
    "https://cdn.jsdelivr.net/npm/animejs/lib/anime.min.js",
    "https://unpkg.com/animejs@latest",
    "https://cdnjs.cloudflare.com/ajax/libs/animejs/4.0.0/anime.umd.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/animejs/2.2.0/anime.min.js",
    "https://cdn.jsdelivr.net/gh/juliangarnier/anime/lib/anime.min.js",
    # html2canvas renders in a same-origin frame, which the sandbox never grants.
    "https://cdn.jsdelivr.net/npm/html2canvas@1.4.1/dist/html2canvas.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/pdf.js/1.10.100/pdf.min.js",  # 1.x is not held
    "https://unpkg.com/maplibre-gl@1.15.3/dist/maplibre-gl.js",        # before 2.0
    "https://cdn.jsdelivr.net/npm/mermaid@9.4.3/dist/mermaid.min.js",  # render() took a callback
    "https://cdn.jsdelivr.net/npm/d3@3.5.17/d3.min.js",                # d3.scale.linear()
    # Pyodide's packages are not in the mirror; nor are markdown-it 7 or JSZip 2.
    "https://cdn.jsdelivr.net/pyodide/v0.26.1/full/numpy-1.26.4-cp312-cp312-pyodide_2024_0_wasm32.whl",
    "https://cdn.jsdelivr.net/pyodide/v0.20.0/full/pyodide.js",
    "https://cdn.jsdelivr.net/pyodide/dev/full/pyodide.js",
    "https://cdn.jsdelivr.net/npm/markdown-it@7.0.0/dist/markdown-it.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/jszip/2.6.1/jszip.min.js",
    "https://cdn.jsdelivr.net/npm/moment-timezone@0.4.1/builds/moment-timezone-with-data.min.js",
    # SheetJS before 0.12 and after 0.20; sql.js before initSqlJs (0.x), and as an
    # ES module, which it has no build of.
    "https://cdn.sheetjs.com/xlsx-0.11.0/package/dist/xlsx.full.min.js",
    "https://cdn.sheetjs.com/xlsx-1.0.0/package/dist/xlsx.full.min.js",
    "https://cdn.sheetjs.com/xlsx-0.20.3/xlsx-0.20.3.tgz",
    "https://cdn.jsdelivr.net/npm/sql.js@0.5.0/js/sql.js",
    "https://esm.sh/sql.js@1.8.0",
    "https://sql.js.org/examples/GUI/",
])
def test_unmirrorable_urls_are_left_with_a_reason(url):
    context = "module" if "chart.js@4/dist/chart.js" in url else "script"
    result = resolve(url, context)
    if "chart.js@4/dist/chart.js" in url:
        # chart.js's dist/chart.js is its ESM build; the mirror serves UMD for it.
        assert result.url == CHART
        return
    assert result.url is None
    assert url in result.notice and "left as it was" in result.notice


def test_versions_compatible_within_the_same_major_or_the_declared_range():
    chart, katex, babel = find("chart.js"), find("katex"), find("@babel/standalone")
    assert compatible(chart, "4.0.0") and compatible(chart, "4.99") and compatible(chart, None)
    assert compatible(chart, "latest") and compatible(chart, "^4.4.1") and compatible(chart, "4.x")
    assert compatible(chart, "3.9.1") and not compatible(chart, "5.0.0")
    assert not compatible(chart, "2.9.4")
    chart2 = find("chart.js", "2.9.4")
    assert compatible(chart2, "2.9.4") and compatible(chart2, "2") and compatible(chart2, "2.0")
    # An older major never stands in for an unversioned URL, whatever its flag says.
    assert not any(compatible(chart2, v) for v in ("3.0.0", "1.1.1", "latest", None))
    three147, three = find("three", "0.147.0"), find("three")
    assert compatible(three147, "r128") and compatible(three147, "0.159.1")
    assert not compatible(three147, "0.124.0") and not compatible(three147, "0.160.0")
    assert compatible(three, "0.155.0") and not compatible(three, "0.149.0")
    assert not compatible(chart, "next") and not compatible(chart, "")
    assert compatible(katex, "0.16.9") and not compatible(katex, "0.12.0")
    assert not compatible(katex, "0.20.0")
    assert compatible(babel, "6.26.0") and not compatible(babel, "8.0.0")
    jspdf, qrcode, bootstrap = find("jspdf"), find("qrcodejs"), find("bootstrap")
    assert all(compatible(jspdf, v) for v in ("2.0.0", "2.5.1", "3.0.4", "4.0.0", "4"))
    assert not compatible(jspdf, "1.5.3") and not compatible(jspdf, "5.0.0")
    assert compatible(qrcode, "0.0.2") and compatible(qrcode, "1.0.0")
    assert not compatible(qrcode, "2.0.0")
    assert compatible(bootstrap, "5.0.2") and not compatible(bootstrap, "4.6.2")
    lucide, anime, fa = find("lucide"), find("animejs"), find("@fortawesome/fontawesome-free")
    assert all(compatible(lucide, v) for v in ("0.263.1", "0.577.0", "1.8.0", "latest", None))
    assert not compatible(lucide, "0.199.0") and not compatible(lucide, "2.0.0")
    assert compatible(anime, "3.0.0") and compatible(anime, "3.2.1")
    assert not any(compatible(anime, v) for v in ("2.2.0", "4.0.0", "4", "latest", None))
    assert compatible(fa, "6.0.0") and compatible(fa, "6.5.1")
    assert not any(compatible(fa, v) for v in ("4.7.0", "5.15.4", "7.0.0", "latest", None))


@pytest.mark.mirror
def test_every_mapped_file_exists_in_the_installed_mirror():
    probes = ["chart.min.js", "dist/chart.min.js", "marked.min.js", "math.min.js",
              "katex.min.css", "contrib/auto-render.min.js", "leaflet.css", "Tone.js", ""]
    probes += ["dist/confetti.browser.min.js", "dist/jspdf.umd.js", "dist/js/bootstrap.min.js",
               "css/bootstrap.rtl.min.css", "qrcode.js"]
    # A folder extra maps any name under it, so these are probed per library.
    own_probes = {
        "lucide": ["umd/lucide.js", "lucide.min.js", "lucide.js", ""],
        "dayjs": ["plugin/utc.min.js", "plugin/relativeTime.js", "locale/de.min.js", ""],
        "moment": ["moment.js", "moment-with-locales.js", "min/locales.min.js",
                   "locale/de.min.js", ""],
        "sortablejs": ["Sortable.js", "modular/sortable.esm.js", ""],
        "animejs": ["anime.min.js", "anime.es.js", "lib/anime.js", ""],
        "@fortawesome/fontawesome-free": ["css/all.min.css", "css/v4-shims.min.css",
                                          "js/all.min.js", "webfonts/fa-solid-900.woff2", ""],
    }
    for name, mine in own_probes.items():
        lib = find(name)
        for probe in mine:
            for context in ("script", "module", "style"):
                result = resolve(f"https://unpkg.com/{name}@{lib.version}/{probe}", context)
                if result and result.url:
                    assert (mirror_dir() / lib.name / result.url.removeprefix(lib.base)).is_file()
    for name in ("chart.js", "marked", "mathjs", "katex", "leaflet", "tone", "three", "dompurify",
                 "qrcodejs", "canvas-confetti", "jspdf", "bootstrap"):
        lib = find(name)
        for probe in probes:
            for context in ("script", "module", "style"):
                result = resolve(f"https://unpkg.com/{name}@{lib.version}/{probe}", context)
                if result and result.url:
                    relative = result.url.removeprefix(lib.base)
                    assert (mirror_dir() / lib.name / relative).is_file(), result.url


@pytest.mark.mirror
@pytest.mark.parametrize("url", [
    "https://cdnjs.cloudflare.com/ajax/libs/pdf.js/2.16.105/pdf.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/pdf.js/2.16.105/pdf.worker.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/pdf.js/3.4.120/pdf.js",
    "https://cdnjs.cloudflare.com/ajax/libs/pdf.js/3.4.120/pdf.worker.js",
    "https://unpkg.com/pdfjs-dist@3.11.174/legacy/build/pdf.worker.min.js",
    "https://cdn.jsdelivr.net/npm/pdfjs-dist@2.16.105/cmaps/UniJIS-UCS2-H.bcmap",
    "https://cdnjs.cloudflare.com/ajax/libs/Chart.js/2.9.4/Chart.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/Chart.js/2.9.4/Chart.bundle.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/Chart.js/2.9.4/Chart.min.css",
    "https://cdn.jsdelivr.net/npm/chart.js@2.9.4",
    "https://d3js.org/d3.v5.min.js", "https://d3js.org/d3.v4.js",
    "https://cdn.jsdelivr.net/npm/d3@5",
    "https://cdnjs.cloudflare.com/ajax/libs/three.js/r128/three.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/three.js/r134/three.js",
    "https://unpkg.com/three@0.140.0/examples/js/loaders/GLTFLoader.js",
    "https://cdn.jsdelivr.net/npm/three@0.128.0",
    "https://unpkg.com/maplibre-gl@4.7.1/dist/maplibre-gl.js",
    "https://unpkg.com/maplibre-gl@4.7.1/dist/maplibre-gl.css",
    "https://unpkg.com/maplibre-gl@3.6.2/dist/maplibre-gl-csp-worker.js",
    "https://cdn.jsdelivr.net/npm/maplibre-gl",
    "https://cdn.jsdelivr.net/npm/mermaid@10.9.1/dist/mermaid.min.js",
    "https://cdn.jsdelivr.net/npm/mermaid@11/dist/mermaid.esm.min.mjs",
    "https://cdn.jsdelivr.net/npm/mermaid@11/+esm",
    "https://cdnjs.cloudflare.com/ajax/libs/mermaid/10.6.1/mermaid.min.js",
    "https://cdn.jsdelivr.net/npm/mermaid@11",
    "https://unpkg.com/react@16.14.0/umd/react.development.js",
    "https://unpkg.com/react-dom@17/umd/react-dom.production.min.js",
    "https://cdn.jsdelivr.net/npm/vue@2.6.14/dist/vue.runtime.min.js",
    "https://stackpath.bootstrapcdn.com/bootstrap/4.5.2/css/bootstrap.min.css",
    "https://cdn.jsdelivr.net/npm/bootstrap@4.6.0/dist/css/bootstrap-grid.min.css",
])
def test_older_majors_and_new_libraries_map_to_installed_files(url):
    result = resolve(url, "script" if not url.endswith(("mjs", "+esm")) else "module")
    assert result is not None and result.url, (url, result)
    name, version, segments = split_spec(result.url.removeprefix("/lib/"))
    lib = find(name, version)
    assert lib is not None
    assert (mirror_dir() / lib.folder).joinpath(*segments).is_file(), result.url


# -- documents ---------------------------------------------------------------

CHART_PAGE = """<!doctype html><html><head><title>Sales</title>
<script defer id="lib" src="https://cdn.jsdelivr.net/npm/chart.js@4.4.1/dist/chart.umd.min.js"
        integrity="sha384-9nhczxUqK87bcKHh20fSQcTGD4qq5GhayNYSYWqwBkINBhOfQLg/P5HG5lF1urn4"
        crossorigin="anonymous" referrerpolicy="no-referrer"></script>
</head><body><canvas id="c"></canvas></body></html>"""


def test_script_tag_is_rewritten_and_sri_attributes_dropped():
    html, notices = rewrite_cdn_urls(CHART_PAGE)
    assert f'src="{CHART}"' in html
    assert "integrity" not in html and "crossorigin" not in html
    assert 'defer id="lib"' in html and 'referrerpolicy="no-referrer"' in html
    assert html.replace(f'src="{CHART}"', "").count("cdn.jsdelivr") == 0
    assert len(notices) == 1 and "chart.js 4.6.1" in notices[0] and "4.4.1" in notices[0]
    # Everything outside the tag is untouched.
    assert html.startswith("<!doctype html><html><head><title>Sales</title>\n<script defer")
    assert html.endswith("</script>\n</head><body><canvas id=\"c\"></canvas></body></html>")


def test_rewriting_twice_changes_nothing_more():
    once, _ = rewrite_cdn_urls(CHART_PAGE)
    twice, notices = rewrite_cdn_urls(once)
    assert twice == once and notices == []


@pytest.mark.parametrize("tag", [
    "<script src=https://cdn.jsdelivr.net/npm/chart.js></script>",
    "<script src='https://cdn.jsdelivr.net/npm/chart.js'></script>",
    '<SCRIPT SRC = "https://cdn.jsdelivr.net/npm/chart.js" ></SCRIPT>',
    '<script\n\tsrc="https://cdn.jsdelivr.net/npm/chart.js"\n></script>',
    '<script data-note="a > b" src="https://cdn.jsdelivr.net/npm/chart.js"></script>',
    "<script data-x='\"' src=\"https://cdn.jsdelivr.net/npm/chart.js\"></script>",
    '<script src=" https://cdn.jsdelivr.net/npm/chart.js "></script>',
    '<script src="https://cdn.jsdelivr.net/npm/chart.js" async/>',
    '<script type="text/javascript" src="https://cdn.jsdelivr.net/npm/chart.js"></script>',
])
def test_odd_quoting_and_spacing(tag):
    html, notices = rewrite_cdn_urls(f"<html><body>{tag}<p>after</p></body></html>")
    assert CHART in html and "jsdelivr" not in html
    assert html.endswith("<p>after</p></body></html>") and len(notices) == 1


def test_entities_in_attribute_values_are_decoded_before_matching():
    html = rewritten('<script src="https:&#x2F;&#x2F;cdn.jsdelivr.net/npm/chart.js@4?a=1&amp;b=2">'
                     '</script>')
    assert html == f'<script src="{CHART}"></script>'


@pytest.mark.parametrize("html", [
    # A comment: nothing loads it.
    '<!-- <script src="https://cdn.jsdelivr.net/npm/chart.js"></script> -->',
    # Strings in classic scripts are data, not loads.
    '<script>const cdn = "https://cdn.jsdelivr.net/npm/chart.js"; // <script src="x">\n</script>',
    # Raw-text elements.
    '<textarea><script src="https://cdn.jsdelivr.net/npm/chart.js"></script></textarea>',
    '<title><script src="https://cdn.jsdelivr.net/npm/chart.js"></script></title>',
    '<style>/* <link rel=stylesheet href="https://unpkg.com/leaflet/dist/leaflet.css"> */</style>',
    # Text.
    '<p>Load https://cdn.jsdelivr.net/npm/chart.js in your page.</p>',
    '<pre>&lt;script src="https://cdn.jsdelivr.net/npm/chart.js"&gt;&lt;/script&gt;</pre>',
    # Attributes that load nothing.
    '<a href="https://cdn.jsdelivr.net/npm/chart.js">docs</a>',
    '<link rel="preconnect" href="https://cdn.jsdelivr.net">',
    '<div data-src="https://cdn.jsdelivr.net/npm/chart.js"></div>',
    # Not mirrored or not a CDN.
    '<script src="https://cdn.jsdelivr.net/npm/left-pad@1.3.0/index.js"></script>',
    '<script src="https://example.com/npm/chart.js"></script>',
    '<script src="https://cdn.jsdelivr.net.evil.example/npm/chart.js"></script>',
    '<script src="/lib/chart.js@4.6.1/dist/chart.umd.min.js"></script>',
    # Broken markup.
    '<script src="https://cdn.jsdelivr.net/npm/chart.js',
    '<!-- unterminated <script src="https://cdn.jsdelivr.net/npm/chart.js"></script>',
    '<!--><script src="x"></script>',
])
def test_things_that_are_not_loads_stay_byte_for_byte(html):
    document = f"<!doctype html><html><body>{html}</body></html>"
    assert rewritten(document) == document


def test_non_mirrored_cdn_loads_are_left_but_reported():
    html, notices = rewrite_cdn_urls(
        '<script src="https://cdn.jsdelivr.net/npm/left-pad@1.3.0/index.js"></script>'
        '<script src="https://cdn.jsdelivr.net/npm/chart.js@1.1.1"></script>')
    assert len(notices) == 2
    assert "not in Kiln's library mirror" in notices[0]
    assert "chart.js 4.6.1 and 2.9.4, which are not compatible with version 1.1.1" in notices[1]


def test_stylesheets_and_preloads():
    html, notices = rewrite_cdn_urls(
        '<link rel="stylesheet" '
        'href="https://cdnjs.cloudflare.com/ajax/libs/KaTeX/0.16.9/katex.min.css"'
        ' integrity="sha512-x" crossorigin="anonymous">'
        '<link href="https://unpkg.com/leaflet@1.9.4/dist/leaflet.css" rel="Stylesheet">'
        '<link rel="preload" as="style" '
        'href="https://cdn.jsdelivr.net/npm/katex@0.16/dist/katex.min.css">'
        '<link rel="modulepreload" href="https://esm.sh/marked@15">'
        '<link rel="stylesheet" '
        'href="https://cdnjs.cloudflare.com/ajax/libs/highlight.js/11.9.0/styles/'
        'github-dark.min.css">')
    assert '<link rel="stylesheet" href="/lib/katex@0.19.1/dist/katex.min.css">' in html
    assert 'href="/lib/leaflet@1.9.4/dist/leaflet.css" rel="Stylesheet"' in html
    assert 'as="style" href="/lib/katex@0.19.1/dist/katex.min.css"' in html
    assert 'href="/lib/marked@18.2.1/lib/marked.esm.js"' in html
    assert 'href="/lib/@highlightjs/cdn-assets@11.12.0/styles/github-dark.min.css"' in html
    assert len(notices) == 5


def test_bootstrap_page_gets_its_stylesheet_and_bundle():
    html, notices = rewrite_cdn_urls(
        '<link href="https://cdn.jsdelivr.net/npm/bootstrap@5.3.3/dist/css/bootstrap.min.css" '
        'rel="stylesheet" integrity="sha384-x" crossorigin="anonymous">'
        '<link rel="stylesheet" '
        'href="https://cdnjs.cloudflare.com/ajax/libs/bootstrap/5.3.3/css/bootstrap.rtl.min.css">'
        '<link rel="stylesheet" href="https://cdn.jsdelivr.net/npm/bootstrap@5">'
        '<link rel="stylesheet" '
        'href="https://cdn.jsdelivr.net/npm/bootstrap@4.6.2/dist/css/bootstrap.min.css">'
        '<link rel="stylesheet" '
        'href="https://cdn.jsdelivr.net/npm/bootstrap@3.4.1/dist/css/bootstrap.min.css">'
        '<script src="https://cdn.jsdelivr.net/npm/@popperjs/core@2.11.8/dist/umd/popper.min.js">'
        '</script>'
        '<script src="https://cdn.jsdelivr.net/npm/bootstrap@5.3.3/dist/js/bootstrap.min.js">'
        '</script>')
    assert html == (
        f'<link href="{BOOTSTRAP_CSS}" rel="stylesheet">'
        '<link rel="stylesheet" href="/lib/bootstrap@5.3.9/dist/css/bootstrap.rtl.min.css">'
        f'<link rel="stylesheet" href="{BOOTSTRAP_CSS}">'
        '<link rel="stylesheet" href="/lib/bootstrap@4.6.2/dist/css/bootstrap.min.css">'
        '<link rel="stylesheet" '
        'href="https://cdn.jsdelivr.net/npm/bootstrap@3.4.1/dist/css/bootstrap.min.css">'
        '<script src="https://cdn.jsdelivr.net/npm/@popperjs/core@2.11.8/dist/umd/popper.min.js">'
        '</script>'
        f'<script src="{BOOTSTRAP_JS}"></script>')
    assert any("3.4.1" in n and "not compatible" in n for n in notices)
    assert any("popper" in n and "not in Kiln's library mirror" in n for n in notices)


def test_font_awesome_6_stylesheets_map_and_5_and_7_stay():
    link = '<link rel="stylesheet" href="{}">'.format
    cases = [  # (what the page has, what it gets; None: left as it is)
        ('<link rel="stylesheet" href="https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.5.1/'
         'css/all.min.css" integrity="sha512-x" crossorigin="anonymous" referrerpolicy="no-referrer">',
         f'<link rel="stylesheet" href="{FONTAWESOME}css/all.min.css" referrerpolicy="no-referrer">'),
        (link("https://cdn.jsdelivr.net/npm/@fortawesome/fontawesome-free@6.4.0/css/all.min.css"),
         link(f"{FONTAWESOME}css/all.min.css")),
        (link("https://unpkg.com/@fortawesome/fontawesome-free@6/css/fontawesome.min.css"),
         link(f"{FONTAWESOME}css/fontawesome.min.css")),
        (link("https://cdnjs.cloudflare.com/ajax/libs/font-awesome/5.15.4/css/all.min.css"), None),
        (link("https://cdnjs.cloudflare.com/ajax/libs/font-awesome/4.7.0/css/font-awesome.min.css"),
         None),
        (link("https://cdn.jsdelivr.net/npm/@fortawesome/fontawesome-free@7.0.0/css/all.min.css"), None),
        (link("https://cdn.jsdelivr.net/npm/@fortawesome/fontawesome-free/css/all.min.css"), None),
        (link("https://use.fontawesome.com/releases/v6.4.0/css/all.css"),
         link(f"{FONTAWESOME}css/all.css")),
        (link("https://use.fontawesome.com/releases/v5.15.4/css/all.css"), None),
    ]
    html, notices = rewrite_cdn_urls("".join(given for given, _ in cases))
    assert html == "".join(expected or given for given, expected in cases)
    assert sum("not compatible" in n for n in notices) == 5
    assert any("the latest version" in n for n in notices)


def test_es_module_builds_of_sortable_and_anime():
    html = rewritten('<script type="module">\nimport Sortable from '
                     '"https://cdn.jsdelivr.net/npm/sortablejs@1.15.0/+esm";\n'
                     "import anime from 'https://esm.sh/animejs@3.2.1';\n</script>")
    assert 'import Sortable from "/lib/sortablejs@1.15.7/modular/sortable.esm.js";' in html
    assert "import anime from '/lib/animejs@3.2.2/lib/anime.es.js';" in html


def test_confetti_as_a_module():
    html = rewritten('<script type="module">\nimport confetti from '
                     '"https://cdn.jsdelivr.net/npm/canvas-confetti@1.9.3/+esm";\n'
                     "import c2 from 'https://esm.sh/canvas-confetti@1.6.0';\n</script>")
    module = "/lib/canvas-confetti@1.9.4/dist/confetti.module.mjs"
    assert f'import confetti from "{module}";' in html and f"import c2 from '{module}';" in html


def test_module_imports_and_dynamic_imports():
    source = """<script type="module">
  import { marked } from "https://esm.sh/marked@12.0.0";
  import DOMPurify from 'https://cdn.jsdelivr.net/npm/dompurify@3/+esm';
  import "https://esm.sh/left-pad";
  const hljs = await import("https://esm.sh/react@18");
  // import x from "https://esm.sh/marked" stays a comment, harmlessly rewritten or not
  const s = "from https://esm.sh/marked";
</script>"""
    html, notices = rewrite_cdn_urls(source)
    assert 'import { marked } from "/lib/marked@18.2.1/lib/marked.esm.js";' in html
    assert "import DOMPurify from '/lib/dompurify@3.5.0/dist/purify.es.mjs';" in html
    assert 'import "https://esm.sh/left-pad";' in html          # not mirrored
    assert 'await import("https://esm.sh/react@18")' in html     # React 18 has no ESM build
    assert 'const s = "from https://esm.sh/marked";' in html
    assert any("left-pad" in n for n in notices) and any("react" in n for n in notices)


def test_module_script_src_uses_the_module_entry():
    html = rewritten('<script type="module" src="https://esm.sh/marked"></script>'
                     '<script src="https://unpkg.com/marked"></script>')
    assert html == ('<script type="module" src="/lib/marked@18.2.1/lib/marked.esm.js"></script>'
                    '<script src="/lib/marked@18.2.1/lib/marked.umd.js"></script>')


def test_import_maps_are_rewritten_entry_by_entry():
    page = """<script type="importmap">
{"imports": {"three": "https://unpkg.com/three@0.160.0/build/three.module.js",
             "three/addons/": "https://unpkg.com/three@0.160.0/examples/jsm/",
             "other": "https://esm.sh/left-pad"}}
</script>"""
    html, notices = rewrite_cdn_urls(page)
    body = re.search(r'<script type="importmap">(.*)</script>', html, re.S).group(1)
    assert json.loads(body) == {"imports": {
        "three": "/lib/three@0.187.0/build/three.module.js",
        "three/addons/": "/lib/three@0.187.0/examples/jsm/",
        "other": "https://esm.sh/left-pad"}}
    assert len(notices) == 3


def test_import_map_folders_map_to_the_package_folder():
    html, _ = rewrite_cdn_urls('<script type="importmap">{"imports": {'
                               '"three/": "https://unpkg.com/three@0.160.0/",'
                               '"three": "https://unpkg.com/three@0.160.0"}}</script>')
    body = re.search(r'<script type="importmap">(.*)</script>', html, re.S).group(1)
    assert json.loads(body) == {"imports": {"three/": "/lib/three@0.187.0/", "three": THREE}}


def test_runtime_files_named_in_scripts_are_pointed_at_the_mirror():
    """pdf.js's workerSrc and Pyodide's indexURL are loads made at run time, by
    name; every other string in a script is data and stays as it was."""
    html, notices = rewrite_cdn_urls(
        "<script type=\"module\">import * as pdfjsLib from "
        "'https://cdnjs.cloudflare.com/ajax/libs/pdf.js/4.0.379/pdf.min.mjs';\n"
        "pdfjsLib.GlobalWorkerOptions.workerSrc = "
        "'https://cdnjs.cloudflare.com/ajax/libs/pdf.js/4.0.379/pdf.worker.min.mjs';\n"
        "const docs = 'https://cdn.jsdelivr.net/npm/chart.js';</script>"
        '<script>loadPyodide({indexURL: "https://cdn.jsdelivr.net/pyodide/v0.26.1/full/"});'
        "const old = `https://cdn.jsdelivr.net/npm/pdfjs-dist@3.11.174/build/pdf.worker.min.js`;"
        "</script><p>'https://cdn.jsdelivr.net/pyodide/v0.26.1/full/'</p>")
    assert "workerSrc = '/lib/pdfjs-dist@6.5.438/build/pdf.worker.min.mjs';" in html
    assert 'loadPyodide({indexURL: "/lib/pyodide@314.0.8/"});' in html
    assert "const docs = 'https://cdn.jsdelivr.net/npm/chart.js';" in html
    # A 3.x worker gets 3.x's worker, as its 3.x page gets 3.x's pdf.min.js.
    assert "const old = `/lib/pdfjs-dist@3.11.174/build/pdf.worker.min.js`;" in html
    assert "<p>'https://cdn.jsdelivr.net/pyodide/v0.26.1/full/'</p>" in html
    assert sum("now loads" in n for n in notices) == 4


def test_sql_js_wasm_folder_is_pointed_at_the_mirror_in_every_spelling():
    """locateFile names the folder of sql.js's WebAssembly, as a string the file
    name is added to, a template literal, or the file itself."""
    html, notices = rewrite_cdn_urls(
        "<script>initSqlJs({locateFile: f => 'https://cdn.jsdelivr.net/npm/sql.js@1.x/dist/' + f});"
        "initSqlJs({locateFile: file => `https://sql.js.org/dist/${file}`});"
        "initSqlJs({locateFile: file => `https://cdnjs.cloudflare.com/ajax/libs/sql.js/1.8.0/${file}`});"
        "initSqlJs({locateFile: () => 'https://unpkg.com/sql.js@1.9.0/dist/sql-wasm.wasm'});"
        "const readme = `https://cdn.jsdelivr.net/npm/chart.js@4/${page}`;"
        "const pinned = `https://cdn.jsdelivr.net/npm/sql.js@0.5.0/dist/${file}`;</script>")
    assert html == (
        "<script>initSqlJs({locateFile: f => '/lib/sql.js@1.17.0/dist/' + f});"
        "initSqlJs({locateFile: file => `/lib/sql.js@1.17.0/dist/${file}`});"
        "initSqlJs({locateFile: file => `/lib/sql.js@1.17.0/dist/${file}`});"
        "initSqlJs({locateFile: () => '/lib/sql.js@1.17.0/dist/sql-wasm.wasm'});"
        # Not a runtime folder, or not a version held: data, left as it was.
        "const readme = `https://cdn.jsdelivr.net/npm/chart.js@4/${page}`;"
        "const pinned = `https://cdn.jsdelivr.net/npm/sql.js@0.5.0/dist/${file}`;</script>")
    assert sum("now loads sql.js 1.17.0" in n for n in notices) == 4


def test_template_literals_without_a_folder_head_finish_and_stay():
    body = "`https://cdn.jsdelivr.net/npm/" + "a/" * 100_000 + "${x" + "`//x" * 50_000
    page = f"<script>{body}</script>"
    assert rewrite_cdn_urls(page) == (page, [])


def test_a_broken_import_map_is_left_alone():
    page = '<script type="importmap">{"imports": {"three": "https://unpkg.com/three"</script>'
    assert rewritten(page) == page


def test_huge_and_hostile_documents_finish_and_keep_their_bytes():
    noise = ('<div a=b c="d" e=\'f\' g>x</div><!-- c --><p title="<script src=x>">'
             "<scrip src=https://cdn.jsdelivr.net/npm/chart.js>" * 20_000)
    unclosed = "<script a=\"" + "x" * 200_000            # an attribute that never ends
    attrs = "<script " + "a=1 " * 50_000 + ">"             # a tag with very many attributes
    quotes = "<link " + "\"'" * 50_000 + ">"
    load = '<script src="https://cdn.jsdelivr.net/npm/chart.js"></script>'
    for document in (noise + load, load + unclosed, attrs + "</script>" + load, quotes + load):
        html, notices = rewrite_cdn_urls(document)
        assert html == document.replace(load, f'<script src="{CHART}"></script>'), document[:60]
        assert len(notices) == 1


def test_many_scripts_each_rewritten_once():
    one = '<script src="https://cdn.jsdelivr.net/npm/chart.js@4.4.1"></script>\n'
    html, notices = rewrite_cdn_urls(one * 2000)
    assert html == f'<script src="{CHART}"></script>\n' * 2000
    assert len(notices) == 1  # the same notice is not repeated


def test_tailwind_play_cdn_gets_the_v4_build_and_a_config_shim():
    page = ('<head><script src="https://cdn.tailwindcss.com?plugins=forms"></script>\n'
            "<script>tailwind.config = {theme: {}}</script></head>")
    html, notices = rewrite_cdn_urls(page)
    assert html == ('<head><script>window.tailwind = window.tailwind || {};</script>'
                    '<script src="/lib/@tailwindcss/browser@4.3.4/dist/index.global.js"></script>\n'
                    "<script>tailwind.config = {theme: {}}</script></head>")
    assert "tailwind.config" in notices[0]
    assert rewrite_cdn_urls(html) == (html, [])

"""A tool you can keep: the standalone download works opened from disk."""
import pytest
from playwright.sync_api import expect

from mirror import files as mirror
from mirror.standalone import standalone
from testkit.serving import mirror_dir

CHART = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Chart</title>
<script src="/lib/chart.js@4.6.1/dist/chart.umd.min.js"></script>
<link rel="stylesheet" href="/lib/katex@0.19.1/dist/katex.min.css">
</head><body><canvas id="c" width="300" height="150"></canvas><output id="ok"></output>
<script>
new Chart(document.getElementById('c'), {type: 'bar', options: {animation: false},
  data: {labels: ['a', 'b'], datasets: [{label: 'n', data: [3, 5]}]}});
document.getElementById('ok').textContent = typeof Chart;
</script></body></html>"""


def read():
    return mirror.reader(mirror_dir())


@pytest.mark.mirror
def test_libraries_are_written_into_the_file():
    html, notes = standalone(CHART, read())
    assert notes == []
    assert "/lib/" not in html.replace("sourceMappingURL", "")
    assert "Chart" in html and "@font-face" in html and "data:font/woff2;base64," in html
    assert html.count("<script") == CHART.count("<script")


def test_a_tool_without_libraries_is_unchanged():
    plain = "<!doctype html><title>x</title><script>let a = '/lib/ in a string';</script>"
    assert standalone(plain, read()) == (plain, [])


def test_unknown_or_hostile_library_paths_stay_links():
    hostile = ('<script src="/lib/left-pad@1.3.0/index.js"></script>'
               '<script src="/lib/chart.js@4.6.1/../../../../etc/passwd"></script>'
               '<link rel="stylesheet" href="/lib/katex@0.19.1/dist/../../../../../etc/hosts">')
    html, notes = standalone(hostile, read())
    assert html == hostile and len(notes) == 3
    assert "root:" not in html


@pytest.mark.mirror
def test_standalone_download_runs_from_disk(live_server, page, tmp_path):
    kiln = live_server.kiln
    created = kiln.import_html(CHART, None)
    url = kiln.download_url(created.artifact.id, 1)
    with live_server.http() as http:
        plain = http.get(url)
        whole = http.get(url + "?standalone=1")
    assert plain.text == CHART  # the ordinary download stays byte for byte
    assert whole.status_code == 200
    assert 'filename="chart-v1-standalone.html"' in whole.headers["content-disposition"]
    saved = tmp_path / "chart.html"
    saved.write_bytes(whole.content)
    page.goto(saved.as_uri())
    expect(page.locator("#ok")).to_have_text("function")
    drawn = page.evaluate("""() => {
        const c = document.getElementById('c');
        return c.getContext('2d').getImageData(0, 0, c.width, c.height).data.some(v => v !== 0);
    }""")
    assert drawn


def test_workspace_offers_the_standalone_download_only_when_useful(client, kiln):
    with_libs = client.post("/api/artifacts", json={"html": CHART}).json["id"]
    without = client.post("/api/artifacts", json={"html": "<p>plain</p>"}).json["id"]
    assert "?standalone=1" in client.get(f"/a/{with_libs}").text
    assert "?standalone=1" not in client.get(f"/a/{without}").text


@pytest.mark.mirror
def test_cli_export_standalone(app, tmp_path):
    kiln = app.extensions["kiln"]
    artifact_id = kiln.import_html(CHART, None).artifact.id
    out = tmp_path / "out.html"
    result = app.test_cli_runner().invoke(args=["export", artifact_id, "-o", str(out),
                                                "--standalone"])
    assert result.exit_code == 0, result.output
    assert "/lib/chart.js" not in out.read_text() and len(out.read_bytes()) > 100_000
    result = app.test_cli_runner().invoke(args=["export", artifact_id, "-o", str(out)])
    assert out.read_text() == CHART


def test_module_imports_are_left_with_a_note():
    html = ('<script type="importmap">{"imports": {"three": "/lib/three@0.187.0/build/three.module.js"}}'
            '</script><script type="module">import * as T from "three";</script>')
    result, notes = standalone(html, read())
    assert result == html and "ES module" in notes[0]

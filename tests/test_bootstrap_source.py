"""The bootstrap is kept as readable source and injected as one line (so an
artifact's own line numbers do not move): the joined line must still be the
same, valid program."""
import shutil
import subprocess

from sandbox.documents import BOOTSTRAP_JS, artifact_document, bootstrap_tag


def injected_line() -> str:
    """The bootstrap as injected: what follows the config in the tag bootstrap_tag() writes."""
    tag = bootstrap_tag()
    return tag[tag.index('(function () { "use strict";'):-len("</script>")]


def test_the_source_is_readable_and_the_injected_form_is_one_line():
    assert max(len(line) for line in BOOTSTRAP_JS.splitlines()) <= 120
    assert "\n" not in injected_line()
    assert "//" not in BOOTSTRAP_JS.replace("://", "")  # a line comment would swallow the rest
    page = "<!doctype html>\n<p>x</p>\n<script>\nboom();\n</script>"
    assert artifact_document(page).split("\n")[3] == "boom();"


def test_the_joined_line_is_a_valid_program(tmp_path):
    node = shutil.which("node")
    assert node, "Node.js is needed (scripts/setup installs the library mirror with npm)"
    joined = tmp_path / "bootstrap.js"
    joined.write_text(injected_line())
    checked = subprocess.run([node, "--check", str(joined)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr

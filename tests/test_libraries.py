"""The one list of libraries agrees with what npm installs and what the policy allows."""
import json
import re
from pathlib import Path

import pytest

from mirror import libraries
from mirror.libraries import LIBRARIES, import_map
from mirror.files import split_spec
from sandbox import policy
from settings import ROOT
from testkit.serving import mirror_dir

MIRROR = ROOT / "mirror"


def installed(folder: str) -> Path:
    return mirror_dir() / folder


def test_package_json_pins_exactly_the_list():
    manifest = json.loads((MIRROR / "package.json").read_text())
    assert manifest["dependencies"] == libraries.package_json_dependencies()
    assert not manifest.get("devDependencies")
    for folder, version in manifest["dependencies"].items():
        # An older major is held beside the current one under an npm alias.
        alias = re.fullmatch(r"npm:((?:@[\w.-]+/)?[\w.-]+)@(.+)", version)
        if alias:
            assert folder != alias[1] and libraries.find(alias[1]) is not None, folder
            version = alias[2]
        assert re.fullmatch(r"\d+\.\d+\.\d+", version), "pin exact versions, no ranges"


def test_lockfile_matches_and_only_downloads_from_the_registry():
    lock = json.loads((MIRROR / "package-lock.json").read_text())
    assert lock["packages"][""]["dependencies"] == libraries.package_json_dependencies()
    for lib in LIBRARIES:
        entry = lock["packages"][f"node_modules/{lib.folder}"]
        assert entry["version"] == lib.version
        assert entry.get("name", lib.name) == lib.name
    for path, entry in lock["packages"].items():
        if not path:
            continue
        # npm may omit "resolved" for registry packages (omit-lockfile-registry-
        # resolved); then `npm ci` fetches from the configured registry and
        # checks the integrity hash. Git, file, link or tarball URLs never.
        resolved = entry.get("resolved", "https://registry.npmjs.org/")
        assert resolved.startswith("https://registry.npmjs.org/"), (path, resolved)
        assert entry["integrity"].startswith("sha512-"), path
        assert not entry.get("link"), path


@pytest.mark.mirror
@pytest.mark.parametrize("lib", LIBRARIES, ids=lambda lib: lib.folder)
def test_installed_version_and_every_listed_file_exist(lib):
    manifest = json.loads((installed(lib.folder) / "package.json").read_text())
    assert (manifest["name"], manifest["version"]) == (lib.name, lib.version)
    for path in (*lib.entry_files(), *lib.cdn_paths.values()):
        assert (installed(lib.folder) / path).is_file(), path
    for path in lib.extras:
        target = installed(lib.folder) / path
        assert target.is_dir() if path.endswith("/") else target.is_file(), path


def test_names_are_unique_and_every_library_says_how_to_use_it():
    assert len({lib.folder for lib in LIBRARIES}) == len(LIBRARIES)
    assert len({(lib.name, lib.version) for lib in LIBRARIES}) == len(LIBRARIES)
    # One current version of each package: the one the prompt offers and CDN
    # URLs without a version get.
    assert len({lib.name for lib in LIBRARIES if lib.current}) == len(
        [lib for lib in LIBRARIES if lib.current])
    for lib in LIBRARIES:
        if not lib.current:
            assert libraries.find(lib.name) is not None, f"{lib.name} has no current version"
            assert lib.install_as != lib.name
            assert lib.latest_compatible  # compatible() refuses "latest" for it anyway
    for lib in LIBRARIES:
        assert lib.description and lib.usage
        assert lib.scripts or lib.module or lib.styles, lib.name


def test_prompt_section_names_every_library_with_exact_tags():
    text = libraries.prompt_section()
    for lib in LIBRARIES:
        if not lib.current:
            continue
        for path in lib.scripts:
            defer = " defer" if lib.defer else ""
            assert f'<script{defer} src="/lib/{lib.name}@{lib.version}/{path}"></script>' in text
        for path in lib.styles:
            assert f'<link rel="stylesheet" href="/lib/{lib.name}@{lib.version}/{path}">' in text
    assert '"three": "/lib/three@0.187.0/build/three.module.js"' in text
    # Older majors serve old tools; the model writes for the current API.
    for lib in LIBRARIES:
        if not lib.current:
            assert f"{lib.name}@{lib.version}" not in text
    assert "cdn" in text.lower()  # it tells the model there is no CDN


def test_artifact_csp_allows_what_the_libraries_need():
    origin = "http://localhost:5000"
    csp = policy.artifact_csp("http://127.0.0.1:5000", origin)
    directives = {part.split()[0]: part.split()[1:] for part in csp.split("; ")}
    lib = origin + libraries.MIRROR_PREFIX
    # Fonts (KaTeX, Font Awesome) and images (Leaflet markers) come from the
    # libraries' stylesheets; Tailwind and Leaflet inject inline styles; Babel
    # evaluates what it compiles; Tone.js and canvas-confetti run blob workers.
    needed = {"script-src": ("'unsafe-inline'", "'unsafe-eval'", lib),
              "style-src": ("'unsafe-inline'", lib), "font-src": (lib,),
              "img-src": ("data:", lib), "worker-src": ("blob:",)}
    for directive, sources in needed.items():
        for source in sources:
            assert source in directives[directive], (directive, source)


def test_library_headers_allow_opaque_origins_and_cache_forever():
    headers = policy.headers_for(policy.Kind.LIBRARY, app_origin="http://127.0.0.1:5000",
                                 sandbox_origin="http://localhost:5000")
    assert headers["Access-Control-Allow-Origin"] == "*"
    assert headers["Cross-Origin-Resource-Policy"] == "cross-origin"
    assert headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Content-Security-Policy"].startswith("sandbox;")


@pytest.mark.mirror
def test_kilns_import_map_names_every_offered_module_build_and_nothing_else():
    imports = import_map()
    offered = [lib for lib in LIBRARIES if lib.offered and lib.module]
    assert {lib.name for lib in offered} <= set(imports)
    assert "fake-indexeddb" not in imports and "fake-indexeddb/" not in imports
    assert imports["three/addons/"] == "/lib/three@0.187.0/examples/jsm/"
    assert imports["highlight.js"] == imports["@highlightjs/cdn-assets"]
    for spec, url in imports.items():
        assert url.startswith(libraries.MIRROR_PREFIX) and spec.endswith("/") == url.endswith("/")
        name, _, segments = split_spec(url[len(libraries.MIRROR_PREFIX):])
        target = installed(name).joinpath(*segments)
        assert target.is_dir() if url.endswith("/") else target.is_file(), url


def test_pages_that_may_import_get_the_import_map_before_their_own_code():
    from sandbox.documents import IMPORT_MAP_TAG, artifact_document
    module_page = '<!doctype html><script type="module">import "three";</script>'
    served = artifact_document(module_page)
    assert served.index(IMPORT_MAP_TAG) < served.index('<script type="module">')
    assert json.loads(IMPORT_MAP_TAG.split(">", 1)[1].rsplit("<", 1)[0]) == {"imports": import_map()}
    assert IMPORT_MAP_TAG not in artifact_document("<!doctype html><p>no modules</p>")


def test_the_tool_api_page_lists_exactly_the_offered_libraries():
    page = (ROOT / "docs" / "tool-api.md").read_text("utf-8")
    assert libraries.libraries_table() in page, (
        "docs/tool-api.md's library table is out of date: run .venv/bin/python scripts/libraries_doc.py")

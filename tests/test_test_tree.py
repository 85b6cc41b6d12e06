"""The test tree's rules (scripts/check_layers.py, ``tree_breaches``): nothing
outside tests/ imports from tests/ (what tests, benchmarks and scripts share is
the testkit package); a module of tests/ imports no test module and no conftest,
and of tests/ only a helper of its own directory; and nothing in tests/, bench/,
scripts/ or testkit imports a private name of Kiln's own. The source keeps them,
and a breach is caught."""
from __future__ import annotations

from pathlib import Path

import pytest

from scripts.check_layers import ROOT, breaches, tree_breaches, tree_files


def test_the_source_keeps_the_test_tree_rules():
    scanned = {str(path) for path in tree_files()}
    assert {"tests/conftest.py", "tests/redteam/test_framing.py", "bench/load_bench.py",
            "scripts/screenshots.py"} <= scanned
    assert not (ROOT / "tests" / "helpers.py").exists()  # the shared helpers are testkit's
    assert tree_breaches() == []


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


TREE = {
    "app.py": "",
    "settings.py": "",
    "sandbox/__init__.py": "",
    "sandbox/documents.py": "_LINE = 1\nPUBLIC = 2\n",
    "testkit/__init__.py": "",
    "testkit/serving.py": "from app import create_app\nfrom .waiting import wait_for\n",
    "testkit/waiting.py": "",
    "tests/__init__.py": "",
    "tests/conftest.py": "from testkit.serving import serve_kiln\n",
    "tests/test_a.py": "from testkit.serving import serve_kiln\nfrom sandbox.documents import PUBLIC\n"
                       "from os import _exit\nfrom sandbox.documents import __doc__\n",
    "tests/test_c.py": "import testkit.waiting\n",
    "tests/redteam/__init__.py": "",
    "tests/redteam/conftest.py": "from .harness import KilnServer\nfrom .sink import Sink\n",
    "tests/redteam/harness.py": "from .sink import Sink\nfrom testkit.serving import serve_kiln\n",
    "tests/redteam/sink.py": "",
    "tests/redteam/test_b.py": "from .harness import run\nfrom tests.redteam import sink\n"
                               "import tests.redteam.harness\n",
    "bench/__init__.py": "",
    "bench/smoke_bench.py": "from testkit.serving import serve_kiln\n",
    "scripts/screenshots.py": "from testkit.serving import serve_kiln\nfrom testkit import waiting\n",
}


def test_a_tree_that_keeps_the_rules_passes(tmp_path):
    write(tmp_path, TREE)
    assert tree_breaches(tmp_path) == []


OUTSIDE = "nothing outside tests/ imports from tests/"
TEST_MODULE = "imports no test module or conftest"
OWN_DIRECTORY = "only a helper of its own directory"
PRIVATE = "imports the private name"


@pytest.mark.parametrize("name,text,why", [
    ("bench/smoke_bench.py", "from tests.helpers import serve_kiln\n", OUTSIDE),
    ("scripts/screenshots.py", "def main():\n    import tests.fake_llm\n", OUTSIDE),
    ("testkit/serving.py", "from tests.redteam.sink import Sink\n", OUTSIDE),
    ("sandbox/documents.py", "from tests import conftest\n", OUTSIDE),
    ("tests/test_a.py", "from tests.test_c import helper\n", TEST_MODULE),
    ("tests/test_a.py", "from . import test_c\n", TEST_MODULE),
    ("tests/test_a.py", "from .conftest import fixture\n", TEST_MODULE),
    ("tests/redteam/test_b.py", "from .conftest import KilnServer\n", TEST_MODULE),
    ("tests/redteam/test_b.py", "from . import conftest\n", TEST_MODULE),
    ("tests/redteam/harness.py", "from .test_b import run\n", TEST_MODULE),
    ("tests/test_a.py", "from tests.redteam.harness import run\n", OWN_DIRECTORY),
    ("tests/test_a.py", "from .redteam import sink\n", OWN_DIRECTORY),
    ("tests/redteam/test_b.py", "from ..helpers import serve_kiln\n", OWN_DIRECTORY),
    ("tests/test_a.py", "from sandbox.documents import PUBLIC, _LINE\n", f"{PRIVATE} _LINE"),
    ("tests/test_a.py", "def later():\n    from testkit.serving import _free\n", f"{PRIVATE} _free"),
    ("tests/redteam/test_b.py", "from .harness import _step\n", f"{PRIVATE} _step"),
    ("bench/smoke_bench.py", "from testkit.servers import _wait_for\n", f"{PRIVATE} _wait_for"),
    ("scripts/screenshots.py", "import sandbox._internal\n", f"{PRIVATE} _internal"),
    ("testkit/serving.py", "from settings import _defaults\n", f"{PRIVATE} _defaults"),
])
def test_a_breach_is_caught(tmp_path, name, text, why):
    write(tmp_path, {**TREE, name: text})
    found = tree_breaches(tmp_path)
    assert len(found) == 1 and found[0].startswith(f"{name}:") and why in found[0], found


def test_the_lint_check_holds_the_test_tree_rules_too(tmp_path):
    """scripts/check_layers.py (run by scripts/lint) reports them with Kiln's layers."""
    write(tmp_path, {**TREE, "bench/smoke_bench.py": "from tests.helpers import serve_kiln\n"})
    assert [line for line in breaches(tmp_path) if OUTSIDE in line] == tree_breaches(tmp_path) != []

"""Kiln's layers (scripts/check_layers.py): the source keeps them, and a breach is caught."""
from __future__ import annotations

from pathlib import Path

import pytest

from scripts.check_layers import breaches, rule_broken


def test_the_source_keeps_its_layers():
    assert breaches() == []


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


CLEAN = {
    "app.py": "import web\nfrom services import Kiln\n",
    "services/__init__.py": "from .kiln import Kiln\n",
    "services/kiln.py": "import workflow\nfrom generator import generate\nfrom tester.smoke import x\n",
    "workflow.py": "from artifacts import Store\n",
    "settings.py": "",
    "artifacts/__init__.py": "from .store import Store\n",
    "artifacts/store.py": "from . import web\n",  # artifacts.web, not the web package
    "generator/__init__.py": "from .pipeline import generate\n",
    "generator/pipeline.py": "from artifacts import Store\nfrom settings import Settings\n",
    "generator/providers/base.py": "from ..messages import Message\nfrom .. import sandbox\n",
    "sandbox/__init__.py": "",
    "sandbox/serve.py": "from mirror.standalone import standalone\nfrom .policy import Kind\n",
    "mirror/serve.py": "from sandbox.policy import Kind\nfrom . import libraries\n",
    "evals/runner.py": "from services import Kiln\nfrom artifacts import evals_store\n",
    "tester/smoke.py": "from . import run\nfrom artifacts.store import Store\nfrom sandbox import serve\n",
    "web/__init__.py": "from .api import bp\n",
    "web/api.py": "from generator import generate\nfrom sandbox import policy\nimport services\n",
}


def test_relative_imports_resolve_against_their_package(tmp_path):
    write(tmp_path, CLEAN)
    assert breaches(tmp_path) == []


@pytest.mark.parametrize("name,text,why", [
    ("services/kiln.py", "from web import x\n", "only app.py may import web"),
    ("workflow.py", "def later():\n    import web.api\n", "only app.py may import web"),
    ("generator/pipeline.py", "from tester.smoke import x\n", "never import each other"),
    ("generator/pipeline.py", "from sandbox import policy\n", "never import each other"),
    ("tester/smoke.py", "if True:\n    from generator import generate\n", "never import each other"),
    ("sandbox/serve.py", "from services import Kiln\n", "sandbox may import only"),
    ("sandbox/serve.py", "from tester import smoke\n", "sandbox may import only"),
    ("mirror/serve.py", "from sandbox.serve import bp\n", "mirror may import only"),
    ("generator/providers/base.py", "import workflow\n", "generator may import only"),
    ("workflow.py", "import services\n", "workflow may import only"),
    ("services/kiln.py", "from evals.runner import EvalRunner\n", "services may import only"),
    ("evals/runner.py", "from web.present import x\n", "only app.py may import web"),
    ("tester/smoke.py", "import evals\n", "tester may import only"),
    ("artifacts/store.py", "def f():\n    from generator import generate\n", "artifacts may import only"),
    ("artifacts/links.py", "from ..sandbox import policy\n", None),  # beyond the top package
])
def test_a_breach_is_caught_wherever_the_import_is(tmp_path, name, text, why):
    write(tmp_path, {**CLEAN, name: text})
    if why is None:
        with pytest.raises(SyntaxError):
            breaches(tmp_path)
        return
    found = breaches(tmp_path)
    assert len(found) == 1 and found[0].startswith(f"{name}:") and why in found[0], found


def test_the_rules():
    assert rule_broken("app", "web.api") is None
    assert rule_broken("web.pages", "web.forms") is None
    assert rule_broken("services", "web")
    assert rule_broken("tester.smoke", "generator") and rule_broken("generator", "sandbox.policy")
    assert rule_broken("generator.pipeline", "settings") is None
    assert rule_broken("artifacts.store", "workflow")
    assert rule_broken("artifacts.store", "flask") is None
    assert rule_broken("mirror.serve", "sandbox.policy") is None
    assert rule_broken("mirror.serve", "sandbox.serve")
    assert rule_broken("tester.smoke", "sandbox.serve") is None

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
    "artifacts/web.py": "",
    "generator/__init__.py": "from .pipeline import generate\n",
    "generator/pipeline.py": "from artifacts import Store\nfrom settings import Settings\n",
    "generator/providers/base.py": "from ..messages import Message\nfrom .. import sandbox\n",
    "sandbox/__init__.py": "",
    "sandbox/documents.py": "from mirror.standalone import standalone\nfrom .policy import Kind\n",
    "mirror/files.py": "from . import libraries\n",
    "evals/runner.py": "from services import Kiln\nfrom artifacts import evals_store\n",
    "tester/smoke.py": "from . import run\nfrom artifacts.store import Store\nfrom sandbox import documents\n",
    "web/__init__.py": "from .api import bp\n",
    "web/api.py": "from generator import generate\nfrom sandbox import policy\nimport services\n",
    # The test kit may import anything of Kiln's, the web layer and the framework too.
    "testkit/__init__.py": "",
    "testkit/serving.py": "from app import create_app\nfrom web.ownership import SALT\n"
                          "from flask import Flask\nimport cli\nfrom .clients import Client\n",
    "testkit/clients.py": "from services import Kiln\n",
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
    ("sandbox/documents.py", "from services import Kiln\n", "sandbox may import only"),
    ("sandbox/documents.py", "from tester import smoke\n", "sandbox may import only"),
    ("mirror/files.py", "from sandbox.policy import Kind\n", "mirror may import only"),
    ("mirror/files.py", "from services import Kiln\n", "mirror may import only"),
    ("tester/smoke.py", "from services.verdicts import Verdicts\n", "tester may import only"),
    ("generator/pipeline.py", "import services\n", "generator may import only"),
    ("generator/pipeline.py", "import web\n", "only app.py may import web"),
    ("sandbox/documents.py", "from flask import current_app\n", "below the web layer"),
    ("mirror/files.py", "from flask import send_file\n", "below the web layer"),
    ("services/kiln.py", "from werkzeug.wrappers import Response\n", "below the web layer"),
    ("artifacts/store.py", "def f():\n    from flask import g\n", "below the web layer"),
    ("evals/runner.py", "from flask import current_app\n", "only web/, app and cli reach the request"),
    ("generator/providers/base.py", "import workflow\n", "generator may import only"),
    ("workflow.py", "import services\n", "workflow may import only"),
    ("services/kiln.py", "from evals.runner import EvalRunner\n", "services may import only"),
    ("evals/runner.py", "from web.present import x\n", "only app.py may import web"),
    ("tester/smoke.py", "import evals\n", "tester may import only"),
    ("artifacts/store.py", "def f():\n    from generator import generate\n", "artifacts may import only"),
    ("services/kiln.py", "from testkit.serving import serve_kiln\n", "never imports testkit"),
    ("web/api.py", "def later():\n    import testkit.fake_llm\n", "never imports testkit"),
    ("app.py", "from bench import smoke_bench\n", "never imports bench/"),
    ("cli.py", "from scripts.check_layers import breaches\n", "never imports scripts/"),
    ("testkit/serving.py", "from bench.load_bench import measure\n", "testkit stands under"),
    ("testkit/clients.py", "import scripts.screenshots\n", "testkit stands under"),
    ("artifacts/links.py", "from ..sandbox import policy\n", None),  # beyond the top package
])
def test_a_breach_is_caught_wherever_the_import_is(tmp_path, name, text, why):
    write(tmp_path, {**CLEAN, name: text})
    if why is None:
        with pytest.raises(SyntaxError):
            breaches(tmp_path)
        return
    found = [line for line in breaches(tmp_path) if "an import loop" not in line]  # upward imports
    assert len(found) == 1 and found[0].startswith(f"{name}:") and why in found[0], found  # loop too


def test_the_rules():
    assert rule_broken("app", "web.api") is None
    assert rule_broken("web.pages", "web.forms") is None
    assert rule_broken("services", "web")
    assert rule_broken("tester.smoke", "generator") and rule_broken("generator", "sandbox.policy")
    assert rule_broken("generator.pipeline", "settings") is None
    assert rule_broken("artifacts.store", "workflow")
    assert rule_broken("artifacts.store", "flask")
    assert rule_broken("evals.webbench_cli", "flask", ("Flask",)) is None
    assert rule_broken("evals.webbench_cli", "flask", ("request",))
    assert rule_broken("web.api", "flask", ("request", "current_app")) is None
    assert rule_broken("mirror.files", "sandbox.policy")
    assert rule_broken("tester.smoke", "sandbox.documents") is None
    assert rule_broken("testkit.serving", "web.ownership") is None
    assert rule_broken("testkit.clients", "flask", ("request",)) is None
    assert rule_broken("testkit.serving", "cli") is None
    assert rule_broken("services.kiln", "testkit")
    assert rule_broken("generator.pipeline", "testkit.fake_llm")
    assert rule_broken("testkit.servers", "bench.load_bench")


def test_an_import_loop_is_caught(tmp_path):
    """A Protocol breaks a loop (as tester.checks_run does for the smoke run): the
    loop itself, even through a TYPE_CHECKING import, is a breach."""
    loop = {"tester/a.py": "from . import b\n",
            "tester/b.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .a import x\n"}
    write(tmp_path, {**CLEAN, **loop})
    found = breaches(tmp_path)
    assert len(found) == 1 and "an import loop: tester.a -> tester.b -> tester.a" in found[0], found


STORE = """class Store:
    def writing(self): ...
    def reading(self): ...
    def rename(self, title):
        with self.writing():
            pass
    def get(self, name):
        with self.reading():
            pass
"""
ACCOUNTS = """from .store import Store
def revoke(store, sign_in):
    with store.writing():
        pass
def sign_out(store, token):
    revoke(store, token)
def find(store, name):
    with store.reading():
        pass
"""


@pytest.mark.parametrize("route,why", [
    ("from . import kiln\ndef r():\n    kiln().store.rename('x')\n", "artifacts.store.rename"),
    ("from artifacts import accounts\ndef r(k):\n    accounts.revoke(k.store, 'x')\n",
     "artifacts.accounts.revoke"),
    ("from artifacts.accounts import sign_out\ndef r(k):\n    sign_out(k.store, 't')\n",
     "artifacts.accounts.sign_out"),  # a writer because it calls one
    ("from artifacts import accounts\ndef r(k):\n    accounts.find(k.store, 'x')\n"
     "    k.store.get('x')\n    kiln().rename('x')\n", None),  # reads; a write through services
])
def test_a_route_writes_only_through_the_composition(tmp_path, route, why):
    write(tmp_path, {**CLEAN, "artifacts/store.py": STORE, "artifacts/accounts.py": ACCOUNTS,
                     "web/__init__.py": "def kiln(): ...\n", "web/api.py": route})
    found = breaches(tmp_path)
    if why is None:
        assert found == []
    else:
        assert len(found) == 1 and f"web writes through {why}" in found[0], found

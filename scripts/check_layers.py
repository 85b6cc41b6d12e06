"""Kiln's layers, checked from the source: which of its parts may import which.

    artifacts            the domain: imports no other part of Kiln but settings
    mirror               the library mirror: artifacts and settings
    generator            the model side: artifacts and settings only
    jobs                 where jobs run and their typed events: artifacts and settings
    sandbox              the security boundary: artifacts, settings and mirror
    tester               the browser tester: artifacts, settings, sandbox, mirror
    workflow             the loop: artifacts, generator, jobs and settings
    services             composes the parts above: never imports evals, web or cli
    evals                evals and the arena: stand on services, never import web
    web                  the HTTP layer: only app.py imports it
    cli                  the commands: services and the parts, never web; only
                         app.py imports it
    testkit              the fakes and helpers of tests/, bench/ and scripts/:
                         may import anything of Kiln's, but nothing of Kiln's
                         own imports it (nor tests/, bench/ or scripts/)

generator never meets sandbox or tester, in either direction. Below the web
layer (everything but web, app, cli and evals) nothing imports Flask or
Werkzeug, so nothing there reaches ``current_app`` or the request; evals may
serve a Kiln of its own, but reads no request either.

The test tree (``tree_breaches``): nothing outside tests/ imports from
tests/; a module of tests/ imports no test module and no conftest (fixtures
come through pytest) and, of tests/, only helpers of its own directory (a
suite's harness: what several share is testkit's); and no module of tests/,
bench/, scripts/ or testkit imports a private name (a leading underscore) of
Kiln's, testkit's or the test tree's own.

The façade rule: routes (web/) read through the store if they like, but every
write goes through the composition (services). A call from web/ to a store
method that writes, or to a function of artifacts/ that writes, is a breach;
what writes is read from artifacts/ itself (a function that opens
``store.writing()``, or calls one that does).

Every import statement counts, wherever it is (inside a function, under
``if TYPE_CHECKING:``); a relative import is resolved against its package.
Run by scripts/lint, and by tests/test_layering.py and tests/test_test_tree.py:

    .venv/bin/python scripts/check_layers.py    # one line per breach; exit 1 if any
"""
from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("artifacts", "evals", "generator", "jobs", "mirror", "sandbox", "services", "tester",
            "web")
MODULES = ("app", "cli", "workflow", "settings")
OURS = frozenset(PACKAGES + MODULES)
# The library of tests/, bench/ and scripts/, and those three: not Kiln's own code.
TESTKIT = "testkit"
TEST_TREE = ("tests", "bench", "scripts")
# What each part may import of Kiln's own (parts not listed may import anything
# but web, which only app.py imports).
ALLOWED = {
    "artifacts": {"settings"},
    "mirror": {"artifacts", "settings"},
    "generator": {"artifacts", "settings"},
    "jobs": {"artifacts", "settings"},
    "sandbox": {"artifacts", "settings", "mirror"},
    "tester": {"artifacts", "settings", "sandbox", "mirror"},
    "workflow": {"artifacts", "generator", "jobs", "settings"},
    # The composition, under what stands on it (app, cli, web, evals).
    "services": {"artifacts", "generator", "jobs", "mirror", "sandbox", "tester", "workflow",
                 "settings"},
    "cli": {"artifacts", "evals", "generator", "jobs", "mirror", "sandbox", "tester", "workflow",
            "services", "settings"},
    "settings": set(),
}


@dataclass(frozen=True)
class Import:
    path: Path       # the importing file, relative to the root
    line: int
    importer: str    # its module, dotted
    target: str      # the module it imports, dotted
    names: tuple[str, ...] = ()  # what a ``from`` import takes of it

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.importer} imports {self.target}"


def source_files(root: Path = ROOT) -> list[Path]:
    """Kiln's own code (not its tests, scripts or benchmarks), relative to ``root``."""
    files = [Path(f"{name}.py") for name in MODULES if (root / f"{name}.py").is_file()]
    for package in PACKAGES:
        files += sorted(p.relative_to(root) for p in (root / package).rglob("*.py")
                        if "node_modules" not in p.parts)
    return files


def testkit_files(root: Path = ROOT) -> list[Path]:
    """The test kit's modules, relative to ``root``."""
    return sorted(p.relative_to(root) for p in (root / TESTKIT).rglob("*.py"))


def tree_files(root: Path = ROOT) -> list[Path]:
    """Every module of tests/, bench/ and scripts/, relative to ``root``."""
    return sorted(p.relative_to(root) for folder in TEST_TREE for p in (root / folder).rglob("*.py")
                  if "node_modules" not in p.parts)


def module_name(path: Path) -> str:
    parts = list(path.with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports(root: Path, path: Path) -> Iterator[Import]:
    """Every module ``path`` imports, relative imports resolved."""
    importer = module_name(path)
    # A package's own __init__ is its package; any other module's is its parent.
    package = importer.split(".") if path.name == "__init__.py" else importer.split(".")[:-1]
    tree = ast.parse((root / path).read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(path, node.lineno, importer, alias.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                base = node.module or ""
            else:
                if node.level > len(package):
                    raise SyntaxError(f"{path}:{node.lineno}: relative import beyond the top package")
                base = ".".join(package[:len(package) - node.level + 1] + ([node.module] if node.module else []))
            if node.module:
                yield Import(path, node.lineno, importer, base,
                             tuple(alias.name for alias in node.names))
            else:  # from . import a, b: each name is a module of the package
                for alias in node.names:
                    yield Import(path, node.lineno, importer, f"{base}.{alias.name}")


# Above the composition: what may import the web framework at all, and what may
# reach the request it serves.
FRAMEWORK = frozenset({"flask", "werkzeug", "flask_wtf", "flask_limiter"})
MAY_USE_FRAMEWORK = frozenset({"web", "app", "cli", "evals"})
REQUEST_CONTEXT = frozenset({"current_app", "request", "g", "session"})
MAY_USE_REQUEST = frozenset({"web", "app", "cli"})


def rule_broken(importer: str, target: str, names: tuple[str, ...] = ()) -> str | None:
    """Why ``importer`` may not import ``target`` (``names``: what a ``from``
    import takes of it); None when it may."""
    src, dst = importer.split(".")[0], target.split(".")[0]
    if dst == "tests":
        return None  # nothing outside tests/ imports it: the test tree's rule says so
    if src == TESTKIT:
        return ("testkit stands under tests/, bench/ and scripts/: it imports none of them"
                if dst in TEST_TREE else None)
    if dst == TESTKIT:
        return "Kiln's own code never imports testkit: only tests/, bench/ and scripts/ do"
    if dst in TEST_TREE:
        return f"Kiln's own code never imports {dst}/"
    if dst in FRAMEWORK and src not in MAY_USE_FRAMEWORK:
        return f"{src} sits below the web layer: it imports no web framework ({dst})"
    if dst == "flask" and src not in MAY_USE_REQUEST and REQUEST_CONTEXT.intersection(names):
        return f"only web/, app and cli reach the request or current_app, not {src}"
    if dst not in OURS or src == dst:
        return None
    if dst == "cli" and src != "app":
        return "only app.py registers the commands"
    if dst == "web" and src != "app":
        return ("services sits below the web layer; only app.py may import web" if src == "services"
                else "only app.py may import web")
    if {src, dst} in ({"generator", "sandbox"}, {"generator", "tester"}):
        return "generator never meets sandbox or tester: they never import each other"
    allowed = ALLOWED.get(src)
    if allowed is None or dst in allowed or any(
            target == name or target.startswith(name + ".") for name in allowed):
        return None
    listed = ", ".join(sorted(allowed)) or "nothing"
    return f"{src} may import only {listed} of Kiln's own"


def breaches(root: Path = ROOT) -> list[str]:
    """One line per import that breaks a rule, as ``path:line: what: why``."""
    found = []
    for path in source_files(root) + testkit_files(root):
        for imp in imports(root, path):
            why = rule_broken(imp.importer, imp.target, imp.names)
            if why:
                found.append(f"{imp}: {why}")
    return found + cycle_breaches(root) + facade_breaches(root) + tree_breaches(root)


def cycle_breaches(root: Path = ROOT) -> list[str]:
    """One line per loop of imports among Kiln's modules (a module that, through
    others, imports itself): a Protocol or a plain function breaks one."""
    names = {module_name(path): path for path in source_files(root) + testkit_files(root)}
    graph: dict[str, set[str]] = {}
    for module, path in names.items():
        for imp in imports(root, path):
            target = imp.target
            while target and target not in names:  # a name in a module: that module
                target = target.rpartition(".")[0]
            if target and target != module:
                graph.setdefault(module, set()).add(target)
    found: list[str] = []
    done: set[str] = set()
    for start in sorted(graph):
        loop = _loop_from(start, graph, done, [])
        if loop and set(loop) - done:
            done.update(loop)
            found.append(f"{names[loop[0]]}: an import loop: {' -> '.join(loop)}")
    return found


def _loop_from(module: str, graph: dict[str, set[str]], done: set[str],
               trail: list[str]) -> list[str] | None:
    """A loop reached from ``module`` (depth first), as the modules round it."""
    if module in trail:
        return trail[trail.index(module):] + [module]
    if module in done:
        return None
    trail.append(module)
    for target in sorted(graph.get(module, ())):
        loop = _loop_from(target, graph, done, trail)
        if loop:
            return loop
    trail.pop()
    done.add(module)
    return None


# -- the test tree --------------------------------------------------------------------------------

def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _modules_imported(root: Path, imp: Import) -> list[str]:
    """The modules an import of the test tree loads: the target, or for ``from
    PACKAGE import a, b`` each name that is a module of the package."""
    base = root.joinpath(*imp.target.split("."))
    found = [f"{imp.target}.{name}" for name in imp.names
             if (base / f"{name}.py").is_file() or (base / name / "__init__.py").is_file()]
    return found or [imp.target]


def _directory(module: str, root: Path) -> str:
    """The package a module of the test tree sits in (a package: itself)."""
    return module if root.joinpath(*module.split("."), "__init__.py").is_file() \
        else module.rpartition(".")[0]


def tree_rule_broken(root: Path, imp: Import) -> str | None:
    """Why ``imp`` breaks a rule of the test tree; None when it keeps them."""
    src, dst = imp.importer.split(".")[0], imp.target.split(".")[0]
    if dst == "tests" and src != "tests":
        return "nothing outside tests/ imports from tests/: what is shared lives in testkit"
    hidden = [name for name in (*imp.target.split(".")[1:], *imp.names) if _private(name)]
    if hidden and (dst in OURS or dst in (TESTKIT, *TEST_TREE)):
        return (f"imports the private name {hidden[0]}: a test, a benchmark, a script or testkit "
                "uses only what Kiln's code and testkit offer publicly")
    if src == "tests" and dst == "tests":
        own = imp.importer if (root / imp.path).name == "__init__.py" \
            else imp.importer.rpartition(".")[0]
        for module in _modules_imported(root, imp):
            last = module.rpartition(".")[2]
            if last.startswith("test_") or last == "conftest":
                return (f"a module of tests/ imports no test module or conftest ({module}): "
                        "fixtures come through pytest, shared helpers from testkit")
            if _directory(module, root) != own:
                return (f"tests/ imports from tests/ only a helper of its own directory, not "
                        f"{module}: what several directories share lives in testkit")
    return None


def tree_breaches(root: Path = ROOT) -> list[str]:
    """One line per import that breaks a rule of the test tree (above), from
    anywhere: Kiln's own code, testkit, tests/, bench/ and scripts/."""
    found = []
    for path in source_files(root) + testkit_files(root) + tree_files(root):
        for imp in imports(root, path):
            why = tree_rule_broken(root, imp)
            if why:
                found.append(f"{imp}: {why}")
    return found


# -- the façade rule ----------------------------------------------------------------------------

def _calls(node: ast.AST) -> Iterator[ast.Call]:
    return (n for n in ast.walk(node) if isinstance(n, ast.Call))


def _callee_name(call: ast.Call) -> str | None:
    func = call.func
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return None


def writers(root: Path = ROOT) -> dict[str, set[str]]:
    """What writes in artifacts/: for each module (``artifacts.accounts``, ...) the
    names of its functions and methods that open ``.writing()``, or call one
    that does: a function of the same module by its bare name, a method on
    ``self``, ``cls`` or the store, or a function of another module of
    artifacts/ through that module's name (to a fixpoint)."""
    bodies: dict[tuple[str, str], ast.FunctionDef] = {}
    for path in sorted((root / "artifacts").rglob("*.py")):
        if "migrations" in path.parts:
            continue
        module = module_name(path.relative_to(root))
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, ast.FunctionDef):
                bodies[module, node.name] = node
            elif isinstance(node, ast.ClassDef):
                for item in node.body:
                    if isinstance(item, ast.FunctionDef):
                        bodies[module, item.name] = item
    writing = {key for key, body in bodies.items()
               if any(_callee_name(c) == "writing" for c in _calls(body))}

    def calls_a_writer(module: str, body: ast.FunctionDef) -> bool:
        for call in _calls(body):
            func = call.func
            if isinstance(func, ast.Name) and (module, func.id) in writing:
                return True
            if isinstance(func, ast.Attribute):
                receiver = _receiver(func) or ""
                if receiver in ("self", "cls") and (module, func.attr) in writing:
                    return True
                if receiver in ("store", "Store") and ("artifacts.store", func.attr) in writing:
                    return True
                if (f"artifacts.{receiver}", func.attr) in writing:
                    return True
        return False

    while True:
        more = {key for key, body in bodies.items()
                if key not in writing and calls_a_writer(key[0], body)}
        if not more:
            break
        writing |= more
    found: dict[str, set[str]] = {}
    for module, name in writing:
        found.setdefault(module, set()).add(name)
    return found


# Receivers through which web/ reaches the domain's write methods: the store, and
# the tool-data store (``kiln().runtime.data``).
STORE_RECEIVERS = {"store": "artifacts.store", "data": "artifacts.tool_data"}


def _receiver(func: ast.Attribute) -> str | None:
    value = func.value
    if isinstance(value, ast.Attribute):
        return value.attr
    if isinstance(value, ast.Name):
        return value.id
    return None


def facade_breaches(root: Path = ROOT) -> list[str]:
    """One line per write a route makes past the composition."""
    writes = writers(root)
    found = []
    for path in source_files(root):
        if module_name(path).split(".")[0] != "web":
            continue
        tree = ast.parse((root / path).read_text(encoding="utf-8"))
        modules: dict[str, str] = {}    # a local name for a module of artifacts/
        functions: dict[str, str] = {}  # a local name for a function of one
        for imp in imports(root, path):
            if imp.target.split(".")[0] != "artifacts":
                continue
            for name in imp.names:
                if f"{imp.target}.{name}" in writes:
                    modules[name] = f"{imp.target}.{name}"
                else:
                    functions[name] = imp.target
        for call in _calls(tree):
            func, target = call.func, None
            if isinstance(func, ast.Name) and func.id in functions:
                home = functions[func.id]
                target = f"{home}.{func.id}" if func.id in writes.get(home, ()) else None
            elif isinstance(func, ast.Attribute):
                receiver = _receiver(func) or ""
                found_in = modules.get(receiver) or STORE_RECEIVERS.get(receiver)
                if found_in and func.attr in writes.get(found_in, ()):
                    target = f"{found_in}.{func.attr}"
            if target:
                found.append(f"{path}:{call.lineno}: web writes through {target}: every write a "
                             "route makes goes through the composition (services)")
    return found


def main() -> int:
    found = breaches()
    for line in found:
        print(line, file=sys.stderr)
    if found:
        print(f"{len(found)} import(s) break Kiln's layers (see scripts/check_layers.py).",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

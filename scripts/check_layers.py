"""Kiln's layers, checked from the source: which of its parts may import which.

    artifacts            the domain: imports no other part of Kiln but settings
    mirror               the library mirror: artifacts and settings, and the one
                         policy module (sandbox.policy) for its headers
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

generator never meets sandbox or tester, in either direction.

Every import statement counts, wherever it is (inside a function, under
``if TYPE_CHECKING:``); a relative import is resolved against its package.
Run by scripts/lint and by tests/test_layering.py:

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
# What each part may import of Kiln's own (parts not listed may import anything
# but web, which only app.py imports).
ALLOWED = {
    "artifacts": {"settings"},
    "mirror": {"artifacts", "settings", "sandbox.policy"},
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

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.importer} imports {self.target}"


def source_files(root: Path = ROOT) -> list[Path]:
    """Kiln's own code (not its tests, scripts or benchmarks), relative to ``root``."""
    files = [Path(f"{name}.py") for name in MODULES if (root / f"{name}.py").is_file()]
    for package in PACKAGES:
        files += sorted(p.relative_to(root) for p in (root / package).rglob("*.py")
                        if "node_modules" not in p.parts)
    return files


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
                yield Import(path, node.lineno, importer, base)
            else:  # from . import a, b: each name is a module of the package
                for alias in node.names:
                    yield Import(path, node.lineno, importer, f"{base}.{alias.name}")


def rule_broken(importer: str, target: str) -> str | None:
    """Why ``importer`` may not import ``target``; None when it may."""
    src, dst = importer.split(".")[0], target.split(".")[0]
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
    names = ", ".join(sorted(allowed)) or "nothing"
    return f"{src} may import only {names} of Kiln's own"


def breaches(root: Path = ROOT) -> list[str]:
    """One line per import that breaks a rule, as ``path:line: what: why``."""
    found = []
    for path in source_files(root):
        for imp in imports(root, path):
            why = rule_broken(imp.importer, imp.target)
            if why:
                found.append(f"{imp}: {why}")
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

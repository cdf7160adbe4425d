"""Imports run one way through the packages: no module imports a package that comes later in the pipeline."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "src" / "avspnet"
# Shared helpers first, then the pipeline order; a package may import only itself and earlier ones.
ORDER = ["errors", "log", "paths", "configio", "markdown", "parallel", "audio", "content", "corpora", "features", "proxy", "ingest",
         "models", "training", "frontends", "evaluation", "downstream", "reports", "experiment", "commands", "cli",
         "__main__"]


def _layer(parts: tuple[str, ...]) -> str:
    return parts[0].removesuffix(".py") if parts else "__init__"


def _imported(module: Path) -> set[str]:
    """First-level avspnet packages a module imports (relative or absolute)."""
    package = module.relative_to(ROOT).parts[:-1]
    names = set()
    for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - (node.level - 1)] if node.level > 1 else package
                target = (*base, *(node.module or "").split(".")) if node.module else base
                if not target:  # `from .. import x` at the top: x is a package of avspnet
                    names.update(alias.name for alias in node.names)
                else:
                    names.add(target[0] if target[0] else "")
            elif node.module and node.module.startswith("avspnet."):
                names.add(node.module.split(".")[1])
    return {name for name in names if name}


def test_every_import_points_to_an_earlier_or_the_same_package():
    rank = {name: i for i, name in enumerate(ORDER)}
    backwards = []
    for module in sorted(ROOT.rglob("*.py")):
        own = _layer(module.relative_to(ROOT).parts)
        if own not in rank:
            assert own == "__init__", f"{module}: package {own!r} is missing from ORDER"
            continue
        for target in _imported(module):
            if target == "__version__":
                continue
            assert target in rank, f"{module}: imports unknown package {target!r}"
            if rank[target] > rank[own]:
                backwards.append(f"{module.relative_to(ROOT)} -> {target}")
    assert not backwards, "imports against the pipeline order:\n" + "\n".join(backwards)

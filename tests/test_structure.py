"""The package's shape: short modules, imports at the top, and no two modules needing each other."""
from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "affinekit"
MAX_LINES = 400
# Imports allowed inside a function, each for a stated reason other than dodging a cycle.
DEFERRED = {
    # every `import affinekit.x` runs __init__ first: it must not pull torch, dlib and the model in
    ("affinekit", "affinekit.animate"),
}


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _kit_imports(tree: ast.AST, names: set[str]) -> list[tuple[str, ast.AST]]:
    """(module, node) for each `from affinekit... import ...`; `from pkg import module` counts as the module."""
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "affinekit":
            subs = [f"{node.module}.{a.name}" for a in node.names if f"{node.module}.{a.name}" in names]
            out.extend((m, node) for m in subs or [node.module])
    return out


def _type_checking_only(tree: ast.Module) -> set[int]:
    ids = set()
    for node in tree.body:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            ids |= {id(n) for n in ast.walk(node)}
    return ids


def test_no_module_is_long():
    long = {name: n for name, path in _modules().items() if (n := len(path.read_text().splitlines())) > MAX_LINES}
    assert not long, f"modules over {MAX_LINES} lines: {long}"


def test_kit_imports_sit_at_module_top():
    modules = _modules()
    inside = []
    for name, path in modules.items():
        tree = ast.parse(path.read_text())
        top, typing_only = {id(n) for n in tree.body}, _type_checking_only(tree)
        for target, node in _kit_imports(tree, set(modules)):
            if id(node) not in top and id(node) not in typing_only and (name, target) not in DEFERRED:
                inside.append(f"{name}:{node.lineno} imports {target} inside a function")
    assert not inside, "\n".join(inside)


def test_imports_go_one_way():
    modules = _modules()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        tree = ast.parse(path.read_text())
        typing_only = _type_checking_only(tree)
        graph[name] = {t for t, node in _kit_imports(tree, set(modules))
                       if t in modules and t != name and id(node) not in typing_only}

    def reaches(start: str, goal: str) -> bool:
        seen, stack = set(), [start]
        while stack:
            here = stack.pop()
            if here == goal:
                return True
            if here not in seen:
                seen.add(here)
                stack.extend(graph[here])
        return False

    loops = sorted({tuple(sorted((a, b))) for a in graph for b in graph[a] if reaches(b, a)})
    assert not loops, f"modules that need each other (directly or round about): {loops}"


def test_the_checks_find_what_they_look_for(tmp_path):
    tree = ast.parse("from affinekit import video\n\ndef f():\n    from affinekit.data import faces\n")
    found = _kit_imports(tree, {"affinekit.video", "affinekit.data.faces"})
    assert [(m, n.lineno) for m, n in found] == [("affinekit.video", 1), ("affinekit.data.faces", 4)]


def test_the_command_layer_sits_on_top():
    """`affinekit.commands` (one module per subcommand) may import the library; the library never imports it."""
    modules = _modules()
    upward = []
    for name, path in modules.items():
        if name.startswith("affinekit.commands") or name in ("affinekit.cli", "affinekit.__main__"):
            continue
        targets = {t for t, _ in _kit_imports(ast.parse(path.read_text()), set(modules))}
        upward += [f"{name} imports {t}" for t in targets if t.startswith("affinekit.commands") or t == "affinekit.cli"]
    assert not upward, upward
    assert {"affinekit.commands.generate", "affinekit.commands.train", "affinekit.commands.evaluate",
            "affinekit.commands.prepare", "affinekit.commands.figures"} <= set(modules)

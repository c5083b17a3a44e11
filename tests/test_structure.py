"""The package's shape: wings that import one way, short modules, imports at the top, no import cycles.

The wing map and its rules are written out in docs/architecture.md; this file enforces them."""
from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "affinekit"
MAX_LINES = 300
# Imports allowed inside a function, each for a stated reason other than dodging a cycle.
DEFERRED = {
    # every `import affinekit.x` runs __init__ first: it must not pull torch, dlib and the model in
    ("affinekit", "affinekit.generate.animate"),
    # a subcommand loads only its own wing (`affinekit generate` never pays for importing training)
    ("affinekit.cli", "affinekit.commands"),
}


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


IMPORT_CALLS = {"import_module", "__import__"}     # importlib.import_module(...), __import__(...)


def _package_of(module: str, names: set[str]) -> str:
    """The package a relative import in `module` starts from: itself when it is a package, else its parent."""
    return module if any(n.startswith(module + ".") for n in names) else module.rpartition(".")[0]


def _named(dotted: str, names: set[str]) -> list[str]:
    """`dotted` as kit modules: itself, or its package (`pkg.function` -> `pkg`) when it names no module."""
    while dotted and dotted not in names and "." in dotted:
        dotted = dotted.rpartition(".")[0]
    return [dotted] if dotted.split(".")[0] == "affinekit" else []


def _call_targets(node: ast.Call, here: str, names: set[str], strings: list[str]) -> list[str]:
    """The modules an importlib call loads: its literal name (relative ones resolved against a literal
    package), the literal head of an f-string, or, when the name is computed, every kit module name the
    importing module spells out in its strings (cli.py's table of subcommand modules)."""
    first = node.args[0] if node.args else None
    if isinstance(first, ast.Constant) and isinstance(first.value, str):
        name = first.value
        if name.startswith("."):
            package = node.args[1].value if len(node.args) > 1 and isinstance(node.args[1], ast.Constant) else \
                _package_of(here, names)
            name = importlib.util.resolve_name(name, package)
        return _named(name, names)
    if isinstance(first, ast.JoinedStr) and first.values and isinstance(first.values[0], ast.Constant):
        return _named(str(first.values[0].value).rstrip("."), names)
    return [m for text in strings for m in _named(text.rstrip("."), names)]


def _kit_imports(tree: ast.AST, names: set[str], here: str = "") -> list[tuple[str, ast.AST]]:
    """(module, node) for each import of the kit in `tree`, the source of module `here`: `from affinekit...
    import ...` (`from pkg import module` counts as the module), `import affinekit.x`, relative imports
    (`from ..x import y`, resolved from `here`) and importlib calls (`importlib.import_module`, `__import__`)."""
    # kit module names spelled out in the source (an f-string's literal head is a Constant too)
    strings = list(dict.fromkeys(n.value for n in ast.walk(tree) if isinstance(n, ast.Constant)
                                 and isinstance(n.value, str) and n.value.startswith("affinekit.")))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").split(".")[0] == "affinekit"):
            module = node.module or ""
            if node.level:
                module = importlib.util.resolve_name("." * node.level + module, _package_of(here, names))
            subs = [f"{module}.{a.name}" for a in node.names if f"{module}.{a.name}" in names]
            out.extend((m, node) for m in subs or [module])
        elif isinstance(node, ast.Import):
            out.extend((a.name, node) for a in node.names if a.name.split(".")[0] == "affinekit")
        elif isinstance(node, ast.Call):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            if called in IMPORT_CALLS:
                out.extend((m, node) for m in _call_targets(node, here, names, strings))
    return out


def _type_checking_only(tree: ast.Module) -> set[int]:
    ids = set()
    for node in tree.body:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            ids |= {id(n) for n in ast.walk(node)}
    return ids


def _loops(graph: dict[str, set[str]]) -> list[tuple[str, str]]:
    """The pairs (a, b) of `graph` (name -> names it imports) that reach each other, directly or round about."""
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

    return sorted({tuple(sorted((a, b))) for a in graph for b in graph[a] if reaches(b, a)})


def test_no_module_is_long():
    long = {name: n for name, path in _modules().items() if (n := len(path.read_text().splitlines())) > MAX_LINES}
    assert not long, f"modules over {MAX_LINES} lines: {long}"


def test_kit_imports_sit_at_module_top():
    modules = _modules()
    inside = []
    for name, path in modules.items():
        tree = ast.parse(path.read_text())
        top, typing_only = {id(n) for n in tree.body}, _type_checking_only(tree)
        for target, node in _kit_imports(tree, set(modules), name):
            if id(node) not in top and id(node) not in typing_only and (name, target) not in DEFERRED:
                inside.append(f"{name}:{node.lineno} imports {target} inside a function")
    assert not inside, "\n".join(inside)


def test_imports_go_one_way():
    modules = _modules()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        # typing-only imports count too: a circle of annotations is still two modules that need each other
        graph[name] = {t for t, _ in _kit_imports(ast.parse(path.read_text()), set(modules), name)
                       if t in modules and t != name}

    loops = _loops(graph)
    assert not loops, f"modules that need each other (directly or round about): {loops}"


def test_the_checks_find_what_they_look_for(tmp_path):
    names = {"affinekit.io.video", "affinekit.data.faces", "affinekit.data", "affinekit.training.loop",
             "affinekit.training", "affinekit.commands", "affinekit.commands.train"}
    source = ("from affinekit.io import video\n\ndef f():\n    from affinekit.data import faces\n"
              "import affinekit.training.loop as loop\n"            # a plain import
              "from ..training import loop\n"                       # relative, from affinekit.data.reader
              "from . import faces\n"
              "importlib.import_module('affinekit.io.video')\n"     # importlib, a literal name
              "import_module('..training.loop', 'affinekit.data')\n"
              "__import__(f'affinekit.commands.{x}')\n")           # computed: the f-string's head
    found = _kit_imports(ast.parse(source), names, "affinekit.data.reader")
    assert sorted((n.lineno, m) for m, n in found) == [(line, m) for m, line in [
        ("affinekit.io.video", 1), ("affinekit.data.faces", 4), ("affinekit.training.loop", 5),
        ("affinekit.training.loop", 6), ("affinekit.data.faces", 7), ("affinekit.io.video", 8),
        ("affinekit.training.loop", 9), ("affinekit.commands", 10)]]
    # a name computed elsewhere: the module's own strings say what it may load (cli.py's table)
    table = "HANDLERS = {'train': 'affinekit.commands.train'}\nimportlib.import_module(HANDLERS[name])\n"
    assert [m for m, _ in _kit_imports(ast.parse(table), names, "affinekit.cli")] == ["affinekit.commands.train"]


def test_benchmarks_and_scripts_import_each_other_one_way():
    """The scripts beside the package (benchmarks/, scripts/) import their siblings without a cycle."""
    for folder in ("benchmarks", "scripts"):
        files = {p.stem: p for p in (PACKAGE.parent / folder).glob("*.py")}
        graph = {}
        for stem, path in files.items():
            tree = ast.parse(path.read_text())
            names = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
            names += [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module and not n.level]
            graph[stem] = {m.split(".")[0] for m in names} & set(files) - {stem}

        loops = _loops(graph)
        assert not loops, f"{folder}/ files that need each other: {loops}"


def test_the_command_layer_sits_on_top():
    """`affinekit.commands` (one module per subcommand) may import the library; the library never imports it."""
    modules = _modules()
    upward = []
    for name, path in modules.items():
        if name.startswith("affinekit.commands") or name in ("affinekit.cli", "affinekit.__main__"):
            continue
        targets = {t for t, _ in _kit_imports(ast.parse(path.read_text()), set(modules), name)}
        upward += [f"{name} imports {t}" for t in targets if t.startswith("affinekit.commands") or t == "affinekit.cli"]
    assert not upward, upward
    assert {"affinekit.commands.generate", "affinekit.commands.train", "affinekit.commands.evaluate",
            "affinekit.commands.prepare", "affinekit.commands.figures"} <= set(modules)


# The wings (docs/architecture.md): each may import only the wings listed for it (and itself).
# "base" is the top-level foundation modules: errors, expressions, config, config_check, devices, memory, seeds.
BELOW = {"base", "io"}
MAY_IMPORT = {
    "base": {"base"},
    "io": {"base"},
    "data": BELOW,                                   # data and models know nothing of each other or of training
    "models": BELOW,
    "weights": BELOW | {"models"},                   # weights sit below the loop
    "training": BELOW | {"data", "models", "weights"},
    "generate": BELOW | {"data", "models", "weights"},            # generation never imports training
    "evaluation": BELOW | {"data", "models", "weights", "generate"},  # takes models; never trains
    "show": BELOW | {"data", "models", "weights", "training", "generate", "evaluation"},
    "notebook": BELOW | {"data", "models", "weights", "training", "generate", "evaluation", "show"},
    "commands": BELOW | {"data", "models", "weights", "training", "generate", "evaluation", "show", "notebook"},
}
DRAWING = ("matplotlib", "ipywidgets", "IPython")   # libraries that draw or display
MAY_DRAW = {"show", "notebook", "commands"}         # nothing below show/ draws


def wing_of(module: str) -> str:
    parts = module.split(".")
    if module in ("affinekit.cli", "affinekit.__main__") or parts[1:2] == ["commands"]:
        return "commands"
    return parts[1] if len(parts) > 2 or (len(parts) == 2 and parts[1] in MAY_IMPORT) else "base"


def wing_breaks(modules: dict[str, str]) -> list[str]:
    """Each import that crosses the wing rules, as 'module (wing) imports target (wing)'."""
    broken = []
    names = set(modules)
    for name, source in modules.items():
        for target, node in _kit_imports(ast.parse(source), names, name):
            if (name, target) in DEFERRED:          # typing-only imports obey the wings too
                continue
            here, there = wing_of(name), wing_of(target)
            if there != here and there not in MAY_IMPORT[here]:
                broken.append(f"{name} ({here}) imports {target} ({there})")
    return sorted(broken)


def drawing_breaks(modules: dict[str, str]) -> list[str]:
    broken = []
    for name, source in modules.items():
        if wing_of(name) in MAY_DRAW:
            continue
        for node in ast.walk(ast.parse(source)):
            found = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module] if isinstance(node, ast.ImportFrom) and node.module else []
            broken += [f"{name} imports {m}" for m in found if m.split(".")[0] in DRAWING]
    return sorted(broken)


def test_every_module_sits_in_a_known_wing():
    unknown = {n for n in _modules() if wing_of(n) not in MAY_IMPORT}
    assert not unknown, f"modules outside the wing map (add the folder to MAY_IMPORT and docs/architecture.md): {unknown}"


def test_wings_import_one_way():
    modules = {name: path.read_text() for name, path in _modules().items()}
    broken = wing_breaks(modules)
    assert not broken, "imports against the wing rules (docs/architecture.md):\n" + "\n".join(broken)


def test_nothing_below_show_draws():
    modules = {name: path.read_text() for name, path in _modules().items()}
    broken = drawing_breaks(modules)
    assert not broken, "drawing below show/:\n" + "\n".join(broken)


def test_the_wing_rules_catch_a_break():
    """The checks above must be able to fail: a made-up package that breaks each rule once."""
    modules = {
        "affinekit.errors": "",
        "affinekit.data.reader": "from affinekit.training import loop\n",        # data knows of training
        "affinekit.evaluation.folds": "from affinekit.training.loop import Trainer\n",  # evaluation trains
        "affinekit.generate.clip": "from affinekit.errors import AffinekitError\n",   # allowed
        "affinekit.weights.export": "from affinekit.training.loop import x\n",    # weights above the loop
        "affinekit.training.loop": "import matplotlib.pyplot as plt\n",            # the loop draws
        "affinekit.training": "",
        "affinekit.show.board": "import matplotlib\nfrom affinekit.training.loop import x\n",  # allowed
        # the three other ways to import: each breaks a rule once
        "affinekit.data.plain": "import affinekit.training.loop\n",
        "affinekit.data.relative": "from ..training import loop\n",
        "affinekit.models.dynamic": "import importlib\nloop = importlib.import_module('affinekit.training.loop')\n",
        "affinekit.data.typed": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                                "    from affinekit.training.loop import Trainer\n",
    }
    assert wing_breaks(modules) == [
        "affinekit.data.plain (data) imports affinekit.training.loop (training)",
        "affinekit.data.reader (data) imports affinekit.training.loop (training)",
        "affinekit.data.relative (data) imports affinekit.training.loop (training)",
        "affinekit.data.typed (data) imports affinekit.training.loop (training)",
        "affinekit.evaluation.folds (evaluation) imports affinekit.training.loop (training)",
        "affinekit.models.dynamic (models) imports affinekit.training.loop (training)",
        "affinekit.weights.export (weights) imports affinekit.training.loop (training)",
    ]
    assert drawing_breaks(modules) == ["affinekit.training.loop imports matplotlib.pyplot"]
    assert wing_of("affinekit.seeds") == "base" and wing_of("affinekit.cli") == "commands"
    assert wing_of("affinekit.io") == "io" and wing_of("affinekit") == "base"


def test_the_wing_map_has_no_cycle():
    """The rules themselves go one way: following MAY_IMPORT from any wing never comes back to it, so
    imports that keep the rules cannot make a cycle between wings."""
    def above(wing: str, seen: frozenset[str]) -> None:
        for lower in MAY_IMPORT[wing] - {wing}:
            assert lower not in seen, f"the wing map goes round: {' -> '.join(seen)} -> {lower}"
            above(lower, seen | {lower})

    for wing in MAY_IMPORT:
        above(wing, frozenset({wing}))

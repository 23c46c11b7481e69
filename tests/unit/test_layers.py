"""Every import points down: cli -> orchestration -> the steps (retail.*, generators) -> the base.

Read from the source with `ast` (nothing is imported), so a new upward import fails here, with
the file and line, before it makes a cycle. Also: no module of the platform writes os.environ
(settings travel as a value; `Settings.to_env()` maps them to variables for child processes).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The bottom modules of retail/ the generators may use (they know nothing of the warehouse):
# error types, progress bars, the staged-folder swap.
GENERATOR_MAY_USE = {"retail.errors", "retail.progress", "retail.fsutil"}
ENV_WRITERS = {"update", "pop", "setdefault", "clear", "popitem", "__setitem__", "__delitem__"}


def _modules(package: str) -> Iterator[tuple[Path, ast.Module]]:
    for path in sorted((ROOT / package).rglob("*.py")):
        yield path, ast.parse(path.read_text(), filename=str(path))


def imports(path: Path, tree: ast.Module) -> Iterator[tuple[int, str]]:
    """(line, absolute module name) of every import in the module, at any depth."""
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            yield node.lineno, module
            for alias in node.names:  # `from retail import commands` imports retail.commands
                yield node.lineno, f"{module}.{alias.name}"


def _is_environ(node: ast.AST) -> bool:
    """`os.environ` or a bare `environ` (from os import environ)."""
    return (isinstance(node, ast.Attribute) and node.attr == "environ"
            and isinstance(node.value, ast.Name) and node.value.id == "os") or (
        isinstance(node, ast.Name) and node.id == "environ")


def environ_writes(tree: ast.Module) -> list[int]:
    """Lines that change this process's environment."""
    lines = []
    for node in ast.walk(tree):
        targets: list[ast.AST] = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            targets = [node.target]
        elif isinstance(node, ast.Delete):
            targets = node.targets
        if any(isinstance(t, ast.Subscript) and _is_environ(t.value) for t in targets):
            lines.append(node.lineno)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            func = node.func
            if func.attr in ENV_WRITERS and _is_environ(func.value):
                lines.append(node.lineno)
            if (func.attr in ("putenv", "unsetenv") and isinstance(func.value, ast.Name)
                    and func.value.id == "os"):
                lines.append(node.lineno)
    return lines


def _violations(packages: tuple[str, ...], allowed) -> list[str]:  # noqa: ANN001
    found = []
    for package in packages:
        for path, tree in _modules(package):
            for line, module in imports(path, tree):
                top = module.split(".")[0]
                if top in ("cli", "retail", "orchestration", "generators") and not allowed(
                        package, module):
                    found.append(f"{path.relative_to(ROOT)}:{line}: imports {module}")
    return found


def test_nothing_below_the_command_line_imports_it() -> None:
    assert _violations(("retail", "orchestration", "generators"),
                       lambda _, module: module.split(".")[0] != "cli") == []


def test_retail_never_imports_the_orchestration() -> None:
    assert _violations(("retail",), lambda _, module: module.split(".")[0] in ("retail",
                                                                               "generators")) == []


def test_generators_import_only_the_bottom_of_retail() -> None:
    def allowed(_: str, module: str) -> bool:
        return module.split(".")[0] == "generators" or module in GENERATOR_MAY_USE or any(
            module.startswith(f"{bottom}.") for bottom in GENERATOR_MAY_USE)

    assert _violations(("generators",), allowed) == []


# Functions that run in a process of their own standing in for another program, where setting
# that program's environment is what `Popen(env=...)` does: the dbt fork server's child takes
# the environment of the `retail-dbt` client it replaces.
OWN_PROCESS_ENVIRONMENT = {("orchestration/dbt_forkserver.py", "_run_dbt")}


def _exempt_lines(path: Path, tree: ast.Module) -> set[int]:
    name = str(path.relative_to(ROOT))
    return {line for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)
            and (name, node.name) in OWN_PROCESS_ENVIRONMENT
            for line in range(node.lineno, (node.end_lineno or node.lineno) + 1)}


def test_no_module_of_the_platform_writes_the_environment() -> None:
    writes = [f"{path.relative_to(ROOT)}:{line}"
              for package in ("retail", "orchestration", "cli")
              for path, tree in _modules(package) for line in environ_writes(tree)
              if line not in _exempt_lines(path, tree)]
    assert writes == []


def test_the_exempt_functions_exist_and_write_the_environment() -> None:
    """The exemption names real functions that do write it (else it would hide nothing)."""
    for name, function in OWN_PROCESS_ENVIRONMENT:
        tree = ast.parse((ROOT / name).read_text())
        assert set(environ_writes(tree)) & _exempt_lines(ROOT / name, tree), (name, function)


def test_the_checks_see_what_they_forbid() -> None:
    """The detectors on hand-written sources: each forbidden shape is found, reading is not."""
    writes = ast.parse("import os\nos.environ['A'] = '1'\nos.environ.update(B='2')\n"
                       "os.environ.pop('C')\nos.putenv('D', '4')\ndel os.environ['E']\n"
                       "x = os.environ.get('F')\ny = dict(os.environ)\n")
    assert sorted(environ_writes(writes)) == [2, 3, 4, 5, 6]
    fake = ROOT / "retail" / "fake.py"
    found = set(imports(fake, ast.parse(
        "from cli.main import main\nimport orchestration.runner\nfrom . import settings\n")))
    assert {(1, "cli.main"), (2, "orchestration.runner"), (3, "retail.settings")} <= found

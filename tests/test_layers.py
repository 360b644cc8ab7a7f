"""The layering rules of docs/architecture.md hold in the code."""

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / 'netbox_kea_ha'
KEA = PACKAGE / 'kea'


def _module_name(path):
    parts = list(path.relative_to(PACKAGE.parent).with_suffix('').parts)
    if parts[-1] == '__init__':
        parts.pop()
    return '.'.join(parts)


def _modules(root):
    """Every module under `root` (subpackages included), by dotted name."""
    return sorted(_module_name(p) for p in root.rglob('*.py') if 'migrations' not in p.parts)


def test_kea_package_imports_without_django_or_netbox():
    """Every module of netbox_kea_ha/kea/, subpackages included, imports in a fresh interpreter where Django and
    NetBox cannot load."""
    modules = _modules(KEA)
    assert 'netbox_kea_ha.kea.rollout.procedure' in modules
    code = (
        'import sys\n'
        "for blocked in ('django', 'netbox', 'rest_framework', 'strawberry'):\n"
        '    sys.modules[blocked] = None\n'
        f'for name in {modules!r}:\n'
        '    __import__(name)\n'
        "assert 'django' not in {m.split('.')[0] for m, v in sys.modules.items() if v is not None}\n"
    )
    result = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, cwd=PACKAGE.parent)
    assert result.returncode == 0, result.stderr


def test_cli_imports_without_django_or_netbox():
    """The `kea-ha` command (netbox_kea_ha/cli/) runs anywhere: every module of it imports in a fresh interpreter where
    Django and NetBox cannot load, and it uses no other part of the plugin than its own modules."""
    cli = PACKAGE / 'cli'
    modules = _modules(cli)
    assert 'netbox_kea_ha.cli.register' in modules
    code = (
        'import sys\n'
        "for blocked in ('django', 'netbox', 'rest_framework', 'strawberry', 'core', 'dcim', 'ipam', 'users'):\n"
        '    sys.modules[blocked] = None\n'
        f'for name in {modules!r}:\n'
        '    __import__(name)\n'
        'from netbox_kea_ha.cli.main import build_parser\n'
        'build_parser()\n'
        "assert 'django' not in {m.split('.')[0] for m, v in sys.modules.items() if v is not None}\n"
    )
    result = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, cwd=PACKAGE.parent)
    assert result.returncode == 0, result.stderr
    graph = _graph()
    outside = sorted(f'{m} -> {t}' for m in graph if _layer(m) == 'cli' for t in graph[m] if _layer(t) != 'cli')
    assert not outside, f'the kea-ha command imports the plugin: {outside}'


def _imports(path, name):
    """The plugin's modules that `name` (at `path`) imports anywhere: at the top, inside functions, or under
    TYPE_CHECKING-free conditions (TYPE_CHECKING blocks are left out: they never run)."""
    tree = ast.parse(path.read_text())
    package = name if path.name == '__init__.py' else name.rsplit('.', 1)[0]
    skipped = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and 'TYPE_CHECKING' in ast.unparse(node.test):
            skipped.update(id(child) for child in ast.walk(node))
    found = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split('.')
                base = base[: len(base) - (node.level - 1)]
                target = '.'.join([*base, node.module] if node.module else base)
            else:
                target = node.module or ''
            found.add(target)
            found.update(f'{target}.{alias.name}' for alias in node.names)
    return {m for m in found if m.startswith('netbox_kea_ha')}


def _graph():
    paths = {_module_name(p): p for p in PACKAGE.rglob('*.py') if 'migrations' not in p.parts}
    graph = {}
    for name, path in paths.items():
        graph[name] = {m for m in _imports(path, name) if m in paths and m != name}
    return graph


def _layer(module):
    parts = module.split('.')
    return parts[1] if len(parts) > 1 else parts[0]


def test_models_and_services_do_not_import_each_other_in_a_circle():
    """
    No import cycle between the plugin's layers, counting imports made inside functions too (a cycle hidden in
    function-level imports is still a cycle): the NetBox layer (models) may use services, services may use kea, and
    no service module that the models use imports the models back, even inside a function.
    """
    graph = _graph()
    # What the models reach: the services they use must never lead back to the models.
    reached, todo = set(), [m for m in graph if _layer(m) == 'models']
    while todo:
        module = todo.pop()
        for target in graph[module]:
            if target not in reached:
                reached.add(target)
                todo.append(target)
    back = sorted(m for m in reached if _layer(m) == 'services' and any(_layer(t) == 'models' for t in graph[m]))
    assert not back, f'services the models use import the models back: {back}'
    kea = sorted(f'{m} -> {t}' for m in graph if _layer(m) == 'kea' for t in graph[m] if _layer(t) != 'kea')
    assert not kea, f'the kea package imports the NetBox layer: {kea}'


def test_the_import_graph_has_no_cycle():
    """Module by module, with function-level imports counted, the plugin's import graph is acyclic (package
    `__init__` modules that only re-export their own modules aside)."""
    graph = _graph()
    state, path, cycles = {}, [], []

    def visit(module):
        state[module] = 'open'
        path.append(module)
        for target in sorted(graph[module]):
            if target.startswith(module + '.'):  # a package importing its own modules
                continue
            if state.get(target) == 'open':
                cycles.append(' -> '.join([*path[path.index(target) :], target]))
            elif target not in state:
                visit(target)
        path.pop()
        state[module] = 'done'

    for module in sorted(graph):
        if module not in state:
            visit(module)
    assert not cycles, 'import cycles:\n' + '\n'.join(cycles)

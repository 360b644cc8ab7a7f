"""The layering rules of docs/architecture.md hold in the code."""

import subprocess
import sys
from pathlib import Path

KEA = Path(__file__).resolve().parents[1] / 'netbox_kea_ha' / 'kea'


def test_kea_package_imports_without_django_or_netbox():
    """Every module of netbox_kea_ha/kea/ imports in a fresh interpreter where Django and NetBox cannot load."""
    modules = sorted(f'netbox_kea_ha.kea.{p.stem}' for p in KEA.glob('*.py') if p.stem != '__init__')
    code = (
        'import sys\n'
        "for blocked in ('django', 'netbox', 'rest_framework', 'strawberry'):\n"
        '    sys.modules[blocked] = None\n'
        f'for name in {modules!r}:\n'
        '    __import__(name)\n'
        "assert 'django' not in {m.split('.')[0] for m, v in sys.modules.items() if v is not None}\n"
    )
    result = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, cwd=KEA.parents[1])
    assert result.returncode == 0, result.stderr
    assert modules, 'no kea modules found'

"""The shipped templates travel inside the wheel (pyproject's hatch force-include maps templates/ to
netbox_kea_ha/kea_templates) and are found there by an installed package."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TEMPLATES = sorted(p.name for p in (REPO / 'templates').glob('*.j2'))


def test_wheel_ships_and_finds_the_templates(tmp_path: Path) -> None:
    """Build the wheel, unpack it elsewhere, import the package from there: it renders with the wheel's copy."""
    subprocess.run(
        [sys.executable, '-m', 'pip', 'wheel', '--no-deps', '-q', '-w', str(tmp_path / 'dist'), str(REPO)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = (tmp_path / 'dist').glob('netbox_kea_ha-*.whl')
    with zipfile.ZipFile(wheel) as archive:
        shipped = sorted(
            n.rsplit('/', 1)[-1] for n in archive.namelist() if n.startswith('netbox_kea_ha/kea_templates/')
        )
        assert shipped == TEMPLATES
        for name in TEMPLATES:
            assert archive.read(f'netbox_kea_ha/kea_templates/{name}') == (REPO / 'templates' / name).read_bytes()
        archive.extractall(tmp_path / 'site')
    code = (
        'import json\n'
        'import netbox_kea_ha.kea.render as r\n'
        'from netbox_kea_ha.kea.ha import Peer, Relationship\n'
        "rel = Relationship('server1', 'hot-standby', (Peer('server1', 'http://127.0.0.1:8000/', 'primary'),"
        " Peer('server2', 'http://127.0.0.2:8000/', 'standby')))\n"
        "out = r.render_hooks_libraries(r.RenderContext('server1', '/usr/lib/kea/hooks', 'dhcp4', (rel,)))\n"
        "print(json.dumps({'module': r.__file__, 'dir': str(r.shipped_template_dir()), 'out': out}))\n"
    )
    result = subprocess.run(
        [sys.executable, '-c', code],
        cwd=tmp_path,
        # Only the unpacked wheel on the path; the loader's path is kept for Pythons built with a shared libpython.
        env={'PYTHONPATH': str(tmp_path / 'site'), 'PATH': '/usr/bin:/bin'}
        | {k: v for k, v in os.environ.items() if k == 'LD_LIBRARY_PATH'},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    site = tmp_path / 'site' / 'netbox_kea_ha'
    assert data['module'] == str(site / 'kea' / 'render.py')
    assert data['dir'] == str(site / 'kea_templates')
    assert [entry['library'] for entry in data['out']] == [
        '/usr/lib/kea/hooks/libdhcp_lease_cmds.so',
        '/usr/lib/kea/hooks/libdhcp_ha.so',
    ]

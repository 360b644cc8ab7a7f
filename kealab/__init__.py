"""Real Kea processes (kea-dhcp4/6 + kea-ctrl-agent) on 127.0.0.0/8 for the tests, the demo and the benchmarks.

Not shipped in the wheel. See `KeaLab` for the API and `python -m kealab --help` for the CLI.
"""

from .lab import MODES, KeaInstall, KeaLab
from .processes import KeaProcess, LabError
from .server import KeaServer, ServerPaths
from .tls import CertificateAuthority, TLSFiles

__all__ = (
    'MODES',
    'CertificateAuthority',
    'KeaInstall',
    'KeaLab',
    'KeaProcess',
    'KeaServer',
    'LabError',
    'ServerPaths',
    'TLSFiles',
)

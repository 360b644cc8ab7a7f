"""Real Kea processes (kea-dhcp4/6 + kea-ctrl-agent) on 127.0.0.0/8 for the tests, the demo and the benchmarks.

Not shipped in the wheel. See `KeaLab` for the API and `python -m kealab --help` for the CLI. `NetnsDhcpLab`
(`kealab.netns`, root only) runs a load-balancing pair under real DHCP traffic in network namespaces of its own.
"""

from .configs import COMMANDS_HOOKS
from .dhcpload import Measurement
from .lab import MODES, KeaLab
from .netns import NetnsDhcpLab
from .processes import KeaProcess, LabError
from .runtime import KEA_VERSIONS, KeaRuntime
from .server import LabServer, ServerPaths
from .tls import CertificateAuthority, TLSFiles

__all__ = (
    'COMMANDS_HOOKS',
    'KEA_VERSIONS',
    'MODES',
    'CertificateAuthority',
    'KeaLab',
    'KeaProcess',
    'KeaRuntime',
    'LabError',
    'LabServer',
    'Measurement',
    'NetnsDhcpLab',
    'ServerPaths',
    'TLSFiles',
)

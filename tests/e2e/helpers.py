"""Helpers of the end-to-end suite: NetBox objects for kealab servers, job logs, and Kea's own view of a server."""

from dcim.models import Device, DeviceRole, DeviceType, Interface, Manufacturer, Site
from ipam.models import IPAddress
from tests.netbox.base import grant
from virtualization.models import VirtualMachine, VMInterface

from netbox_kea_ha.models import KeaServer

__all__ = (
    'Listener',
    'NetBoxLab',
    'commands_received',
    'grant',
    'ha_block',
    'imported',
    'job_text',
    'lab_name',
    'running_config',
)


class Listener:
    """
    An HTTP server on 127.0.0.1 (a port of its own) that stands where an attacker would: it records every request
    (request line, headers and body, as text) and answers like a Kea that refuses the command. A context manager.
    """

    def __init__(self):
        import http.server
        import threading

        received = self.received = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - the name http.server calls
                length = int(self.headers.get('Content-Length') or 0)
                body = self.rfile.read(length).decode(errors='replace')
                received.append(f'{self.requestline}\n{self.headers}\n{body}')
                answer = b'[{"result": 1, "text": "refused"}]'
                self.send_response(200)
                self.send_header('Content-Type', 'application/json')
                self.send_header('Content-Length', str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()

    @property
    def text(self):
        """Everything received, as one text (with any basic-auth credentials decoded)."""
        import base64
        import re

        decoded = []
        for request in self.received:
            for token in re.findall(r'Authorization: Basic (\S+)', request):
                decoded.append(base64.b64decode(token).decode(errors='replace'))
        return '\n'.join([*self.received, *decoded])


def lab_name(lab_server):
    """The NetBox name the suite gives a kealab server: server1 -> kea-1."""
    return f'kea-{lab_server.name.removeprefix("server")}'


class NetBoxLab:
    """Builds NetBox objects that stand for kealab servers: devices (or VMs) with an interface and the server's IP."""

    def __init__(self, suffix='e2e'):
        self.site = Site.objects.create(name=f'Site {suffix}', slug=f'site-{suffix}')
        maker = Manufacturer.objects.create(name=f'Maker {suffix}', slug=f'maker-{suffix}')
        self.device_type = DeviceType.objects.create(manufacturer=maker, model=f'Box {suffix}', slug=f'box-{suffix}')
        self.role = DeviceRole.objects.create(name=f'DHCP {suffix}', slug=f'dhcp-{suffix}', color='2196f3')

    def device(self, name, ip=None):
        """A device with interface eth0 carrying `ip` (a /32 IPAddress) when given; (device, address)."""
        device = Device.objects.create(name=name, site=self.site, device_type=self.device_type, role=self.role)
        address = None
        if ip is not None:
            interface = Interface.objects.create(device=device, name='eth0', type='virtual')
            address = IPAddress.objects.create(address=f'{ip}/32', assigned_object=interface)
        return device, address

    def vm(self, name, ip):
        """A virtual machine with interface eth0 carrying `ip`; (vm, address)."""
        from virtualization.models import Cluster, ClusterType

        cluster_type, _ = ClusterType.objects.get_or_create(name='E2E', slug='e2e')
        cluster, _ = Cluster.objects.get_or_create(name='E2E cluster', type=cluster_type)
        vm = VirtualMachine.objects.create(name=name, cluster=cluster, site=self.site)
        interface = VMInterface.objects.create(virtual_machine=vm, name='eth0')
        address = IPAddress.objects.create(address=f'{ip}/32', assigned_object=interface)
        return vm, address

    def server(self, lab_server, name=None, host='device', **fields):
        """A KeaServer for a kealab server, on a new device (or `host='vm'`, or `host=None`: a bare address)."""
        name = name or lab_name(lab_server)
        if host == 'device':
            device, address = self.device(name, lab_server.address)
            fields.setdefault('device', device)
        elif host == 'vm':
            vm, address = self.vm(name, lab_server.address)
            fields.setdefault('virtual_machine', vm)
        else:
            address = IPAddress.objects.create(address=f'{lab_server.address}/32')
        fields.setdefault('control_port', lab_server.port)
        fields.setdefault('family', f'dhcp{lab_server.family}')
        password = None
        if lab_server.credentials:
            fields.setdefault('username', lab_server.credentials[0])
            password = lab_server.credentials[1]
        server = KeaServer(name=name, address=address, **fields)
        if password:
            server.set_password(password)
        server.full_clean()
        server.save()
        return server


def job_text(job):
    """Everything a job shows: its log messages, its data and its error, as one text."""
    import json

    lines = [str(entry.get('message', '')) for entry in job.log_entries or []]
    return '\n'.join([*lines, json.dumps(job.data, default=str), job.error or ''])


def running_config(lab_server):
    """The config a kealab server runs now, read by the lab's own client (not the plugin's)."""
    answer = lab_server.command('config-get')
    assert answer['result'] == 0, answer
    return answer['arguments']


def ha_block(config):
    """The HA relationship entry of a config (its first one)."""
    root = next(iter(k for k in config if k in ('Dhcp4', 'Dhcp6')))
    for hook in config[root].get('hooks-libraries', []):
        if hook.get('library', '').endswith('libdhcp_ha.so'):
            return hook['parameters']['high-availability'][0]
    return None


def commands_received(lab_server, command):
    """How many times the lab server's kea-dhcp logged receiving `command` (Kea logs every command at INFO)."""
    marker = f"Received command '{command}'"
    return sum(marker in line for line in lab_server.log_lines())


def imported(netbox, run_jobs, lab):
    """NetBox knows the primary (and the second server's device); import it. `{peer name: KeaServer}`."""
    from core.choices import JobStatusChoices

    from netbox_kea_ha.jobs import ImportServerJob
    from netbox_kea_ha.models import HAPeer

    primary = netbox.server(lab[0])
    netbox.device(lab_name(lab[1]), lab[1].address)
    job, _ = run_jobs(lambda: ImportServerJob.enqueue(instance=primary))
    assert job.status == JobStatusChoices.STATUS_COMPLETED, job_text(job)
    return {p.effective_name: p.server for p in HAPeer.objects.select_related('server')}

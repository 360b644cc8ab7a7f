"""
Demo objects for `make demo`, run with `manage.py shell`. Idempotent: a second run changes nothing.

A site, two devices with interfaces and IP addresses (the primary's and the secondary's), an admin user with an
API token, and only the primary Kea server: importing it (scripts/demo.sh does) brings in the relationship, the
peers, the secondary (matched to kea-2 by its address) and the backup (an address NetBox does not know: it is
created and the server is flagged as unassigned).
"""

import os
from pathlib import Path

from dcim.models import Device, DeviceRole, DeviceType, Interface, Manufacturer, Site
from ipam.models import IPAddress
from users.models import Token, User

from netbox_kea_ha.models import KeaServer

work = Path(os.environ['KEA_HA_DEMO_DIR'])
addresses = os.environ['KEA_HA_DEMO_ADDRESSES'].split()

site, _ = Site.objects.get_or_create(name='Demo DC', defaults={'slug': 'demo-dc'})
maker, _ = Manufacturer.objects.get_or_create(name='Generic', defaults={'slug': 'generic'})
model, _ = DeviceType.objects.get_or_create(
    manufacturer=maker, model='DHCP appliance', defaults={'slug': 'dhcp-appliance'}
)
role, _ = DeviceRole.objects.get_or_create(name='DHCP server', defaults={'slug': 'dhcp-server', 'color': '2196f3'})

devices = []
for index, address in enumerate(addresses[:2], start=1):
    device, _ = Device.objects.get_or_create(
        name=f'kea-{index}', site=site, defaults={'device_type': model, 'role': role}
    )
    interface, _ = Interface.objects.get_or_create(device=device, name='eth0', defaults={'type': 'virtual'})
    ip = IPAddress.objects.filter(address=f'{address}/32').first()
    if ip is None:
        ip = IPAddress(address=f'{address}/32', assigned_object=interface, description='Kea HA demo')
        ip.full_clean()
        ip.save()
    if device.primary_ip4_id != ip.pk:
        device.snapshot()
        device.primary_ip4 = ip
        device.save()
    devices.append((device, ip))

primary_device, primary_ip = devices[0]
if not KeaServer.objects.filter(name='kea-1').exists():
    server = KeaServer(name='kea-1', device=primary_device, address=primary_ip, server_tag='server1')
    server.full_clean()
    server.save()

admin = User.objects.filter(username='admin').first()
if admin is None:
    admin = User.objects.create_superuser('admin', 'admin@example.invalid', 'admin')

token_file = work / 'api-token'
token = None
if token_file.exists():
    key, _, secret = token_file.read_text().strip().removeprefix('nbt_').partition('.')
    token = Token.objects.filter(key=key, user=admin).first()
if token is None:
    token = Token(user=admin, description='netbox-kea-ha demo')
    token.token = Token.generate()
    token.save()
    token_file.touch(mode=0o600)
    token_file.write_text(f'nbt_{token.key}.{token.token}\n')
print('demo objects ready')

"""kea.rollout.runtime_plan: which differences Kea takes while it runs, with which commands, and what needs a reload."""

from __future__ import annotations

import copy
from typing import Any

from netbox_kea_ha.kea.rollout.runtime import RuntimePlan, runtime_plan

ALL = ['subnet4-add', 'subnet4-update', 'subnet4-del', 'class-add', 'class-update', 'class-del', 'reservation-add',
       'reservation-del']  # fmt: skip


def config(**changes: Any) -> dict[str, Any]:
    inner = {
        'valid-lifetime': 3600,
        'subnet4': [{'id': 1, 'subnet': '192.0.2.0/24', 'pools': [{'pool': '192.0.2.10 - 192.0.2.99'}]}],
        'client-classes': [{'name': 'a', 'test': "option[60].hex == 'a'"}, {'name': 'b', 'test': "member('a')"}],
    }
    inner.update(changes)
    return {'Dhcp4': inner}


def plan(old: dict[str, Any], new: dict[str, Any], available: list[str] | None = ALL) -> RuntimePlan | str:
    return runtime_plan(old, new, None, available)


def test_subnets_by_id_with_their_undo() -> None:
    old = config()
    new = copy.deepcopy(old)
    subnets = new['Dhcp4']['subnet4']
    subnets[0]['pools'] = [{'pool': '192.0.2.10 - 192.0.2.199'}]
    subnets.append({'id': 2, 'subnet': '198.51.100.0/24', 'reservations': [{'hw-address': 'AA:BB:CC:00:00:01',
                    'ip-address': '198.51.100.5'}]})  # fmt: skip
    result = plan(old, new)
    assert isinstance(result, RuntimePlan)
    assert [(c.name, c.what) for c in result.commands] == [
        ('subnet4-add', 'subnet 198.51.100.0/24 (id 2) added'),
        ('reservation-add', 'reservation hw-address aa:bb:cc:00:00:01 of subnet 198.51.100.0/24 (id 2) added'),
        ('subnet4-update', 'subnet 192.0.2.0/24 (id 1) changed'),
    ]
    add, reservation, update = result.commands
    assert 'reservations' not in add.arguments['subnet4'][0]  # subnet_cmds ignore them: host_cmds add them
    assert (
        reservation.arguments['operation-target'] == 'memory' and reservation.arguments['reservation']['subnet-id'] == 2
    )
    assert add.undo == ('subnet4-del', {'id': 2})
    assert update.undo == ('subnet4-update', {'subnet4': [old['Dhcp4']['subnet4'][0]]})
    removed = plan(new, old)
    assert isinstance(removed, RuntimePlan)
    assert [c.name for c in removed.commands] == ['reservation-del', 'subnet4-del', 'subnet4-update']


def test_what_is_the_same_once_normalised_needs_nothing() -> None:
    old = config()
    spelled = copy.deepcopy(old)
    spelled['Dhcp4']['subnet4'][0]['pools'] = [{'pool': '192.0.2.10-192.0.2.99'}]  # Kea's other spelling
    spelled['Dhcp4']['subnet4'][0]['valid-lifetime'] = 3600  # inherited anyway
    spelled['Dhcp4']['subnet4'].append({'id': 9, 'subnet': '203.0.113.0/24'})
    result = plan(old, spelled)
    assert isinstance(result, RuntimePlan)
    assert [c.name for c in result.commands] == ['subnet4-add']


def test_classes_keep_their_order() -> None:
    old = config()
    appended = copy.deepcopy(old)
    appended['Dhcp4']['client-classes'].append({'name': 'c', 'test': "member('b')"})
    appended['Dhcp4']['client-classes'][0]['test'] = "option[60].hex == 'z'"
    result = plan(old, appended)
    assert isinstance(result, RuntimePlan) and [c.name for c in result.commands] == ['class-update', 'class-add']
    inserted = copy.deepcopy(old)
    inserted['Dhcp4']['client-classes'].insert(0, {'name': 'c', 'test': "member('b')"})
    assert plan(old, inserted) == 'a client class is added before others (class-add can only append)'
    swapped = copy.deepcopy(old)
    swapped['Dhcp4']['client-classes'].reverse()
    assert plan(old, swapped) == 'the order of the client classes changes (Kea evaluates them in order)'


def test_what_needs_a_reload_says_why() -> None:
    old = config()
    assert plan(old, config(**{'valid-lifetime': 7200})) == 'valid-lifetime changes: no runtime command covers it'
    no_id = config(subnet4=[{'subnet': '192.0.2.0/24'}])
    assert plan(no_id, config()) == 'a subnet of subnet4 has no id'
    grown = copy.deepcopy(old)
    grown['Dhcp4']['subnet4'].append({'id': 2, 'subnet': '198.51.100.0/24'})
    assert plan(old, grown, available=['list-commands']) == (
        'the server lacks subnet4-add (load the subnet_cmds, class_cmds and host_cmds hooks)'
    )
    assert plan(old, config()) == 'the configs differ in a way no runtime command covers'


def test_global_reservations_and_dhcp6() -> None:
    old = {'Dhcp6': {'subnet6': [{'id': 1, 'subnet': '2001:db8::/64'}], 'reservations': []}}
    new = copy.deepcopy(old)
    new['Dhcp6']['reservations'] = [{'duid': '01:02:03', 'ip-addresses': ['2001:db8::5']}]
    new['Dhcp6']['subnet6'].append({'id': 2, 'subnet': '2001:db8:1::/64'})
    result = plan(old, new, available=['subnet6-add', 'reservation-add'])
    assert isinstance(result, RuntimePlan)
    assert [(c.name, c.arguments.get('reservation', {}).get('subnet-id')) for c in result.commands] == [
        ('subnet6-add', None),
        ('reservation-add', 0),
    ]

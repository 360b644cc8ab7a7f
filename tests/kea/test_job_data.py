"""A rollout's report as NetBox job data: nothing in it that pynetbox takes for a link to a NetBox object."""

import json

import pynetbox
from pynetbox.core.response import Record

from netbox_kea_ha.kea.diff import diff_configs
from netbox_kea_ha.kea.rollout import PeerOutcome, PeerReport, RolloutReport


def _config(peers):
    ha = {'this-server-name': 'server1', 'mode': 'load-balancing', 'peers': peers}
    hook = {'library': '/usr/lib/x86_64-linux-gnu/kea/hooks/libdhcp_ha.so', 'parameters': {'high-availability': [ha]}}
    return {'Dhcp4': {'hooks-libraries': [hook]}}


def _url_keys(value, where='data'):
    found = []
    if isinstance(value, dict):
        found += [where] if 'url' in value else []
        for key, item in value.items():
            found += _url_keys(item, f'{where}.{key}')
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _url_keys(item, f'{where}[{index}]')
    return found


def test_a_report_with_kea_urls_reads_back_through_pynetbox():
    """A peer added to a relationship is a change whose new value holds Kea's own `url`: in job data it is JSON text,
    and the peer's own Kea URL is `control_url`."""
    one = [{'name': 'server1', 'url': 'http://127.0.0.1:8001/', 'role': 'primary'}]
    two = [*one, {'name': 'server2', 'url': 'http://127.0.0.1:8002/', 'role': 'secondary'}]
    peer = PeerReport('server1', 'http://127.0.0.1:8001/', role='primary', outcome=PeerOutcome.PUSHED)
    peer.changes = tuple(diff_configs(_config(one), _config(two)))
    assert any(isinstance(change.new, dict) and 'url' in change.new for change in peer.changes)

    data = json.loads(json.dumps(RolloutReport(peers=[peer]).as_dict()))

    assert _url_keys(data) == []
    shown = data['peers'][0]
    assert shown['control_url'] == 'http://127.0.0.1:8001/'
    added = next(change for change in shown['changes'] if change['kind'] == 'added')
    assert json.loads(added['new'])['url'] == 'http://127.0.0.1:8002/'
    api = pynetbox.api('http://127.0.0.1:1')  # nothing is requested
    job = Record({'id': 1, 'url': 'http://127.0.0.1:1/api/core/jobs/1/', 'data': data}, api, None)
    assert dict(job)['data'] == data
    assert job.data.peers[0].control_url == 'http://127.0.0.1:8001/'

"""Rendering `hooks-libraries` from the Jinja2 templates: golden files for every mode and feature, the seed's
example, user overrides, bad templates and bad contexts.

Golden files live in tests/golden/<case>.json (the parsed, rendered list, indented). To regenerate them after a
deliberate change: `UPDATE_GOLDEN=1 pytest tests/kea/test_render.py`, then review the diff and commit it.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from netbox_kea_ha.kea.ha import HA_PARAMETERS, KeaVersion, Peer, Relationship
from netbox_kea_ha.kea.redact import REDACTED, redact_secrets
from netbox_kea_ha.kea.render import (
    TOP_TEMPLATE,
    RenderContext,
    RenderError,
    render_hooks_block,
    render_hooks_libraries,
    shipped_template_dir,
    template_context,
    template_search_path,
)
from netbox_kea_ha.kea.validate import errors, validate_hooks_libraries, warnings

GOLDEN = Path(__file__).resolve().parents[1] / 'golden'
REPO = Path(__file__).resolve().parents[2]
SEED = Path('/work/shared/seed/micetro-kea-ha.txt')
HOOKS = '/usr/lib/x86_64-linux-gnu/kea/hooks'
V22, V26, V30 = KeaVersion(2, 2, 0), KeaVersion(2, 6, 3), KeaVersion(3, 0, 3)
TIMERS = {'heartbeat-delay': 1000, 'max-response-delay': 3000, 'max-ack-delay': 2000, 'max-unacked-clients': 0}


def p(name: str, role: str, url: str, **more: Any) -> Peer:
    """A peer; `more` by attribute name (auto_failover=..., basic_auth_user=...)."""
    return Peer(name, url, role, **more)


def lb_peers(backup: bool = False) -> tuple[Peer, ...]:
    peers = [
        p('server1', 'primary', 'http://127.0.0.33:8000/', auto_failover=True),
        p('server2', 'secondary', 'http://127.0.0.66:8000/', auto_failover=True),
    ]
    if backup:
        peers.append(p('server3', 'backup', 'http://127.0.0.99:8000/', auto_failover=False))
    return tuple(peers)


def ctx(
    rels: tuple[Relationship, ...], *, version: KeaVersion | None = V22, hooks_dir: str = HOOKS, **more: Any
) -> RenderContext:
    return RenderContext(
        server_tag=rels[0].this_server_name, hooks_dir=hooks_dir, family=more.pop('family', 'dhcp4'),
        relationships=rels, kea_version=version, **more,
    )  # fmt: skip


def _all_parameters() -> Relationship:
    values: dict[str, Any] = {
        'heartbeat-delay': 2000, 'max-response-delay': 8000, 'max-ack-delay': 5000, 'max-unacked-clients': 5,
        'max-rejected-lease-updates': 20, 'delayed-updates-limit': 50, 'send-lease-updates': True,
        'sync-leases': True, 'sync-timeout': 30000, 'sync-page-limit': 5000, 'wait-backup-ack': False,
        'require-client-certs': True, 'restrict-commands': True, 'trust-anchor': '/etc/kea/tls/ca.pem',
        'cert-file': '/etc/kea/tls/server.pem', 'key-file': '/etc/kea/tls/server.key',
        'multi-threading.enable-multi-threading': True, 'multi-threading.http-dedicated-listener': True,
        'multi-threading.http-listener-threads': 4, 'multi-threading.http-client-threads': 4,
    }  # fmt: skip
    assert set(values) == {param.key for param in HA_PARAMETERS}, 'every parameter, once'
    peers = (
        p('server1', 'primary', 'https://127.0.0.33:8001/'),
        p('server2', 'secondary', 'https://127.0.0.66:8001/'),
    )
    return Relationship('server1', 'load-balancing', peers, dict(reversed(values.items())))


#: case name -> (context, template dirs); the golden file is tests/golden/<case>.json
CASES: dict[str, Callable[[], RenderContext]] = {
    'load-balancing-pair': lambda: ctx((Relationship('server1', 'load-balancing', lb_peers(), TIMERS),)),
    'load-balancing-backup-for-backup': lambda: ctx(
        (Relationship('server3', 'load-balancing', lb_peers(True), TIMERS),)
    ),
    'hot-standby-backup-for-standby': lambda: ctx((
        Relationship('server2', 'hot-standby', (
            p('server1', 'primary', 'http://127.0.0.33:8000/'),
            p('server2', 'standby', 'http://127.0.0.66:8000/'),
            p('server3', 'backup', 'http://127.0.0.99:8000/', auto_failover=False),
        ), TIMERS),
    )),
    'passive-backup-two-backups': lambda: ctx((
        Relationship('server1', 'passive-backup', (
            p('server1', 'primary', 'http://127.0.0.33:8000/'),
            p('server2', 'backup', 'http://127.0.0.66:8000/'),
            p('server3', 'backup', 'http://127.0.0.99:8000/'),
        ), {'wait-backup-ack': True}),
    )),
    'tls': lambda: ctx((
        Relationship('server1', 'hot-standby', (
            p('server1', 'primary', 'https://127.0.0.33:8000/'),
            p('server2', 'standby', 'https://127.0.0.66:8000/', cert_file='/etc/kea/tls/server2-client.pem',
              key_file='/etc/kea/tls/server2-client.key'),
        ), {**TIMERS, 'trust-anchor': '/etc/kea/tls/ca.pem', 'cert-file': '/etc/kea/tls/server1.pem',
            'key-file': '/etc/kea/tls/server1.key', 'require-client-certs': False}),
    )),
    'basic-auth': lambda: ctx((
        Relationship('server1', 'load-balancing', (
            p('server1', 'primary', 'http://127.0.0.33:8000/', basic_auth_user='kea-ha',
              basic_auth_password='s3cret-one'),
            p('server2', 'secondary', 'http://127.0.0.66:8000/', basic_auth_user='kea-ha',
              basic_auth_password_file='/etc/kea/ha-server2.password'),
        ), TIMERS),
    )),
    'multi-threading-dedicated-listener-26': lambda: ctx((
        Relationship('server1', 'load-balancing', (
            p('server1', 'primary', 'http://127.0.0.33:8001/'),
            p('server2', 'secondary', 'http://127.0.0.66:8001/'),
        ), {**TIMERS, 'multi-threading.enable-multi-threading': True,
            'multi-threading.http-dedicated-listener': True, 'multi-threading.http-listener-threads': 2,
            'multi-threading.http-client-threads': 2}),
    ), version=V26),
    'state-machine': lambda: ctx((
        Relationship('server1', 'load-balancing', lb_peers(), TIMERS,
                     state_machine={'states': [{'state': 'waiting', 'pause': 'once'},
                                               {'state': 'partner-down', 'pause': 'always'}]}),
    )),
    'dhcp6': lambda: ctx((
        Relationship('server2', 'load-balancing', (
            p('server1', 'primary', 'http://[2001:db8::33]:8000/'),
            p('server2', 'secondary', 'http://[2001:db8::66]:8000/'),
        ), TIMERS),
    ), family='dhcp6'),
    'hub-and-spoke-26': lambda: ctx((
        Relationship('server2', 'hot-standby', (
            p('server1', 'primary', 'http://127.0.0.11:8001/'),
            p('server2', 'standby', 'http://127.0.0.20:8001/'),
        ), TIMERS),
        Relationship('server4', 'hot-standby', (
            p('server3', 'primary', 'http://127.0.0.13:8001/'),
            p('server4', 'standby', 'http://127.0.0.20:8002/'),
        ), TIMERS),
    ), version=V26),
    'kea30-bare-library-names': lambda: ctx((
        Relationship('server1', 'load-balancing', (
            p('server1', 'primary', 'http://127.0.0.33:8000/'),
            p('server2', 'secondary', 'http://127.0.0.66:8000/'),
        ), {**TIMERS, 'multi-threading.http-dedicated-listener': False}),
    ), version=V30, hooks_dir=''),
    'without-lease-cmds': lambda: ctx(
        (Relationship('server1', 'load-balancing', lb_peers(), TIMERS),), lease_cmds=False
    ),
    'every-parameter-26': lambda: ctx((_all_parameters(),), version=V26),
    'unknown-keys-kept': lambda: ctx((
        Relationship('server1', 'load-balancing', (
            Peer('server1', 'http://127.0.0.33:8000/', 'primary', extra={'comment': 'rack 4'}),
            Peer('server2', 'http://127.0.0.66:8000/', 'secondary'),
        ), TIMERS, extra={'user-note': 'kept as imported'}),
    )),
}  # fmt: skip


def _golden(name: str, data: Any) -> None:
    path = GOLDEN / f'{name}.json'
    text = json.dumps(data, indent=2) + '\n'
    if os.environ.get('UPDATE_GOLDEN'):
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(text)
    assert path.exists(), f'no golden file {path}: run with UPDATE_GOLDEN=1 to create it'
    assert text == path.read_text(), f'{path.name} differs (UPDATE_GOLDEN=1 regenerates it after a deliberate change)'


@pytest.mark.parametrize('name', list(CASES))
def test_golden(name: str) -> None:
    """The rendered list equals its golden file, key order included, and Kea's rules find no error in it."""
    context = CASES[name]()
    rendered = render_hooks_libraries(context)
    _golden(name, rendered)
    assert errors(validate_hooks_libraries(rendered, version=context.kea_version)) == []
    # The HA entry holds exactly what was set, in to_kea() order: nothing more (Kea fills in its defaults).
    ha = rendered[-1]['parameters']['high-availability']
    assert ha == [rel.to_kea() for rel in context.relationships]
    assert [list(r) for r in ha] == [list(rel.to_kea()) for rel in context.relationships]


def test_basic_auth_password_rendered_for_pushing_and_redacted_for_display() -> None:
    """The password is in the block Kea gets; redact_secrets hides it in the one shown (its own golden file)."""
    rendered = render_hooks_libraries(CASES['basic-auth']())
    peer = rendered[1]['parameters']['high-availability'][0]['peers'][0]
    assert peer['basic-auth-password'] == 's3cret-one'
    shown = redact_secrets(rendered)
    assert 's3cret-one' not in json.dumps(shown)
    assert shown[1]['parameters']['high-availability'][0]['peers'][0]['basic-auth-password'] == REDACTED
    _golden('basic-auth-redacted', shown)
    block = render_hooks_block(CASES['basic-auth']())
    assert block.hooks_libraries == rendered
    assert 's3cret-one' not in repr(block) and REDACTED in repr(block)


def test_every_parameter_in_table_order() -> None:
    """Parameters set in any order come out in HA_PARAMETERS order, multi-threading as one map."""
    rel = render_hooks_libraries(CASES['every-parameter-26']())[1]['parameters']['high-availability'][0]
    top = [param.key for param in HA_PARAMETERS if not param.key.startswith('multi-threading.')]
    assert list(rel) == ['this-server-name', 'mode', *top, 'multi-threading', 'peers']
    assert list(rel['multi-threading']) == [
        'enable-multi-threading',
        'http-dedicated-listener',
        'http-listener-threads',
        'http-client-threads',
    ]


def test_version_aware_library_names() -> None:
    """Full paths from hooks_dir; bare names when hooks_dir is empty, which needs Kea >= 2.6.3."""
    names = [entry['library'] for entry in render_hooks_libraries(CASES['kea30-bare-library-names']())]
    assert names == ['libdhcp_lease_cmds.so', 'libdhcp_ha.so']
    rel = Relationship('server1', 'load-balancing', lb_peers(), TIMERS)
    names = [e['library'] for e in render_hooks_libraries(ctx((rel,), hooks_dir='/opt/kea/hooks/'))]
    assert names == ['/opt/kea/hooks/libdhcp_lease_cmds.so', '/opt/kea/hooks/libdhcp_ha.so']
    for version in (None, V22, KeaVersion(2, 6, 2)):
        with pytest.raises(RenderError, match=r'hooks_dir is empty: Kea 2\.(2\.0|6\.2) needs the full path'):
            render_hooks_libraries(ctx((rel,), hooks_dir='', version=version))


def test_hub_and_spoke_needs_26() -> None:
    """Several relationships render for 2.6; for 2.2 validation refuses them with Kea 2.2's text."""
    context = CASES['hub-and-spoke-26']()
    assert len(render_hooks_libraries(context)[1]['parameters']['high-availability']) == 2
    with pytest.raises(RenderError) as info:
        render_hooks_libraries(RenderContext(**{**context.__dict__, 'kea_version': V22}))
    assert 'Expected exactly one configuration' in str(info.value)
    assert [f.code for f in errors(info.value.findings)] == ['ha.relationship-count']


def test_without_lease_cmds_warns() -> None:
    """lease_cmds=False renders only the HA entry; validation warns that partners cannot sync then."""
    block = render_hooks_block(CASES['without-lease-cmds']())
    assert [e['library'] for e in block.hooks_libraries] == [f'{HOOKS}/libdhcp_ha.so']
    assert [f.code for f in warnings(block.findings)] == ['ha.no-lease-cmds']


# --------------------------------------------------------------------------------------------------------------
# The seed
# --------------------------------------------------------------------------------------------------------------


def _seed_entry_from_text(text: str) -> dict[str, Any]:
    """The seed's `hooks-libraries` example, parsed (the text stops before the entry's `}` and the list's `]`)."""
    start = text.index('"hooks-libraries": [') + len('"hooks-libraries": ')
    end = text.index('Additional information')
    entries = json.loads(text[start:end].strip() + '}]')
    assert len(entries) == 1
    return dict(entries[0])


def test_seed_example() -> None:
    """The seed's relationship, entered as values and rendered for server1 with hooks in /usr/lib/kea/hooks,
    gives a libdhcp_ha.so entry equal to the seed's (same keys, values and order), after the lease_cmds entry."""
    seed = json.loads((GOLDEN / 'seed-ha-entry.json').read_text())
    if SEED.exists():  # the copy in tests/golden is the seed's own example
        assert _seed_entry_from_text(SEED.read_text()) == seed
    rel = Relationship(
        this_server_name='server1',
        mode='load-balancing',
        peers=(
            Peer('server1', 'http://192.168.56.33:8000/', 'primary', auto_failover=True),
            Peer('server2', 'http://192.168.56.66:8000/', 'secondary', auto_failover=True),
            Peer('server3', 'http://192.168.56.99:8000/', 'backup', auto_failover=False),
        ),
        parameters={
            'heartbeat-delay': 1000,
            'max-response-delay': 10000,
            'max-ack-delay': 5000,
            'max-unacked-clients': 0,
        },
    )
    context = RenderContext('server1', '/usr/lib/kea/hooks', 'dhcp4', (rel,))
    rendered = render_hooks_libraries(context)
    assert rendered[0] == {'library': '/usr/lib/kea/hooks/libdhcp_lease_cmds.so'}
    assert rendered[1] == seed
    assert json.dumps(rendered[1]) == json.dumps(seed), 'same key order'
    assert len(rendered) == 2


# --------------------------------------------------------------------------------------------------------------
# Templates: where, overrides, the sandbox, bad templates
# --------------------------------------------------------------------------------------------------------------


def _pair() -> RenderContext:
    return CASES['load-balancing-pair']()


def test_search_path_and_shipped_templates() -> None:
    """User directories first, then the shipped templates (the repository's templates/ in a checkout)."""
    assert shipped_template_dir() == REPO / 'templates'
    assert template_search_path() == [REPO / 'templates']
    assert template_search_path([GOLDEN]) == [GOLDEN, REPO / 'templates']
    for name in ('hooks-libraries', 'lease-cmds', 'ha', 'relationship', 'peer'):
        assert (REPO / 'templates' / f'{name}.json.j2').is_file()
    with pytest.raises(RenderError, match="template directory '/nonexistent/kea-templates' does not exist"):
        template_search_path(['/nonexistent/kea-templates'])


def test_override_one_template(tmp_path: Path) -> None:
    """A user directory overrides just the templates it holds (first match wins); includes resolve there too."""
    (tmp_path / 'peer.json.j2').write_text(
        '{% for key, value in peer.items() %}{% if loop.first %}{ {% endif %}{{ key | tojson }}: {{ value | tojson }}'
        '{{ "," if not loop.last else ", \\"auto-failover\\": true }" if "auto-failover" not in peer else "}" }}'
        '{% endfor %}'
    )
    rel = Relationship('server1', 'load-balancing', (p('server1', 'primary', 'http://127.0.0.1:8000/'),
                       p('server2', 'secondary', 'http://127.0.0.2:8000/')), TIMERS)  # fmt: skip
    rendered = render_hooks_libraries(ctx((rel,)), template_dirs=[tmp_path])
    peers = rendered[1]['parameters']['high-availability'][0]['peers']
    assert peers == [
        {'name': 'server1', 'url': 'http://127.0.0.1:8000/', 'role': 'primary', 'auto-failover': True},
        {'name': 'server2', 'url': 'http://127.0.0.2:8000/', 'role': 'secondary', 'auto-failover': True},
    ]
    assert rendered[0] == {'library': f'{HOOKS}/libdhcp_lease_cmds.so'}, 'the other templates are the shipped ones'


def test_override_uses_the_context(tmp_path: Path) -> None:
    """A user template can use every documented variable, e.g. the version and features."""
    (tmp_path / 'lease-cmds.json.j2').write_text(
        '{"library": {{ libraries.lease_cmds | tojson }}, "parameters": {"family": {{ family | tojson }}, '
        '"version": {{ kea_version | tojson }}, "hub": {{ features.hub_and_spoke | tojson }}, '
        '"info": {{ kea_version_info | list | tojson }}, "tag": {{ server_tag | tojson }}}}'
    )
    rendered = render_hooks_libraries(CASES['multi-threading-dedicated-listener-26'](), template_dirs=[tmp_path])
    assert rendered[0]['parameters'] == {
        'family': 'dhcp4',
        'version': '2.6.3',
        'hub': True,
        'info': [2, 6, 3],
        'tag': 'server1',
    }


def test_template_context_shape() -> None:
    """The documented context (docs/templates.md)."""
    values = template_context(CASES['basic-auth']())
    assert set(values) == {
        'server_tag', 'family', 'hooks_dir', 'kea_version', 'kea_version_info', 'lease_cmds', 'libraries',
        'relationships', 'features',
    }  # fmt: skip
    (rel,) = values['relationships']
    assert set(rel) == {'this_server_name', 'mode', 'parameters', 'peers', 'extra'}
    assert list(rel['parameters']) == list(TIMERS)
    assert values['features'] == {
        'hub_and_spoke': False,
        'bare_library_names': False,
        'dhcp_multi_threading_default': False,
        'ha_multi_threading_default': False,
    }


def _bad(tmp_path: Path, name: str, text: str) -> RenderError:
    (tmp_path / name).write_text(text)
    with pytest.raises(RenderError) as info:
        render_hooks_libraries(CASES['basic-auth'](), template_dirs=[tmp_path])
    assert 's3cret-one' not in str(info.value), 'no password in an error message'
    return info.value


def test_syntax_error_names_template_and_line(tmp_path: Path) -> None:
    """A template that does not parse: its name, the line and Jinja's message."""
    error = _bad(tmp_path, 'peer.json.j2', '{\n"name": {{ peer.name | tojson }}\n{% for x in %}\n}')
    assert (error.template, error.line) == ('peer.json.j2', 3)
    assert str(error).startswith("template 'peer.json.j2', line 3: syntax error: ")


def test_undefined_variable_names_template_and_line(tmp_path: Path) -> None:
    """StrictUndefined: an unknown variable is an error naming the template, line and variable."""
    error = _bad(tmp_path, 'lease-cmds.json.j2', '{\n  "library": {{ lease_cmds_library | tojson }}\n}')
    assert (error.template, error.line) == ('lease-cmds.json.j2', 2)
    assert str(error) == (
        "template 'lease-cmds.json.j2', line 2: undefined variable: 'lease_cmds_library' is undefined"
    )


def test_output_not_json(tmp_path: Path) -> None:
    """A template whose output does not parse: where in the output, and no secret quoted."""
    error = _bad(
        tmp_path, 'peer.json.j2', '{ {% for k, v in peer.items() %}{{ k | tojson }}: {{ v | tojson }},{% endfor %} }'
    )
    assert re.fullmatch(
        r"template 'hooks-libraries\.json\.j2' did not produce JSON: Expecting property name enclosed in double "
        r'quotes at line \d+, column \d+ of its output',
        str(error),
    )


def test_output_not_a_list(tmp_path: Path) -> None:
    """The top template must produce a list of maps."""
    error = _bad(tmp_path, TOP_TEMPLATE, '{"library": {{ libraries.ha | tojson }}}')
    assert str(error) == "template 'hooks-libraries.json.j2' must produce a JSON list of hook library maps, got dict"
    error = _bad(tmp_path, TOP_TEMPLATE, '[1, 2]')
    assert str(error).endswith('got list with other items')


def test_sandbox_refuses_internals(tmp_path: Path) -> None:
    """The sandbox blocks access to Python internals from a template."""
    error = _bad(tmp_path, 'lease-cmds.json.j2', '{"library": {{ "".__class__.__mro__[1].__subclasses__() | tojson }}}')
    assert error.template == 'lease-cmds.json.j2'
    assert 'SecurityError' in str(error) and 'unsafe' in str(error)


def test_immutable_sandbox_refuses_changes(tmp_path: Path) -> None:
    """Templates cannot change the context (ImmutableSandboxedEnvironment)."""
    error = _bad(tmp_path, 'peer.json.j2', '{{ peer.update({"name": "x"}) }}{}')
    assert 'SecurityError' in str(error)


def test_secret_scrubbed_from_validation_errors(tmp_path: Path) -> None:
    """A template that misplaces the password (here as the URL) fails validation without quoting it."""
    (tmp_path / 'peer.json.j2').write_text(
        '{"name": {{ peer.name | tojson }}, "role": {{ peer.role | tojson }}, '
        '"url": {{ peer.get("basic-auth-password", peer.url) | tojson }}}'
    )
    with pytest.raises(RenderError) as info:
        render_hooks_libraries(CASES['basic-auth'](), template_dirs=[tmp_path])
    assert 's3cret-one' not in str(info.value)
    assert 'invalid URL: url ******** lacks http or https scheme for server server1' in str(info.value)
    assert all('s3cret-one' not in f.message for f in info.value.findings)


def test_validation_errors_raise_with_findings() -> None:
    """Kea would refuse it: RenderError lists Kea's texts and carries the findings; render_hooks_block does not
    raise."""
    rel = Relationship('server1', 'load-balancing', (p('server1', 'primary', 'http://127.0.0.1:8000/'),), TIMERS)
    with pytest.raises(RenderError) as info:
        render_hooks_libraries(ctx((rel,)))
    assert str(info.value) == (
        "the rendered hooks-libraries of 'server1' would be refused by Kea: hooks-libraries[1].parameters."
        'high-availability[0].peers: secondary server required in the load balancing configuration'
    )
    assert [f.incomplete for f in errors(info.value.findings)] == [True]
    block = render_hooks_block(ctx((rel,)))
    assert [f.code for f in block.errors] == ['ha.secondary-required']
    assert len(block.hooks_libraries) == 2


@pytest.mark.parametrize(
    ('change', 'message'),
    [
        ({'family': 'dhcp5'}, "family must be 'dhcp4' or 'dhcp6', not 'dhcp5'"),
        ({'server_tag': ''}, "server_tag must be a non-empty string, not ''"),
        (
            {'server_tag': 'server2'},
            "server_tag 'server2' is not the this-server-name of the first relationship ('server1')",
        ),
        ({'relationships': ()}, "no relationship to render for server 'server1'"),
        ({'relationships': ('x',)}, 'relationships[0] must be a Relationship, not str'),
        ({'hooks_dir': None}, 'hooks_dir must be a string, not NoneType'),
    ],
)
def test_bad_context(change: dict[str, Any], message: str) -> None:
    """Bad input names what is wrong."""
    context = RenderContext(**{**_pair().__dict__, **change})
    with pytest.raises(RenderError) as info:
        render_hooks_libraries(context)
    assert str(info.value) == message


def test_first_relationship_without_name_takes_the_server_tag() -> None:
    """A first relationship whose this_server_name is None is rendered as seen from server_tag."""
    rel = Relationship(None, 'load-balancing', lb_peers(), TIMERS)
    rendered = render_hooks_libraries(RenderContext('server2', HOOKS, 'dhcp4', (rel,)))
    assert rendered[1]['parameters']['high-availability'][0]['this-server-name'] == 'server2'


def test_missing_included_template(tmp_path: Path) -> None:
    """An include of a template that exists nowhere: its name and where it was looked for."""
    (tmp_path / TOP_TEMPLATE).write_text("[{% include 'nosuch.json.j2' %}]")
    with pytest.raises(RenderError) as info:
        render_hooks_libraries(_pair(), template_dirs=[tmp_path])
    assert info.value.template == 'nosuch.json.j2'
    assert str(info.value) == (
        f"template 'nosuch.json.j2' not found (looked in: {tmp_path.resolve()}, {REPO / 'templates'})"
    )

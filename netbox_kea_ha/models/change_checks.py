"""
What a change to a relationship, a peer or a server would break, for their `clean()`: the intent as saved
(`services.intent.load_intent`) and as it would be after the change (`dataclasses.replace` of those values with the
changed object's own), both run through Kea's rules (`kea.intent_findings`); the blocking errors the change brings in
are raised on the fields they concern (`services.field_errors`). Queries only, no network I/O.
"""

from django.core.exceptions import ValidationError

from ..kea.ha import HA_PARAMETERS
from ..kea.intent import NEW
from ..kea.intent_findings import relationship_findings
from ..services.field_errors import new_blocking, peer_field, relationship_field, server_field
from ..services.intent import load_intent, relationship_intent, server_intent

__all__ = (
    'check_peer_change',
    'check_relationship_change',
    'check_server_change',
)


_PARAMETER_ATTRS = frozenset(p.attr for p in HA_PARAMETERS)


def _raise(errors):
    if errors:
        raise ValidationError(errors)


def _field_invalid(instance, name):
    """Whether the field's own validators refuse its value (then they say it; the rules need not say it again)."""
    field = instance._meta.get_field(name)
    try:
        field.run_validators(getattr(instance, name))
    except ValidationError:
        return True
    return False


def check_relationship_change(relationship):
    """Raise ValidationError for the errors this version of the relationship brings in, each on its field."""
    key = relationship.pk or NEW
    loaded = load_intent(relationships=[relationship] if relationship.pk else ())
    before = loaded.intent
    after = before.replace_relationship(relationship_intent(relationship, loaded.peers_of(key)))
    saved = before.relationships.get(key)
    before_findings = relationship_findings(before, key) if saved is not None else []
    mode_changed = saved is not None and saved.value.mode != relationship.mode
    errors = {}
    for finding in new_blocking(relationship_findings(after, key), before_findings):
        field = relationship_field(finding, mode_changed)
        if field in _PARAMETER_ATTRS and _field_invalid(relationship, field):
            continue  # The field's own validators already say it (e.g. above the maximum).
        errors.setdefault(field, []).append(finding.text)
    _raise(errors)


def _name_used_elsewhere(intent, rel_key, name, servers):
    """Kea needs peer names unique across all relationships of a server (hub and spoke), whatever its version."""
    for server in servers:
        for other in intent.of_server(server):
            if other.key == rel_key:
                continue
            for peer_name, peer_server in zip(other.peer_names, other.servers, strict=True):
                if peer_name == name:
                    return (
                        f'peer name {name!r} is already used in relationship {other.name} '
                        f'({intent.servers[peer_server].name}); Kea needs peer names unique across all '
                        'relationships of a server.'
                    )
    return None


def check_peer_change(peer):
    """
    Raise ValidationError when this version of the peer breaks its relationship: another DHCP family than the
    other peers, a peer name already used in the relationship or in another relationship of the same servers, or
    new errors from Kea's rules, each on the field it concerns.
    """
    relationship = peer.relationship
    key = relationship.pk or NEW
    loaded = load_intent(relationships=[relationship] if relationship.pk else (), servers=[peer.server])
    others = [p for p in loaded.peers_of(key) if p.pk != peer.pk]
    errors = {}
    families = {p.server.family for p in others}
    if families and peer.server.family not in families:
        errors['server'] = [
            f'{peer.server} serves {peer.server.family}; the other peers of {relationship} serve '
            f'{", ".join(sorted(families))}.'
        ]
    name = peer.effective_name
    clash = next((p for p in others if p.effective_name == name), None)
    if clash is not None:
        errors['name'] = [f'{relationship} already has a peer named {name!r} ({clash.server}); give this peer a name.']
    elif message := _name_used_elsewhere(
        loaded.intent, key, name, {peer.server_id, *(p.server_id for p in others)} & set(loaded.intent.servers)
    ):
        errors['name'] = [message]
    _raise(errors)

    before = loaded.intent
    after_relationship = relationship_intent(relationship, [*others, peer])
    after = before.replace_relationship(after_relationship)
    before_findings = relationship_findings(before, key) if key in before.relationships else []
    index = after_relationship.peer_index(peer.server_id)
    for finding in new_blocking(relationship_findings(after, key), before_findings):
        errors.setdefault(peer_field(finding, index), []).append(finding.text)
    _raise(errors)


def check_server_change(server):
    """
    Raise ValidationError when this version of a server (its tag, address, port, scheme, version) brings new
    errors into a relationship it is a peer of: its tag then clashes with another peer name, its derived peer URL
    is no longer valid, ... The error names the relationship.
    """
    if not server.pk:
        return
    loaded = load_intent(servers=[server])
    saved = loaded.servers.get(server.pk)
    before = loaded.intent
    if saved is None or server.pk not in before.servers:
        return
    keys = before.servers[server.pk].relationships
    changed = [
        relationship_intent(loaded.relationships[key], loaded.peers_of(key), servers={server.pk: server})
        for key in keys
    ]
    after = before.replace_server(server_intent(server, keys), changed)
    moved = {
        'control_scheme': server.control_scheme != saved.control_scheme,
        'control_port': server.control_port != saved.control_port,
    }
    errors = {}
    for rel in changed:
        index = rel.peer_index(server.pk)
        for finding in new_blocking(relationship_findings(after, rel.key), relationship_findings(before, rel.key)):
            text = finding.text if finding.relationship else f'{finding.text} [relationship {rel.name}]'
            errors.setdefault(server_field(finding, index, moved), []).append(text)
    _raise(errors)

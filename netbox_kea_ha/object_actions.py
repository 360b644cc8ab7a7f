"""
Buttons on the plugin's pages, and the registry later features add theirs to.

Detail pages of Kea servers, HA relationships and peers, and the "Kea HA" tab of devices and virtual machines,
show NetBox's standard buttons followed by every action registered for their place:

    from netbox_kea_ha.object_actions import KeaHAAction, register_action

    class SyncRelationship(KeaHAAction):
        name = 'sync'                   # the registered model view: plugins:netbox_kea_ha:harelationship_sync
        label = _('Sync')
        icon = 'mdi-sync'
        # method = 'post' (the default): a one-click form with CSRF token; 'get' makes a link
        permissions_required = {'sync'} # netbox_kea_ha.sync_harelationship (Meta.permissions of the model)

    register_action('harelationship', SyncRelationship)

Places: 'keaserver', 'harelationship', 'hapeer' (detail pages; the object is the model instance) and 'host' (the
Kea HA tab; the object is the Device or VirtualMachine, permissions are checked against KeaServer).
"""

from netbox.object_actions import ObjectAction

__all__ = (
    'PLACES',
    'KeaHAAction',
    'extra_actions',
    'register_action',
)

#: Where actions can be registered.
PLACES = ('keaserver', 'harelationship', 'hapeer', 'host')

_REGISTRY: dict[str, list[type[ObjectAction]]] = {place: [] for place in PLACES}


def register_action(place, action):
    """Add an ObjectAction class to the buttons of a place (once; order of registration is kept)."""
    if place not in _REGISTRY:
        raise ValueError(f'unknown place {place!r} for a Kea HA action (known: {", ".join(PLACES)})')
    if action not in _REGISTRY[place]:
        _REGISTRY[place].append(action)
    return action


def extra_actions(place):
    """The actions registered for a place, in order."""
    return tuple(_REGISTRY[place])


class KeaHAAction(ObjectAction):
    """
    A button that leads to the model view named `name` of the object. `method = 'post'` (the default) renders a
    one-click form (for actions that enqueue a job), `'get'` a link (for actions with a confirmation page).
    """

    template_name = 'netbox_kea_ha/buttons/action.html'
    icon = 'mdi-play'
    color = 'primary'
    method = 'post'
    url_kwargs = ['pk']

    @classmethod
    def get_context(cls, context, obj):
        """Icon, colour and method of the button."""
        return {'icon': cls.icon, 'color': cls.color, 'method': cls.method}

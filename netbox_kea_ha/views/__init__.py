"""The plugin's views (one module per model) and the Kea HA tab of devices and virtual machines."""

from .hosts import *
from .peers import *
from .relationships import *
from .servers import *

__all__ = (
    'DeviceKeaHAView',
    'HAPeerBulkDeleteView',
    'HAPeerBulkEditView',
    'HAPeerBulkImportView',
    'HAPeerDeleteView',
    'HAPeerEditView',
    'HAPeerListView',
    'HAPeerView',
    'HARelationshipBulkDeleteView',
    'HARelationshipBulkEditView',
    'HARelationshipBulkImportView',
    'HARelationshipDeleteView',
    'HARelationshipEditView',
    'HARelationshipListView',
    'HARelationshipView',
    'KeaServerBulkDeleteView',
    'KeaServerBulkEditView',
    'KeaServerBulkImportView',
    'KeaServerDeleteView',
    'KeaServerEditView',
    'KeaServerListView',
    'KeaServerView',
    'VirtualMachineKeaHAView',
)

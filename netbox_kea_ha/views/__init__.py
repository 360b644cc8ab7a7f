"""The plugin's views (one module per model), the Kea HA tab of devices and VMs, and the action buttons."""

from .actions import *
from .hosts import *
from .peers import *
from .relationships import *
from .servers import *
from .snapshots import *

__all__ = (
    'ConfigSnapshotBulkDeleteView',
    'ConfigSnapshotDeleteView',
    'ConfigSnapshotListView',
    'ConfigSnapshotRestoreView',
    'ConfigSnapshotView',
    'DeviceKeaHAImportView',
    'DeviceKeaHAStatusView',
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
    'HARelationshipPlanView',
    'HARelationshipSnapshotsView',
    'HARelationshipStatusView',
    'HARelationshipSyncView',
    'HARelationshipView',
    'KeaServerBulkDeleteView',
    'KeaServerBulkEditView',
    'KeaServerBulkImportView',
    'KeaServerDeleteView',
    'KeaServerEditView',
    'KeaServerImportView',
    'KeaServerListView',
    'KeaServerSnapshotsView',
    'KeaServerStatusView',
    'KeaServerView',
    'RestoreSnapshot',
    'VirtualMachineKeaHAImportView',
    'VirtualMachineKeaHAStatusView',
    'VirtualMachineKeaHAView',
)

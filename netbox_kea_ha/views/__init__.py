"""The plugin's views (one module per model), the Kea HA tab of devices and VMs, and the action buttons."""

from .actions import *
from .hosts import *
from .leases import *
from .operations import *
from .peers import *
from .relationships import *
from .served_prefixes import *
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
    'HAPeerOperateView',
    'HAPeerView',
    'HARelationshipBulkDeleteView',
    'HARelationshipBulkEditView',
    'HARelationshipBulkImportView',
    'HARelationshipDeleteView',
    'HARelationshipEditView',
    'HARelationshipLeaseDeleteView',
    'HARelationshipLeaseExportView',
    'HARelationshipLeasesView',
    'HARelationshipListView',
    'HARelationshipPlanView',
    'HARelationshipSnapshotsView',
    'HARelationshipStatusView',
    'HARelationshipSyncView',
    'HARelationshipView',
    'IPAddressLeaseView',
    'KeaServerBulkDeleteView',
    'KeaServerBulkEditView',
    'KeaServerBulkImportView',
    'KeaServerDeleteView',
    'KeaServerEditView',
    'KeaServerImportView',
    'KeaServerLeasesView',
    'KeaServerListView',
    'KeaServerSnapshotsView',
    'KeaServerStatusView',
    'KeaServerView',
    'OperationsMenu',
    'RestoreSnapshot',
    'ServedPrefixBulkDeleteView',
    'ServedPrefixBulkEditView',
    'ServedPrefixBulkImportView',
    'ServedPrefixDeleteView',
    'ServedPrefixEditView',
    'ServedPrefixListView',
    'ServedPrefixView',
    'VirtualMachineKeaHAImportView',
    'VirtualMachineKeaHAStatusView',
    'VirtualMachineKeaHAView',
    'operations_for',
)

"""The plugin's forms: one module per model, each with its edit, import, bulk-edit and filter forms."""

from .operations import *
from .peers import *
from .relationships import *
from .served_prefixes import *
from .servers import *
from .snapshots import *

__all__ = (
    'ConfigSnapshotFilterForm',
    'HAPeerBulkEditForm',
    'HAPeerFilterForm',
    'HAPeerForm',
    'HAPeerImportForm',
    'HARelationshipBulkEditForm',
    'HARelationshipFilterForm',
    'HARelationshipForm',
    'HARelationshipImportForm',
    'KeaServerBulkEditForm',
    'KeaServerFilterForm',
    'KeaServerForm',
    'KeaServerImportForm',
    'OperationForm',
    'ServedPrefixBulkEditForm',
    'ServedPrefixFilterForm',
    'ServedPrefixForm',
    'ServedPrefixImportForm',
)

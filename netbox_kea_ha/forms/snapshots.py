"""Filter form of ConfigSnapshot (snapshots are written by jobs only: no edit or import form)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from netbox.forms.mixins import SavedFiltersMixin
from users.models import User
from utilities.forms import FilterForm
from utilities.forms.fields import DynamicModelMultipleChoiceField
from utilities.forms.rendering import FieldSet

from ..choices import SnapshotActionChoices, SnapshotResultChoices
from ..models import ConfigSnapshot, HARelationship, KeaServer

__all__ = ('ConfigSnapshotFilterForm',)


class ConfigSnapshotFilterForm(SavedFiltersMixin, FilterForm):
    """Filter snapshots by server, relationship, user, action and result."""

    model = ConfigSnapshot
    fieldsets = (
        FieldSet('q', 'filter_id'),
        FieldSet('server_id', 'relationship_id', 'user_id', name=_('Where and who')),
        FieldSet('action', 'result', name=_('What')),
    )
    server_id = DynamicModelMultipleChoiceField(
        queryset=KeaServer.objects.all(),
        required=False,
        label=_('Server'),
    )
    relationship_id = DynamicModelMultipleChoiceField(
        queryset=HARelationship.objects.all(),
        required=False,
        label=_('Relationship'),
    )
    user_id = DynamicModelMultipleChoiceField(
        queryset=User.objects.all(),
        required=False,
        label=_('User'),
    )
    action = forms.MultipleChoiceField(choices=SnapshotActionChoices, required=False, label=_('Action'))
    result = forms.MultipleChoiceField(choices=SnapshotResultChoices, required=False, label=_('Result'))

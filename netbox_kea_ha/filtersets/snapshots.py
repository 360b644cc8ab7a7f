"""FilterSet of ConfigSnapshot."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext as _

from netbox.filtersets import BaseFilterSet
from users.models import User
from utilities.filtersets import register_filterset

from ..models import ConfigSnapshot, HARelationship, KeaServer, SnapshotActionChoices, SnapshotResultChoices

__all__ = ('ConfigSnapshotFilterSet',)


@register_filterset
class ConfigSnapshotFilterSet(BaseFilterSet):
    """Filters of config snapshots: server, relationship, user, job, action, result, time."""

    q = django_filters.CharFilter(method='search', label=_('Search'))
    server_id = django_filters.ModelMultipleChoiceFilter(queryset=KeaServer.objects.all(), label=_('Server (ID)'))
    server = django_filters.ModelMultipleChoiceFilter(
        field_name='server__name',
        queryset=KeaServer.objects.all(),
        to_field_name='name',
        label=_('Server (name)'),
    )
    relationship_id = django_filters.ModelMultipleChoiceFilter(
        queryset=HARelationship.objects.all(),
        label=_('Relationship (ID)'),
    )
    user_id = django_filters.ModelMultipleChoiceFilter(queryset=User.objects.all(), label=_('User (ID)'))
    user = django_filters.ModelMultipleChoiceFilter(
        field_name='user__username',
        queryset=User.objects.all(),
        to_field_name='username',
        label=_('User (name)'),
    )
    action = django_filters.MultipleChoiceFilter(choices=SnapshotActionChoices)
    result = django_filters.MultipleChoiceFilter(choices=SnapshotResultChoices)
    created = django_filters.DateTimeFromToRangeFilter()

    class Meta:
        model = ConfigSnapshot
        fields = ('id', 'job_id', 'restored_from_id')

    def search(self, queryset, name, value):
        """Search server and relationship names and the message."""
        if not value.strip():
            return queryset
        return queryset.filter(
            Q(server__name__icontains=value) | Q(relationship__name__icontains=value) | Q(message__icontains=value)
        )

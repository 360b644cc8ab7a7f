"""FilterSet of ConfigSnapshot."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext as _

from core.models import Job
from netbox.filtersets import BaseFilterSet
from users.models import User
from utilities.filtersets import register_filterset

from ..choices import SnapshotActionChoices, SnapshotResultChoices
from ..models import ConfigSnapshot, HARelationship, KeaServer

__all__ = ('ConfigSnapshotFilterSet',)


@register_filterset
class ConfigSnapshotFilterSet(BaseFilterSet):
    """Filters of config snapshots: server, relationship, user, job, action, result, time (`created__gte`, ...)."""

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
    relationship = django_filters.ModelMultipleChoiceFilter(
        field_name='relationship__name',
        queryset=HARelationship.objects.all(),
        to_field_name='name',
        label=_('Relationship (name)'),
    )
    user_id = django_filters.ModelMultipleChoiceFilter(queryset=User.objects.all(), label=_('User (ID)'))
    user = django_filters.ModelMultipleChoiceFilter(
        field_name='user__username',
        queryset=User.objects.all(),
        to_field_name='username',
        label=_('User (name)'),
    )
    job_id = django_filters.ModelMultipleChoiceFilter(queryset=Job.objects.all(), label=_('Job (ID)'))
    restored_from_id = django_filters.ModelMultipleChoiceFilter(
        queryset=ConfigSnapshot.objects.all(),
        label=_('Restored from (snapshot ID)'),
    )
    action = django_filters.MultipleChoiceFilter(choices=SnapshotActionChoices)
    result = django_filters.MultipleChoiceFilter(choices=SnapshotResultChoices)

    class Meta:
        model = ConfigSnapshot
        fields = ('id', 'created', 'message')

    def search(self, queryset, name, value):
        """Search server and relationship names and the message."""
        if not value.strip():
            return queryset
        return queryset.filter(
            Q(server__name__icontains=value) | Q(relationship__name__icontains=value) | Q(message__icontains=value)
        )

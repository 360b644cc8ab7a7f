"""REST serializer of ConfigSnapshot (read-only: snapshots are written by jobs)."""

from rest_framework import serializers

from core.api.serializers import JobSerializer
from netbox.api.fields import ChoiceField
from netbox.api.serializers import BaseModelSerializer
from users.api.serializers_.users import UserSerializer

from ...choices import SnapshotActionChoices, SnapshotResultChoices
from ...models import ConfigSnapshot
from .relationships import HARelationshipSerializer
from .servers import KeaServerSerializer

__all__ = ('ConfigSnapshotSerializer',)


class ConfigSnapshotSerializer(BaseModelSerializer):
    """
    A config snapshot: server, relationship, time, user, job, action, result, message, and the running config
    before the push and the config pushed, both with every secret replaced by a placeholder. The encrypted secret
    values are never exposed. A record, not a NetBox object: no tags, custom fields or change log.
    """

    server = KeaServerSerializer(nested=True, read_only=True)
    relationship = HARelationshipSerializer(nested=True, read_only=True)
    user = UserSerializer(nested=True, read_only=True)
    job = JobSerializer(nested=True, read_only=True)
    action = ChoiceField(choices=SnapshotActionChoices, read_only=True)
    restored_from = serializers.PrimaryKeyRelatedField(read_only=True)
    result = ChoiceField(choices=SnapshotResultChoices, read_only=True)

    class Meta:
        model = ConfigSnapshot
        fields = (
            'id', 'url', 'display_url', 'display', 'server', 'relationship', 'created', 'user', 'job', 'action',
            'restored_from', 'result', 'message', 'before', 'after',
        )  # fmt: skip
        read_only_fields = fields
        brief_fields = ('created', 'display', 'id', 'result', 'url')

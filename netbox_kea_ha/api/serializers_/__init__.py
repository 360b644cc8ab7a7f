"""REST serializers, one module per model (re-exported by `api.serializers`)."""

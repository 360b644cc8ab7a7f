"""The bridge between NetBox models and the Kea layer: the only place that knows both worlds."""

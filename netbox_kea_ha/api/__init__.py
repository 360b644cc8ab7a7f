"""REST API of the plugin."""

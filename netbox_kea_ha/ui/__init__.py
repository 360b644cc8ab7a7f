"""Declarative UI (NetBox 4.6 layouts): attributes and panels of the plugin's detail pages."""

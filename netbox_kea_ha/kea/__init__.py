"""
Kea's world: a pure-Python, typed package that never imports Django or NetBox.

It talks to Kea control endpoints, reads and validates HA relationships, renders `hooks-libraries` blocks,
splits and compares configs, and pushes them safely. See docs/architecture.md.
"""

#!/usr/bin/env bash
# Clone NetBox ($NETBOX_VERSION), build the venv with NetBox's requirements and this plugin (editable),
# and link the development configuration into the clone. Quick when nothing changed.
source "$(dirname "$0")/lib.sh"

if [ ! -f "$NETBOX_DIR/.kea-ha-cloned-$NETBOX_VERSION" ]; then
  log "cloning NetBox $NETBOX_VERSION from $NETBOX_REPO"
  rm -rf "$NETBOX_DIR"
  git -c advice.detachedHead=false clone --quiet --depth 1 --branch "$NETBOX_VERSION" "$NETBOX_REPO" "$NETBOX_DIR" \
    || die "could not clone $NETBOX_REPO at $NETBOX_VERSION"
  touch "$NETBOX_DIR/.kea-ha-cloned-$NETBOX_VERSION"
fi
ln -sf "$ROOT/dev/configuration.py" "$NETBOX_DIR/netbox/netbox/configuration.py"
# NetBox serves its built docs from here; without a docs build every command warns (staticfiles.W004).
mkdir -p "$NETBOX_DIR/netbox/project-static/docs"

# Rebuild the venv when Python, NetBox's requirements or our pyproject change.
py=$(find_python)
stamp=$( (cat "$NETBOX_DIR/requirements.txt" "$ROOT/pyproject.toml"; "$py" --version) | sha1sum | cut -c1-16)
if [ "$(cat "$VENV/.kea-ha-stamp" 2>/dev/null)" != "$stamp" ]; then
  log "building the venv with $py ($("$py" --version))"
  [ -x "$VENV/bin/python" ] || "$py" -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --upgrade pip
  "$VENV/bin/pip" install --quiet -r "$NETBOX_DIR/requirements.txt"
  "$VENV/bin/pip" install --quiet -e "$ROOT[test,docs,cli]"
  echo "$stamp" > "$VENV/.kea-ha-stamp"
fi

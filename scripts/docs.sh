#!/usr/bin/env bash
# make docs: serve the documentation site (mkdocs.yml, docs/) on 127.0.0.1 with live reload.
# DOCS_PORT picks the port (default 8001); `mkdocs build --strict` (part of make test) writes it to .work/site.
source "$(dirname "$0")/lib.sh"

"$ROOT/scripts/netbox.sh"
log "serving the docs on http://127.0.0.1:${DOCS_PORT:-8001}/ (Ctrl-C stops)"
cd "$ROOT"
NO_MKDOCS_2_WARNING=true exec "$VENV/bin/mkdocs" serve --dev-addr "127.0.0.1:${DOCS_PORT:-8001}"

#!/bin/sh
# Entry point of the weft image's agent container: refuses to join a mesh with the well-known
# placeholder secret that weft.yaml ships (anyone could read it there), then becomes the agent.
# Arguments go to weft-agent unchanged (e.g. `cleanup`). WEFT_AGENT overrides the launcher (tests).
set -eu
placeholder=replace-me-with-a-random-secret
if [ -n "${WEFT_SECRET_FILE:-}" ] && [ -r "$WEFT_SECRET_FILE" ] && grep -q "$placeholder" "$WEFT_SECRET_FILE"; then
  echo "weft: $WEFT_SECRET_FILE still holds the placeholder from weft.yaml; set a random mesh secret in Secret weft-mesh-secret (docs/operations.md, \"Install\")" >&2
  exit 2
fi
exec "${WEFT_AGENT:-/usr/lib/weft/bin/weft-agent}" "$@"

#!/usr/bin/env bash
# Validates and lints the OpenAPI document with three independent tools:
# openapi-spec-validator (PyPI), Redocly CLI and Spectral (npm), and checks with
# openapi-schema-validator that members the API sends as null are nullable when
# OpenAPI 3.0.3 is read to the letter. Any error or warning fails. Tools are installed, at pinned versions, under target/lint-tools (or $CARGO_TARGET_DIR/lint-tools).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
tools="${CARGO_TARGET_DIR:-$root/target}/lint-tools"
# The document itself lives in the spec crate (so that the published crate
# holds it); openapi/voxys-connect.yaml links to it.
spec="$root/crates/voxys-connect-spec/voxys-connect.yaml"

mkdir -p "$tools"
if [ ! -x "$tools/venv/bin/openapi-spec-validator" ]; then
  python3 -m venv "$tools/venv"
  "$tools/venv/bin/pip" install --quiet --disable-pip-version-check openapi-spec-validator==0.9.0 openapi-schema-validator==0.9.0
fi
if [ ! -x "$tools/node_modules/.bin/redocly" ] || [ ! -x "$tools/node_modules/.bin/spectral" ]; then
  npm install --prefix "$tools" --silent --no-audit --no-fund --no-save \
    @redocly/cli@2.77.0 @stoplight/spectral-cli@6.16.3 >/dev/null
fi

echo "openapi-spec-validator:"
"$tools/venv/bin/openapi-spec-validator" "$spec"
echo "redocly lint:"
# redocly exits 0 on warnings; fail on them too.
report=$(REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true \
  "$tools/node_modules/.bin/redocly" lint --config "$here/redocly.yaml" "$spec" 2>&1) || { echo "$report"; exit 1; }
echo "$report" | grep -v '[║╔╚]' | sed '/^\s*$/d'
if echo "$report" | grep -q 'You have [0-9]* warning'; then
  echo "redocly reported warnings" >&2
  exit 1
fi
echo "null where the API sends null (openapi-schema-validator, strict 3.0.3):"
"$tools/venv/bin/python" "$here/strict_nulls.py" "$spec"
echo "spectral lint:"
"$tools/node_modules/.bin/spectral" lint --ruleset "$here/.spectral.yaml" --fail-severity warn "$spec"

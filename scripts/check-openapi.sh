#!/usr/bin/env bash
# Checks openapi.yaml (run by `make test`): valid OpenAPI 3.1; every object schema and every
# enumeration a named component (so client generators give stable names); every example valid
# against its schema; and a real client generator's type names free of numbered suffixes.
# The tools live in a venv under .build (CONCORD_TOOLS_VENV to move it), made on first use and
# reused while scripts/openapi-requirements.txt is unchanged.
set -euo pipefail
cd "$(dirname "$0")/.."

venv="${CONCORD_TOOLS_VENV:-.build/tools-venv}"
requirements=scripts/openapi-requirements.txt
if ! cmp -s "$requirements" "$venv/requirements.txt" 2>/dev/null; then
  echo "check-openapi: installing $(grep -cv '^#' "$requirements") tools into $venv" >&2
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
  cp "$requirements" "$venv/requirements.txt"
fi

"$venv/bin/python" scripts/check_openapi.py "${1:-openapi.yaml}"

# The generator's own names: a type whose name ends in a digit (`Data3`, `Line2`) is one it
# had to invent, and such names move when the document changes.
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
"$venv/bin/datamodel-codegen" --input "${1:-openapi.yaml}" --input-file-type openapi \
  --output-model-type pydantic_v2.BaseModel --disable-timestamp \
  --output "$out/models.py" 2> "$out/stderr" || { cat "$out/stderr" >&2; exit 1; }
"$venv/bin/python" scripts/check_openapi.py --generated "$out/models.py"

#!/usr/bin/env bash
# The module layering (README "Architecture"), read from the import lines so it cannot drift:
# a module imports only modules above it in the list below, and inside a domain module only the
# HTTP mapping (`Routes.swift`, `*Routes.swift`) imports `Routing`. The server imports
# `FoundationEssentials`, not `Foundation` (which links the ICU data, tens of megabytes): an
# `import Foundation` in Sources needs the line above it to say why (`// Full Foundation: …`).
set -euo pipefail
cd "$(dirname "$0")/.."

# Top to bottom; a module may import the ones listed before it.
ORDER=(CLinuxShims CLibPQ CCrypto CSSL Core HTTP HTTPClient Routing Postgres Platform
       Customers Catalog Inventory CRM Sales Purchasing Receivables Payables Service Approvals
       Alerts Webhooks Insights App concord)
# Modules whose Stores, Services and Models must not see HTTP.
DOMAIN=(Customers Catalog Inventory CRM Sales Purchasing Receivables Payables Service Approvals
        Alerts Webhooks Insights)
# Allowed exceptions to the strict order: none today. (Format: "Importer:Imported".)
EXTRA_ALLOWED=()

rank() { local i; for i in "${!ORDER[@]}"; do [[ ${ORDER[$i]} == "$1" ]] && { echo "$i"; return; }; done; echo -1; }

failures=0
complain() { echo "check-imports: $*" >&2; failures=$((failures + 1)); }

for dir in Sources/*/; do
    module=$(basename "$dir")
    own=$(rank "$module")
    if [[ $own -lt 0 ]]; then complain "$module is not placed in the layering (scripts/check-imports.sh ORDER)"; continue; fi
    while IFS=: read -r file imported; do
        imported=${imported##* }
        other=$(rank "$imported")
        [[ $other -lt 0 ]] && continue   # system and package modules (Foundation, Logging, …)
        if [[ $other -ge $own ]] && [[ ! " ${EXTRA_ALLOWED[*]-} " == *" $module:$imported "* ]]; then
            complain "$file imports $imported, which is not above $module"
        fi
        if [[ $imported == Routing || $imported == HTTP ]] && [[ " ${DOMAIN[*]} " == *" $module "* ]]; then
            case $(basename "$file") in Routes.swift | *Routes.swift) ;; *) complain "$file imports $imported; only Routes.swift may" ;; esac
        fi
        if [[ $module == Postgres || $module == Core ]] && [[ $imported == Routing || $imported == HTTP ]]; then
            complain "$file imports $imported; $module stays below the HTTP side"
        fi
    done < <(grep -HE '^[[:space:]]*(@testable |@_exported )?import [A-Za-z]+' -r "$dir" --include='*.swift' | sed -E 's/:[[:space:]]*(@testable |@_exported )?import /:/')
done

while IFS=: read -r file line _; do
    if [[ $line -lt 2 ]] || ! sed -n "$((line - 1))p" "$file" | grep -q '^[[:space:]]*// Full Foundation: '; then
        complain "$file:$line imports Foundation; use FoundationEssentials, or say why above it (// Full Foundation: …)"
    fi
done < <(grep -nE '^[[:space:]]*(@preconcurrency |@_exported |internal |public )?import Foundation$' -r Sources --include='*.swift' || true)

if [[ $failures -gt 0 ]]; then echo "check-imports: $failures violation(s)" >&2; exit 1; fi
echo "check-imports: layering holds"

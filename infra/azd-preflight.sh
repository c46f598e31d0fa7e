#!/usr/bin/env bash
# azd-preflight.sh stops `azd up` / `azd package` early, with the fix, when
# azd's alpha feature for `language: custom` services (azure.yaml) is off.
# azd gates that language behind the alpha toggle alpha.language.custom;
# alpha toggles are set with `azd config set alpha.<name> on`, or all at once
# with alpha.all, or in CI with AZD_ALPHA_ENABLE_<NAME>
# (https://github.com/Azure/azure-dev/blob/main/cli/azd/docs/alpha-features.md).
# azure.yaml runs this as the first step of the preprovision and prepackage
# hooks; docs/deploy.md has the same step before `azd up`.
set -euo pipefail

feature=language.custom
fix="azd config set alpha.$feature on"

enabled() {
  # CI form: AZD_ALPHA_ENABLE_LANGUAGE_CUSTOM=true (or ALL).
  local v
  for v in "${AZD_ALPHA_ENABLE_LANGUAGE_CUSTOM:-}" "${AZD_ALPHA_ENABLE_ALL:-}"; do
    case ${v,,} in on | true | 1) return 0 ;; esac
  done
  local key out
  for key in "alpha.$feature" alpha.all; do
    # `azd config get` prints the stored JSON value ("on") and fails when
    # nothing is stored at the key.
    if out=$(azd config get "$key" 2>/dev/null); then
      out=${out//\"/}
      out=${out//[[:space:]]/}
      case ${out,,} in on | true) return 0 ;; esac
    fi
  done
  return 1
}

if ! command -v azd >/dev/null 2>&1; then
  echo "azd-preflight: azd is not on PATH, so the alpha setting cannot be checked; if azd stops at" >&2
  echo "azd-preflight: 'language: custom', run: $fix" >&2
  exit 0
fi
if enabled; then
  exit 0
fi
cat >&2 <<MSG
azd-preflight: azure.yaml deploys the service 'api' with 'language: custom', which azd
azd-preflight: treats as an alpha feature, and it is not enabled. Run once:

    $fix

azd-preflight: then run 'azd up' (or 'azd deploy') again. See docs/deploy.md.
MSG
exit 1

#!/usr/bin/env bash
# signing-key.sh manages the versions of the session signing secret in Key
# Vault with the az CLI. The app signs with the newest enabled version and
# accepts every enabled one, re-reading them every 5 minutes.
#
#   signing-key.sh exists VAULT NAME     exit 0 if the secret exists, 1 if not, 2 if unknown
#   signing-key.sh replace-bootstrap     replace a Bicep-created value (first deploy)
#   signing-key.sh rotate                add a new version; the old ones keep verifying
#   signing-key.sh disable-old           disable every enabled version but the newest
#   signing-key.sh azd-preprovision      tell azd whether Bicep should create the secret
#
# All but `exists` read KEY_VAULT_NAME and SIGNING_SECRET_NAME from the
# environment (azd provides both from the deployment outputs). New values are
# 32 bytes from `openssl rand` (a CSPRNG), base64-encoded, written through a
# private temporary file so they never appear on a command line.
set -euo pipefail

die() { echo "signing-key.sh: $*" >&2; exit 1; }

# Role assignments made by the deployment can take minutes to reach Key
# Vault, so the first data-plane call is retried.
retry() {
  local i
  for i in $(seq 1 20); do
    if "$@"; then return 0; fi
    echo "signing-key.sh: waiting for Key Vault access (attempt $i of 20)..." >&2
    sleep 15
  done
  return 1
}

# exists prints nothing and succeeds only when the secret is there; any
# failure other than "not found" aborts, because guessing "absent" would make
# Bicep add a bootstrap version that then signs sessions.
exists() {
  local vault=$1 name=$2 count
  count=$(retry az keyvault secret list --vault-name "$vault" \
    --query "length([?name=='$name'])" -o tsv) || {
    echo "signing-key.sh: cannot list secrets in $vault" >&2
    exit 2
  }
  [[ $count -gt 0 ]]
}

need_env() {
  : "${KEY_VAULT_NAME:?KEY_VAULT_NAME is not set (it is a deployment output)}"
  : "${SIGNING_SECRET_NAME:?SIGNING_SECRET_NAME is not set (it is a deployment output)}"
}

new_version() {
  local tmp id
  command -v openssl >/dev/null || die "openssl is required to generate the key"
  tmp=$(mktemp)
  chmod 600 "$tmp"
  # shellcheck disable=SC2064 # expand now: the path is fixed
  trap "rm -f '$tmp'" RETURN
  openssl rand -base64 32 | tr -d '\n' >"$tmp"
  id=$(retry az keyvault secret set --vault-name "$KEY_VAULT_NAME" --name "$SIGNING_SECRET_NAME" \
    --file "$tmp" --encoding utf-8 --content-type 'application/octet-stream; base64' \
    --tags origin=openssl-rand --query id -o tsv) || die "cannot set a new version"
  echo "signing-key.sh: added version ${id##*/} of $SIGNING_SECRET_NAME" >&2
}

enabled_versions() {
  # Newest first; prints "id origin" per enabled version.
  az keyvault secret list-versions --vault-name "$KEY_VAULT_NAME" --name "$SIGNING_SECRET_NAME" \
    --query "reverse(sort_by([?attributes.enabled], &attributes.created))[].[id, tags.origin]" -o tsv
}

replace_bootstrap() {
  need_env
  local versions boot
  versions=$(retry enabled_versions) || die "cannot list versions of $SIGNING_SECRET_NAME"
  boot=$(awk '$2 == "bicep-bootstrap" {print $1}' <<<"$versions")
  if [[ -z $boot ]]; then
    echo "signing-key.sh: no bootstrap value to replace" >&2
    return 0
  fi
  new_version
  while read -r id; do
    [[ -n $id ]] || continue
    az keyvault secret set-attributes --id "$id" --enabled false -o none
    echo "signing-key.sh: disabled bootstrap version ${id##*/}" >&2
  done <<<"$boot"
}

disable_old() {
  need_env
  local versions
  versions=$(retry enabled_versions) || die "cannot list versions of $SIGNING_SECRET_NAME"
  tail -n +2 <<<"$versions" | while read -r id _; do
    [[ -n $id ]] || continue
    az keyvault secret set-attributes --id "$id" --enabled false -o none
    echo "signing-key.sh: disabled version ${id##*/}" >&2
  done
}

azd_preprovision() {
  local create=true
  if [[ -n ${KEY_VAULT_NAME:-} ]] && az keyvault show --name "$KEY_VAULT_NAME" -o none 2>/dev/null; then
    if exists "$KEY_VAULT_NAME" "${SIGNING_SECRET_NAME:-session-signing-key}"; then
      create=false
    fi
  fi
  azd env set PRICELINE_CREATE_SIGNING_SECRET "$create"
}

case ${1:-} in
exists)
  [[ $# -eq 3 ]] || die "usage: signing-key.sh exists VAULT NAME"
  exists "$2" "$3"
  ;;
replace-bootstrap) replace_bootstrap ;;
rotate)
  need_env
  new_version
  cat >&2 <<'MSG'
signing-key.sh: the new version signs new sessions within 5 minutes; old
versions still verify. After 5 minutes plus PRICELINE_SESSION_LIFETIME (12h by
default), run `signing-key.sh disable-old`.
MSG
  ;;
disable-old) disable_old ;;
azd-preprovision) azd_preprovision ;;
*) die "usage: signing-key.sh exists|replace-bootstrap|rotate|disable-old|azd-preprovision" ;;
esac

#!/usr/bin/env bash
# deploy.sh provisions infra/main.bicep into a resource group with the az CLI,
# replaces the bootstrap signing key, stages the app with `make app` and
# zip-deploys dist/functionapp. It is what `make deploy` runs; `azd up` does
# the same through azure.yaml. It has not been run against Azure from this
# repository's machines (no Azure access there): see docs/deploy.md.
#
#   AZURE_ENV_NAME=dev AZURE_LOCATION=eastus2 infra/deploy.sh
#
# Optional: AZURE_RESOURCE_GROUP (default rg-priceline-$AZURE_ENV_NAME),
# AZURE_SUBSCRIPTION_ID, AZURE_PRINCIPAL_ID/AZURE_PRINCIPAL_TYPE (default: the
# signed-in identity), PRICELINE_CUSTOM_ORIGIN and the PRICELINE_B2C_* values
# named in infra/main.parameters.json.
set -euo pipefail
cd "$(dirname "$0")/.."

die() { echo "deploy.sh: $*" >&2; exit 1; }

: "${AZURE_ENV_NAME:?set AZURE_ENV_NAME, for example dev}"
: "${AZURE_LOCATION:?set AZURE_LOCATION to a region that offers Flex Consumption, for example eastus2}"
[[ $AZURE_ENV_NAME =~ ^[a-z0-9]{1,20}$ ]] || die "AZURE_ENV_NAME must be 1-20 lowercase letters and digits"
rg=${AZURE_RESOURCE_GROUP:-rg-priceline-$AZURE_ENV_NAME}
deployment=priceline-$AZURE_ENV_NAME

command -v az >/dev/null || die "the az CLI is required"
if [[ -n ${AZURE_SUBSCRIPTION_ID:-} ]]; then az account set --subscription "$AZURE_SUBSCRIPTION_ID"; fi
az account show -o none 2>/dev/null || die "run az login first"

# The deployer gets Key Vault Secrets Officer so this script can replace and
# later rotate the signing key.
if [[ -z ${AZURE_PRINCIPAL_ID:-} ]]; then
  if [[ $(az account show --query user.type -o tsv) == user ]]; then
    AZURE_PRINCIPAL_ID=$(az ad signed-in-user show --query id -o tsv)
    AZURE_PRINCIPAL_TYPE=User
  else
    AZURE_PRINCIPAL_ID=$(az ad sp show --id "$(az account show --query user.name -o tsv)" --query id -o tsv)
    AZURE_PRINCIPAL_TYPE=ServicePrincipal
  fi
fi
export AZURE_ENV_NAME AZURE_LOCATION AZURE_PRINCIPAL_ID AZURE_PRINCIPAL_TYPE

# render_parameters substitutes ${NAME} and ${NAME=default} from the
# environment, as azd does, so both tools read the same parameters file.
render_parameters() {
  local text name value
  text=$(<"$1")
  while [[ $text =~ \$\{([A-Za-z_][A-Za-z0-9_]*)(=([^}]*))?\} ]]; do
    name=${BASH_REMATCH[1]}
    value=${!name-${BASH_REMATCH[3]}}
    value=${value//\\/\\\\}
    value=${value//\"/\\\"}
    text=${text//"${BASH_REMATCH[0]}"/$value}
  done
  printf '%s\n' "$text"
}

az group create --name "$rg" --location "$AZURE_LOCATION" --tags "azd-env-name=$AZURE_ENV_NAME" -o none

# Bicep creates the signing secret only when it does not exist yet: its
# bootstrap value is new on every deployment and would otherwise add a
# version (and the newest version signs).
create=true
vault=$(az keyvault list --resource-group "$rg" --query "[?tags.\"azd-env-name\"=='$AZURE_ENV_NAME'] | [0].name" -o tsv)
if [[ -n $vault ]]; then
  status=0
  infra/signing-key.sh exists "$vault" "${SIGNING_SECRET_NAME:-session-signing-key}" || status=$?
  case $status in
  0) create=false ;;
  1) ;;
  *) die "cannot tell whether $vault holds the signing secret; refusing to deploy a second bootstrap key" ;;
  esac
fi

params=$(mktemp)
trap 'rm -f "$params"' EXIT
render_parameters infra/main.parameters.json >"$params"
echo "deploy.sh: deploying infra/main.bicep to $rg (createSigningSecret=$create)" >&2
az deployment group create --resource-group "$rg" --name "$deployment" \
  --template-file infra/main.bicep --parameters @"$params" --parameters createSigningSecret="$create" -o none

output() {
  az deployment group show --resource-group "$rg" --name "$deployment" --query "properties.outputs.$1.value" -o tsv
}
KEY_VAULT_NAME=$(output KEY_VAULT_NAME)
SIGNING_SECRET_NAME=$(output SIGNING_SECRET_NAME)
app=$(output FUNCTION_APP_NAME)
app_url=$(output APP_URL)
public_url=$(output PUBLIC_URL)
export KEY_VAULT_NAME SIGNING_SECRET_NAME

infra/signing-key.sh replace-bootstrap

make app
zip=$(mktemp -d)/functionapp.zip
if command -v zip >/dev/null; then
  (cd dist/functionapp && zip -qr "$zip" .)
else
  (cd dist/functionapp && python3 -m zipfile -c "$zip" ./*)
fi
echo "deploy.sh: zip-deploying dist/functionapp to $app" >&2
# shellcheck source=infra/zip-deploy.sh
. infra/zip-deploy.sh
zip_deploy "$rg" "$app" "$zip"
rm -f "$zip"

echo "App:   $app_url"
echo "Vault: $(output KEY_VAULT_URI)"
if [[ -z ${PRICELINE_CUSTOM_ORIGIN:-} && $app_url != "$public_url" ]]; then
  echo "deploy.sh: warning: the app's host name ($app_url) differs from PRICELINE_PUBLIC_URL ($public_url);" >&2
  echo "deploy.sh: set PRICELINE_CUSTOM_ORIGIN=$app_url and run again." >&2
fi

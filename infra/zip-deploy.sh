# zip-deploy.sh is sourced by infra/deploy.sh (and by the tests in
# functions/internal/infratest). It holds zip_deploy, which publishes a
# package to a Flex Consumption app and waits out the new role assignment.
#
# Why the wait: Flex's publish stores the package in the deployment blob
# container with the app's own managed identity, which gets Storage Blob
# Data Owner in the same deployment. Azure role assignments can take several
# minutes to take effect ("Troubleshoot Azure RBAC": changes can take up to
# 10 minutes to be picked up; https://learn.microsoft.com/azure/role-based-access-control/troubleshooting),
# and until then the publish fails with BlobUploadFailedException
# (403 AuthorizationPermissionMismatch). Only that failure is retried, with
# doubling delays, for at most DEPLOY_RETRY_SECONDS (default 600) and
# DEPLOY_RETRY_ATTEMPTS (default 20); any other failure stops at once.

# role_not_yet_effective reports whether az's output is the publish failing
# because the app's identity cannot write the deployment container yet.
role_not_yet_effective() {
  [[ $1 == *BlobUploadFailedException* || $1 == *AuthorizationPermissionMismatch* ||
    $1 == *"not authorized to perform this operation using this permission"* ]]
}

# zip_deploy RESOURCE_GROUP APP ZIP
zip_deploy() {
  local rg=$1 app=$2 zip=$3
  local limit=${DEPLOY_RETRY_SECONDS:-600} attempts=${DEPLOY_RETRY_ATTEMPTS:-20}
  local delay=${DEPLOY_RETRY_FIRST_DELAY:-10} max_delay=${DEPLOY_RETRY_MAX_DELAY:-60}
  local start=$SECONDS attempt=1 out status elapsed
  while :; do
    status=0
    out=$(az functionapp deployment source config-zip --resource-group "$rg" --name "$app" --src "$zip" -o none 2>&1) || status=$?
    if ((status == 0)); then
      [[ -z $out ]] || printf '%s\n' "$out" >&2
      return 0
    fi
    printf '%s\n' "$out" >&2
    if ! role_not_yet_effective "$out"; then
      echo "deploy.sh: zip deploy to $app failed (exit $status); this is not the role-assignment delay, so not retrying" >&2
      return "$status"
    fi
    elapsed=$((SECONDS - start))
    if ((attempt >= attempts || elapsed + delay > limit)); then
      echo "deploy.sh: gave up after $attempt attempts in ${elapsed}s: $app's managed identity still cannot write" >&2
      echo "deploy.sh: the deployment container. Check its Storage Blob Data Owner role assignment, then run make deploy again." >&2
      return "$status"
    fi
    echo "deploy.sh: attempt $attempt: waiting for the Storage Blob Data Owner role of $app's managed identity to take effect" >&2
    echo "deploy.sh: (new role assignments can take minutes); retrying in ${delay}s, giving up after ${limit}s" >&2
    sleep "$delay"
    attempt=$((attempt + 1))
    delay=$((delay * 2 > max_delay ? max_delay : delay * 2))
  done
}

# The organization membership of the account the aliased provider signs in as (the member
# account's own credentials), ready to import with `terraform query -generate-config-out=...`.
list "tether_organization_membership" "finance_prod" {
  provider = tether.finance_prod
}

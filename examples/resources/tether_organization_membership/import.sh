# <organization_id>, with the provider configured with the member account's credentials.
# The import records handshake_id = null. If the configuration names the invitation the account
# accepted to join this organization, the next plan records it in place and calls nothing; an
# invitation that is pending, or for another organization, replaces the membership (leaves first).
terraform import tether_organization_membership.new_acquisition o-tether0001

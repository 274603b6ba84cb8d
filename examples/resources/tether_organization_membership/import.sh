# <organization_id>, with the provider configured with the member account's credentials.
# An imported membership has no invitation to accept: leave handshake_id out of its
# configuration, or the plan replaces it, which leaves the organization.
terraform import tether_organization_membership.new_acquisition o-tether0001

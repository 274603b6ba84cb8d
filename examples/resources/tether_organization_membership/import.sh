# <organization_id>, with the provider configured for the member account
terraform import tether_organization_membership.new_acquisition o-tether0001

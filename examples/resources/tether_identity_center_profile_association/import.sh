# <instance_id>/<USER|GROUP>/<principal_id>
terraform import tether_identity_center_profile_association.admins ins-tether00000001/GROUP/g-admins

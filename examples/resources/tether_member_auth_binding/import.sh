# <member_uin>/<policy_id>/<org_sub_account_uin>
terraform import tether_member_auth_binding.alice_finance_admin 100000000101/1001/200000000001

# Tencent's own form, <policy_id>#<member_uin>#<org_sub_account_uin>, is accepted too.
terraform import tether_member_auth_binding.alice_finance_admin '1001#100000000101#200000000001'

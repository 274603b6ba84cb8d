"""Cross-check of tether-emulator against Tencent Cloud's official Python SDK.

The SDK signs every request itself (TC3-HMAC-SHA256), so these tests prove that the emulator
verifies signatures the way the real service does, and that its answers deserialize into the
SDK's models.

Run after `cargo build -p tether-emulator`:

    python3 -m venv .venv && .venv/bin/pip install -r tests/sdk/requirements.txt
    .venv/bin/pytest tests/sdk -q

The emulator binary is `$TETHER_EMULATOR_BIN`, default `target/debug/tether-emulator`.
"""

import json
import os

import pytest
from emulator import admin, running_emulator
from tencentcloud.common import credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.organization.v20210331 import models, organization_client


# The emulator's documented fixture (emulator/README.md).
SECRET_ID = "AKIDtetheremulator00000000000000000"
SECRET_KEY = "tether-emulator-tencent-secret-key"
TEMP_SECRET_ID = "AKIDtethertemporary0000000000000000"
TEMP_SECRET_KEY = "tether-emulator-tencent-temp-key"
TEMP_TOKEN = "tether-emulator-tencent-token"
MEMBER = 100000000101
MEMBER_WITH_BILLING = 100000000102
ADMIN_POLICY = 1001
ALICE, BOB = 200000000001, 200000000002

# Everything here talks to loopback. The SDK's NO_PROXY check compares "host:port" against the
# variable as a substring, so a configured proxy would capture these requests: drop it.
for _var in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
    os.environ.pop(_var, None)


@pytest.fixture(scope="module")
def emulator_address():
    with running_emulator() as address:
        yield address


@pytest.fixture
def address(emulator_address):
    """A freshly reset emulator for each test."""
    admin(emulator_address, "POST", "reset", {})
    return emulator_address


def client(address, secret_id=SECRET_ID, secret_key=SECRET_KEY, token=None, method="POST"):
    # endpoint is "host:port" without a scheme: the SDK prefixes protocol:// and signs exactly this
    # value as the Host header, which is also what it sends.
    http_profile = HttpProfile(endpoint=address, protocol="http", reqMethod=method, reqTimeout=10)
    return organization_client.OrganizationClient(
        credential.Credential(secret_id, secret_key, token), "", ClientProfile(httpProfile=http_profile)
    )


def bind(org, member, policy, subs):
    req = models.BindOrganizationMemberAuthAccountRequest()
    req.MemberUin, req.PolicyId, req.OrgSubAccountUins = member, policy, subs
    return org.BindOrganizationMemberAuthAccount(req)


def cancel(org, member, policy, sub):
    req = models.CancelOrganizationMemberAuthAccountRequest()
    req.MemberUin, req.PolicyId, req.OrgSubAccountUin = member, policy, sub
    return org.CancelOrganizationMemberAuthAccount(req)


def describe(org, member, policy, offset=0, limit=10):
    req = models.DescribeOrganizationMemberAuthAccountsRequest()
    req.MemberUin, req.PolicyId, req.Offset, req.Limit = member, policy, offset, limit
    return org.DescribeOrganizationMemberAuthAccounts(req)


def policies(org, member, search_key=None):
    req = models.DescribeOrganizationMemberPoliciesRequest()
    req.MemberUin, req.Offset, req.Limit = member, 0, 10
    if search_key is not None:
        req.SearchKey = search_key
    return org.DescribeOrganizationMemberPolicies(req)


def members(org, offset=0, limit=10, search_key=None):
    req = models.DescribeOrganizationMembersRequest()
    req.Offset, req.Limit = offset, limit
    if search_key is not None:
        req.SearchKey = search_key
    return org.DescribeOrganizationMembers(req)


def test_organization_members_are_listed_in_pages(address):
    org = client(address)
    listed = members(org)
    assert listed.Total == 3
    assert [m.MemberUin for m in listed.Items] == [MEMBER, MEMBER_WITH_BILLING, 100000000103]
    assert [m.Name for m in listed.Items] == ["finance-prod", "data-platform", "sandbox"]
    assert listed.RequestId

    # Offset is a multiple of Limit; Total counts every member, whatever the page holds.
    second = members(org, offset=2, limit=2)
    assert (second.Total, [m.MemberUin for m in second.Items]) == (3, [100000000103])
    assert members(org, offset=50, limit=50).Items == []
    assert [m.MemberUin for m in members(org, search_key="DATA").Items] == [MEMBER_WITH_BILLING]

    for offset, limit in [(0, 51), (0, 0), (1, 2)]:
        with pytest.raises(TencentCloudSDKException) as raised:
            members(org, offset=offset, limit=limit)
        assert raised.value.get_code() == "InvalidParameter"
        assert raised.value.get_request_id()

    # The same through a signed GET, whose parameters arrive as strings in the query.
    assert members(client(address, method="GET"), offset=0, limit=50).Total == 3
    calls = admin(address, "GET", "calls?action=DescribeOrganizationMembers")
    assert calls[0]["params"] == {"Offset": 0, "Limit": 10}
    assert calls[-1]["params"] == {"Offset": "0", "Limit": "50"}


def test_bind_describe_cancel_lifecycle(address):
    org = client(address)

    listed = policies(org, MEMBER_WITH_BILLING)
    assert listed.Total == 3
    by_id = {p.PolicyId: p for p in listed.Items}
    assert sorted(by_id) == [1001, 1002, 1003]
    admin_policy = by_id[ADMIN_POLICY]
    assert admin_policy.PolicyName == "admin-access"
    assert admin_policy.IdentityId == 1
    assert admin_policy.IdentityRoleName == "OrganizationAccessControlRole"
    assert admin_policy.IdentityRoleAliasName == "admin"
    assert admin_policy.Description and admin_policy.CreateTime and admin_policy.UpdateTime
    assert policies(org, MEMBER_WITH_BILLING, search_key="billing").Total == 1

    bound = bind(org, MEMBER, ADMIN_POLICY, [ALICE, BOB])
    assert bound.RequestId

    accounts = describe(org, MEMBER, ADMIN_POLICY)
    assert accounts.Total == 2
    assert [a.OrgSubAccountUin for a in accounts.Items] == [ALICE, BOB]
    alice = accounts.Items[0]
    assert alice.OrgSubAccountName == "ops-alice"
    assert alice.PolicyId == ADMIN_POLICY
    assert alice.PolicyName == "admin-access"
    assert alice.IdentityId == 1
    assert alice.IdentityRoleName == "OrganizationAccessControlRole"
    assert alice.IdentityRoleAliasName == "admin"
    assert len(alice.CreateTime) == len("2021-07-14 21:00:59") and alice.UpdateTime == alice.CreateTime
    assert accounts.Items[1].OrgSubAccountName == "ops-bob"

    cancel(org, MEMBER, ADMIN_POLICY, ALICE)
    accounts = describe(org, MEMBER, ADMIN_POLICY)
    assert accounts.Total == 1
    assert [a.OrgSubAccountUin for a in accounts.Items] == [BOB]

    calls = admin(address, "GET", "calls?cloud=tencent")
    actions = [c["action"] for c in calls]
    assert actions == [
        "DescribeOrganizationMemberPolicies",
        "DescribeOrganizationMemberPolicies",
        "BindOrganizationMemberAuthAccount",
        "DescribeOrganizationMemberAuthAccounts",
        "CancelOrganizationMemberAuthAccount",
        "DescribeOrganizationMemberAuthAccounts",
    ]
    assert all(c["status"] == "ok" for c in calls)
    cancel_call = calls[4]
    assert cancel_call["params"] == {"MemberUin": MEMBER, "PolicyId": ADMIN_POLICY, "OrgSubAccountUin": ALICE}
    assert SECRET_KEY not in json.dumps(calls)


def test_service_errors_surface_as_sdk_exceptions(address):
    org = client(address)
    bind(org, MEMBER, ADMIN_POLICY, [ALICE])
    cases = [
        (lambda: bind(org, MEMBER, ADMIN_POLICY, [ALICE]), "FailedOperation.SubAccountIdentityExist"),
        (lambda: bind(org, MEMBER, 1003, [BOB]), "ResourceNotFound.MemberPolicyNotExist"),
        (lambda: bind(org, 100000000999, ADMIN_POLICY, [BOB]), "ResourceNotFound.MemberNotExist"),
        (lambda: bind(org, MEMBER, ADMIN_POLICY, [299999999999]), "FailedOperation.SubAccountNotExist"),
        (lambda: cancel(org, MEMBER, ADMIN_POLICY, BOB), "FailedOperation.SubAccountNotExist"),
        (lambda: describe(org, MEMBER, ADMIN_POLICY, limit=51), "InvalidParameter"),
    ]
    for call, code in cases:
        with pytest.raises(TencentCloudSDKException) as raised:
            call()
        assert raised.value.get_code() == code
        assert raised.value.get_request_id()


def test_wrong_secret_key_is_a_signature_failure(address):
    org = client(address, secret_key="definitely-not-the-key")
    with pytest.raises(TencentCloudSDKException) as raised:
        policies(org, MEMBER)
    assert raised.value.get_code() == "AuthFailure.SignatureFailure"

    org = client(address, secret_id="AKIDunknown0000000000000000000000000")
    with pytest.raises(TencentCloudSDKException) as raised:
        policies(org, MEMBER)
    assert raised.value.get_code() == "AuthFailure.SecretIdNotFound"


def test_temporary_credentials_need_the_right_token(address):
    org = client(address, TEMP_SECRET_ID, TEMP_SECRET_KEY, token=TEMP_TOKEN)
    assert policies(org, MEMBER).Total == 2

    org = client(address, TEMP_SECRET_ID, TEMP_SECRET_KEY, token="a-stale-token")
    with pytest.raises(TencentCloudSDKException) as raised:
        policies(org, MEMBER)
    assert raised.value.get_code() == "AuthFailure.TokenFailure"


def test_get_requests_are_signed_and_served(address):
    org = client(address, method="GET")
    bind(org, MEMBER_WITH_BILLING, 1003, [ALICE, BOB])
    accounts = describe(org, MEMBER_WITH_BILLING, 1003)
    assert [a.OrgSubAccountUin for a in accounts.Items] == [ALICE, BOB]
    assert accounts.Items[0].PolicyName == "billing"
    cancel(org, MEMBER_WITH_BILLING, 1003, BOB)
    assert describe(org, MEMBER_WITH_BILLING, 1003).Total == 1
    # GET parameters arrive as strings in the flattened query; the log shows them un-flattened.
    bind_call = admin(address, "GET", "calls?action=BindOrganizationMemberAuthAccount")[0]
    assert bind_call["params"]["OrgSubAccountUins"] == [str(ALICE), str(BOB)]


def test_throttling_and_dropped_connections(address):
    org = client(address)
    admin(address, "POST", "faults", {"cloud": "tencent", "action": "DescribeOrganizationMemberPolicies", "kind": "throttle"})
    with pytest.raises(TencentCloudSDKException) as raised:
        policies(org, MEMBER)
    assert raised.value.get_code() == "RequestLimitExceeded"

    # drop_after: the cancel happens, but the SDK only sees a network error.
    bind(org, MEMBER, ADMIN_POLICY, [ALICE])
    admin(address, "POST", "faults", {"cloud": "tencent", "action": "CancelOrganizationMemberAuthAccount", "kind": "drop_after"})
    with pytest.raises(TencentCloudSDKException) as raised:
        cancel(org, MEMBER, ADMIN_POLICY, ALICE)
    assert raised.value.get_code() == "ClientNetworkError"
    assert describe(org, MEMBER, ADMIN_POLICY).Total == 0

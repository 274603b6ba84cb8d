"""Cross-check of tether-emulator against Huawei Cloud's official Python SDKs.

The SDKs sign every request themselves (SDK-HMAC-SHA256, with X-Domain-Id for the global services
and X-Project-Id for RGC), so these tests prove that the emulator verifies signatures the way the
API gateway does, and that its answers deserialize into the SDKs' models: Organizations (member
side and invitations), RGC (asynchronous enroll / un-enroll), IAM Identity Center (asynchronous
account assignments and DisassociateProfile), and the IAM lookups the SDKs use to discover ids.

Run after `cargo build -p tether-emulator`:

    python3 -m venv .venv && .venv/bin/pip install -r tests/sdk/requirements.txt
    .venv/bin/pytest tests/sdk -q

The emulator binary is `$TETHER_EMULATOR_BIN`, default `target/debug/tether-emulator`.
"""

import json
import os
import time

import pytest
from emulator import admin, running_emulator
from huaweicloudsdkcore.auth.credentials import BasicCredentials, GlobalCredentials
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkcore.http.http_config import HttpConfig
from huaweicloudsdkcore.region.region import Region
from huaweicloudsdkidentitycenter.v1 import (
    CreateAccountAssignmentReqBody,
    CreateAccountAssignmentRequest,
    DescribeAccountAssignmentCreationStatusRequest,
    DisassociateProfileReqBody,
    DisassociateProfileRequest,
    IdentityCenterClient,
    ListAccountAssignmentsForPrincipalRequest,
    ListInstancesRequest,
)
from huaweicloudsdkorganizations.v1 import (
    AcceptHandshakeRequest,
    LeaveOrganizationRequest,
    ListReceivedHandshakesRequest,
    OrganizationsClient,
    ShowOrganizationRequest,
)
from huaweicloudsdkrgc.v1 import (
    EnrollAccountRequest,
    EnrollAccountRequestBody,
    RgcClient,
    ShowManagedAccountRequest,
    ShowOperationRequest,
    UnEnrollAccountRequest,
)


# The emulator's documented fixture (emulator/README.md).
MANAGEMENT = "0a5f1c2e9b7d4e3f8a6c1b2d3e4f5a60"
FINANCE_PROD = "1b6e2d3f0c8e4f5a9b7d2c3e4f5a6b71"
DATA_PLATFORM = "2c7f3e4a1d9f4a6b8c8e3d4f5a6b7c82"
NEW_ACQUISITION = "3d8a4f5b2e0a4b7c9d9f4e5a6b7c8d93"
MANAGEMENT_PROJECT = "5f0c6b7d4a2c4d9e8f1b6a7c8d9e0fb5"
KEYS = {
    MANAGEMENT: ("HWTETHERMANAGEMENT01", "tether-emulator-huawei-management-sk"),
    FINANCE_PROD: ("HWTETHERFINANCEPROD1", "tether-emulator-huawei-finance-prod-sk"),
    DATA_PLATFORM: ("HWTETHERDATAPLATFRM1", "tether-emulator-huawei-data-platform-sk"),
    NEW_ACQUISITION: ("HWTETHERNEWACQUISIT1", "tether-emulator-huawei-new-acquisition-sk"),
}
ORGANIZATION = "o-tether0001"
HANDSHAKE = "h-7c1e0a9b2d4f4e6a"
INSTANCE = "ins-tether00000001"
IDENTITY_STORE = "d-tether00001"

# Short asynchronous jobs keep the test fast while still being observed in progress.
OPERATION_MS = 800
ASSIGNMENT_MS = 400

for _var in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
    os.environ.pop(_var, None)


@pytest.fixture(scope="module")
def emulator_address():
    with running_emulator("--huawei-operation-ms", str(OPERATION_MS), "--huawei-assignment-ms", str(ASSIGNMENT_MS)) as address:
        yield address


@pytest.fixture
def address(emulator_address):
    """A freshly reset emulator for each test."""
    admin(emulator_address, "POST", "reset", {})
    return emulator_address


def http_config():
    config = HttpConfig.get_default_config()
    config.ignore_ssl_verification = True
    config.timeout = 10
    return config


def build(client_class, credentials, address):
    # An explicit http:// endpoint: the builder keeps the scheme and the SDK signs "host:port".
    return (
        client_class.new_builder()
        .with_credentials(credentials)
        .with_endpoints([f"http://{address}"])
        .with_http_config(http_config())
        .build()
    )


def organizations(address, account, sk=None):
    ak, secret = KEYS[account]
    return build(OrganizationsClient, GlobalCredentials(ak, sk or secret, account), address)


def rgc(address):
    ak, sk = KEYS[MANAGEMENT]
    return build(RgcClient, BasicCredentials(ak, sk, MANAGEMENT_PROJECT), address)


def identity_center(address):
    ak, sk = KEYS[MANAGEMENT]
    return build(IdentityCenterClient, GlobalCredentials(ak, sk, MANAGEMENT), address)


def poll(fetch, status_of, timeout=10.0):
    """Calls fetch() until status_of(answer) is not IN_PROGRESS; returns every answer seen."""
    seen = []
    deadline = time.monotonic() + timeout
    while True:
        answer = fetch()
        seen.append(answer)
        if status_of(answer) != "IN_PROGRESS":
            return seen
        assert time.monotonic() < deadline, "the job never finished"
        time.sleep(0.05)


def calls(address, action):
    return admin(address, "GET", f"calls?cloud=huawei&action={action}")


def test_membership_invitation_and_leave(address):
    shown = organizations(address, FINANCE_PROD).show_organization(ShowOrganizationRequest())
    assert shown.organization.id == ORGANIZATION
    assert shown.organization.management_account_id == MANAGEMENT
    assert shown.organization.management_account_name == "tether-management"
    assert shown.organization.urn == f"organizations::{MANAGEMENT}:organization:{ORGANIZATION}"

    invitee = organizations(address, NEW_ACQUISITION)
    with pytest.raises(ClientRequestException) as raised:
        invitee.show_organization(ShowOrganizationRequest())
    assert (raised.value.status_code, raised.value.error_code) == (401, "Organizations.1015")

    received = invitee.list_received_handshakes(ListReceivedHandshakesRequest(limit=10))
    assert [h.id for h in received.handshakes] == [HANDSHAKE]
    assert received.page_info.current_count == 1 and received.page_info.next_marker is None
    pending = received.handshakes[0]
    assert pending.status == "pending"
    assert pending.organization_id == ORGANIZATION
    assert pending.target.type == "account" and pending.target.entity == NEW_ACQUISITION

    accepted = invitee.accept_handshake(AcceptHandshakeRequest(handshake_id=HANDSHAKE))
    assert accepted.handshake.status == "accepted"
    assert invitee.show_organization(ShowOrganizationRequest()).organization.id == ORGANIZATION

    left = invitee.leave_organization(LeaveOrganizationRequest())
    assert left.status_code == 200
    with pytest.raises(ClientRequestException) as raised:
        invitee.show_organization(ShowOrganizationRequest())
    assert raised.value.error_code == "Organizations.1015"
    assert raised.value.request_id

    with pytest.raises(ClientRequestException) as raised:
        organizations(address, MANAGEMENT).leave_organization(LeaveOrganizationRequest())
    assert (raised.value.status_code, raised.value.error_code) == (403, "Organizations.1007")

    leave = [c for c in calls(address, "LeaveOrganization") if c["status"] == "ok"]
    assert len(leave) == 1
    assert leave[0]["service"] == "organizations"
    assert leave[0]["params"] == {}
    accept = calls(address, "AcceptHandshake")[0]
    assert accept["params"] == {"handshake_id": HANDSHAKE}


def test_enroll_poll_and_un_enroll(address):
    client = rgc(address)
    enrolled = client.enroll_account(
        EnrollAccountRequest(
            managed_account_id=DATA_PLATFORM,
            body=EnrollAccountRequestBody(parent_organizational_unit_id="ou-tether-sandbox"),
        )
    )
    operation_id = enrolled.operation_id
    assert operation_id

    during = client.show_managed_account(ShowManagedAccountRequest(managed_account_id=DATA_PLATFORM))
    assert during.state == "ENROLLING"
    seen = poll(
        lambda: client.show_operation(ShowOperationRequest(operation_id=operation_id)),
        lambda op: op.status,
    )
    assert seen[0].status == "IN_PROGRESS"
    done = seen[-1]
    assert done.status == "SUCCEEDED" and done.percentage_complete == 100
    assert [d.percentage_status for d in done.percentage_details] == ["SUCCEEDED"] * 4

    account = client.show_managed_account(ShowManagedAccountRequest(managed_account_id=DATA_PLATFORM))
    assert account.state == "ENROLLED"
    assert account.account_id == DATA_PLATFORM and account.account_name == "data-platform"
    assert account.parent_organizational_unit_id == "ou-tether-sandbox"
    assert account.parent_organizational_unit_name == "Sandbox"
    assert account.manage_account_id == MANAGEMENT
    assert account.landing_zone_version == "v1.0.0"
    assert account.owner == "CUSTOM" and account.account_type == "MEMBER"
    assert [(r.region, r.region_status) for r in account.regions] == [("cn-north-4", "available")]

    un_enrolled = client.un_enroll_account(UnEnrollAccountRequest(managed_account_id=DATA_PLATFORM))
    seen = poll(
        lambda: client.show_operation(ShowOperationRequest(operation_id=un_enrolled.operation_id)),
        lambda op: op.status,
    )
    assert seen[-1].status == "SUCCEEDED"
    with pytest.raises(ClientRequestException) as raised:
        client.show_managed_account(ShowManagedAccountRequest(managed_account_id=DATA_PLATFORM))
    assert (raised.value.status_code, raised.value.error_code) == (404, "RGC.404")

    with pytest.raises(ClientRequestException) as raised:
        client.enroll_account(
            EnrollAccountRequest(
                managed_account_id=FINANCE_PROD,
                body=EnrollAccountRequestBody(parent_organizational_unit_id="ou-tether-sandbox"),
            )
        )
    assert (raised.value.status_code, raised.value.error_code) == (400, "RGC.1202")

    enroll = calls(address, "EnrollAccount")[0]
    assert enroll["service"] == "rgc"
    assert enroll["params"] == {
        "managed_account_id": DATA_PLATFORM,
        "parent_organizational_unit_id": "ou-tether-sandbox",
    }
    un_enroll = calls(address, "UnEnrollAccount")
    assert [c["params"] for c in un_enroll] == [{"managed_account_id": DATA_PLATFORM}]
    assert un_enroll[0]["status"] == "ok"


def test_assignment_then_disassociate_profile(address):
    client = identity_center(address)
    instances = client.list_instances(ListInstancesRequest())
    assert [(i.instance_id, i.identity_store_id, i.alias) for i in instances.instances] == [
        (INSTANCE, IDENTITY_STORE, "tether")
    ]

    created = client.create_account_assignment(
        CreateAccountAssignmentRequest(
            instance_id=INSTANCE,
            body=CreateAccountAssignmentReqBody(
                permission_set_id="ps-readonly",
                principal_id="g-auditors",
                principal_type="GROUP",
                target_id=FINANCE_PROD,
                target_type="ACCOUNT",
            ),
        )
    )
    status = created.account_assignment_creation_status
    assert status.status == "IN_PROGRESS"
    assert isinstance(status.created_date, int)
    seen = poll(
        lambda: client.describe_account_assignment_creation_status(
            DescribeAccountAssignmentCreationStatusRequest(instance_id=INSTANCE, request_id=status.request_id)
        ),
        lambda answer: answer.account_assignment_creation_status.status,
    )
    assert seen[-1].account_assignment_creation_status.status == "SUCCEEDED"

    def assignments():
        return client.list_account_assignments_for_principal(
            ListAccountAssignmentsForPrincipalRequest(
                instance_id=INSTANCE, principal_id="g-auditors", principal_type="GROUP"
            )
        ).account_assignments

    listed = assignments()
    assert [(a.account_id, a.permission_set_id, a.principal_id, a.principal_type) for a in listed] == [
        (FINANCE_PROD, "ps-readonly", "g-auditors", "GROUP")
    ]

    done = client.disassociate_profile(
        DisassociateProfileRequest(
            instance_id=INSTANCE,
            body=DisassociateProfileReqBody(id="g-auditors", accessor_type="GROUP", identity_store_id=IDENTITY_STORE),
        )
    )
    assert done.status_code == 200
    assert assignments() == []

    with pytest.raises(ClientRequestException) as raised:
        client.disassociate_profile(
            DisassociateProfileRequest(
                instance_id=INSTANCE,
                body=DisassociateProfileReqBody(id="g-auditors", accessor_type="GROUP", identity_store_id="d-other"),
            )
        )
    assert (raised.value.status_code, raised.value.error_code) == (400, "IdentityCenter.400")

    create = calls(address, "CreateAccountAssignment")[0]
    assert create["service"] == "identitycenter"
    assert create["params"] == {
        "instance_id": INSTANCE,
        "permission_set_id": "ps-readonly",
        "principal_id": "g-auditors",
        "principal_type": "GROUP",
        "target_id": FINANCE_PROD,
        "target_type": "ACCOUNT",
    }
    disassociate = calls(address, "DisassociateProfile")
    assert disassociate[0]["status"] == "ok"
    assert disassociate[0]["params"] == {
        "instance_id": INSTANCE,
        "id": "g-auditors",
        "accessor_type": "GROUP",
        "identity_store_id": IDENTITY_STORE,
    }
    assert disassociate[1]["error_code"] == "IdentityCenter.400"


def test_wrong_secret_key_is_apigw_0301(address):
    client = organizations(address, FINANCE_PROD, sk="definitely-not-the-key")
    with pytest.raises(ClientRequestException) as raised:
        client.show_organization(ShowOrganizationRequest())
    assert raised.value.status_code == 401
    assert raised.value.error_code == "APIGW.0301"
    assert raised.value.error_msg.startswith("Incorrect IAM authentication information: verify aksk signature fail")
    assert raised.value.request_id
    log = json.dumps(admin(address, "GET", "calls?cloud=huawei"))
    assert "definitely-not-the-key" not in log and "tether-emulator-huawei" not in log


def test_sdk_discovers_domain_and_project_ids_through_iam(address):
    # No ids in the credentials: the SDK asks IAM (GET /v3/auth/domains, GET /v3/projects?name=).
    region = Region("cn-north-4", f"http://{address}")
    ak, sk = KEYS[FINANCE_PROD]
    credentials = GlobalCredentials(ak, sk).with_iam_endpoint(f"http://{address}")
    client = (
        OrganizationsClient.new_builder()
        .with_credentials(credentials)
        .with_region(region)
        .with_http_config(http_config())
        .build()
    )
    assert credentials.domain_id == FINANCE_PROD
    assert client.show_organization(ShowOrganizationRequest()).organization.id == ORGANIZATION

    ak, sk = KEYS[MANAGEMENT]
    basic = BasicCredentials(ak, sk).with_iam_endpoint(f"http://{address}")
    rgc_client = (
        RgcClient.new_builder()
        .with_credentials(basic)
        .with_region(region)
        .with_http_config(http_config())
        .build()
    )
    assert basic.project_id == MANAGEMENT_PROJECT
    account = rgc_client.show_managed_account(ShowManagedAccountRequest(managed_account_id=FINANCE_PROD))
    assert account.state == "ENROLLED"
    assert [c["action"] for c in admin(address, "GET", "calls?cloud=huawei")] == [
        "KeystoneListAuthDomains",
        "ShowOrganization",
        "KeystoneListProjects",
        "ShowManagedAccount",
    ]

//! Huawei IAM Identity Center over HTTP: asynchronous account assignments, listings, and
//! DisassociateProfile removing all of one principal's assignments.

mod common;

use std::time::Duration;

use common::*;
use serde_json::{Value, json};
use tether_emulator::Config;

fn base() -> String {
    format!("/v1/instances/{HW_INSTANCE}")
}

/// The management account as the SDK's GlobalCredentials call it (with X-Domain-Id).
fn ic(emu: &TestEmulator) -> HwClient {
    let mut client = emu.hw(HW_MGMT);
    client.domain_id = Some(HW_MGMT.into());
    client
}

fn assignment(permission_set: &str, principal: &str, principal_type: &str, account: &str) -> Value {
    json!({
        "permission_set_id": permission_set,
        "principal_id": principal,
        "principal_type": principal_type,
        "target_id": account,
        "target_type": "ACCOUNT",
    })
}

/// Creates an assignment and waits until its request has finished; returns the final status.
async fn create_and_wait(client: &HwClient, body: Value) -> Value {
    let answer = client.post(&format!("{}/account-assignments/create", base()), body).await;
    let status = answer.ok()["account_assignment_creation_status"].clone();
    let request_id = status["request_id"].as_str().unwrap().to_owned();
    let seen = hw_poll(
        client,
        &format!("{}/account-assignments/creation-status/{request_id}", base()),
        "/account_assignment_creation_status/status",
    )
    .await;
    seen.last().unwrap()["account_assignment_creation_status"].clone()
}

async fn principal_assignments(client: &HwClient, principal: &str, principal_type: &str) -> Vec<Value> {
    let answer = client
        .get(&format!(
            "{}/account-assignments-for-principals?principal_id={principal}&principal_type={principal_type}",
            base()
        ))
        .await;
    answer.ok()["account_assignments"].as_array().unwrap().clone()
}

#[tokio::test]
async fn list_instances() {
    let emu = start().await;
    let answer = ic(&emu).get("/v1/instances").await;
    assert_eq!(
        answer.ok(),
        &json!({
            "instances": [{
                "instance_id": HW_INSTANCE,
                "identity_store_id": HW_STORE,
                "alias": "tether",
                "instance_urn": format!("IdentityCenter::{HW_MGMT}:instance:{HW_INSTANCE}"),
            }],
            "page_info": {"next_marker": null, "current_count": 1},
        })
    );
    emu.hw(HW_FINANCE).get("/v1/instances").await.assert_error(403, "IdentityCenter.1001");
    ic(&emu)
        .get("/v1/instances/ins-nope/account-assignments?account_id=x")
        .await
        .assert_error(404, "IdentityCenter.404");
}

#[tokio::test]
async fn assignments_are_created_asynchronously() {
    let emu = start_with(hw_config()).await;
    let client = ic(&emu);
    let body = assignment("ps-admin", "u-alice", "USER", HW_FINANCE);
    let answer = client.post(&format!("{}/account-assignments/create", base()), body.clone()).await;
    let status = &answer.ok()["account_assignment_creation_status"];
    assert_eq!(status["status"], "IN_PROGRESS");
    assert_eq!(status["failure_reason"], Value::Null);
    assert!(status["created_date"].as_i64().unwrap() > 1_700_000_000_000);
    assert_eq!(status["permission_set_id"], "ps-admin");
    assert_eq!(status["principal_id"], "u-alice");
    assert_eq!(status["principal_type"], "USER");
    assert_eq!(status["target_id"], HW_FINANCE);
    assert_eq!(status["target_type"], "ACCOUNT");
    let request_id = status["request_id"].as_str().unwrap().to_owned();

    // Not there yet while the request is in progress; a second create is a conflict meanwhile.
    assert!(principal_assignments(&client, "u-alice", "USER").await.is_empty());
    client
        .post(&format!("{}/account-assignments/create", base()), body.clone())
        .await
        .assert_error(409, "IdentityCenter.1006");

    let seen = hw_poll(
        &client,
        &format!("{}/account-assignments/creation-status/{request_id}", base()),
        "/account_assignment_creation_status/status",
    )
    .await;
    assert_eq!(seen.last().unwrap()["account_assignment_creation_status"]["status"], "SUCCEEDED");
    assert_eq!(
        principal_assignments(&client, "u-alice", "USER").await,
        [json!({"account_id": HW_FINANCE, "permission_set_id": "ps-admin",
                "principal_id": "u-alice", "principal_type": "USER"})]
    );
    // Now a duplicate.
    client
        .post(&format!("{}/account-assignments/create", base()), body.clone())
        .await
        .assert_error(409, "IdentityCenter.1007");

    // Delete, asynchronously too.
    let answer = client.post(&format!("{}/account-assignments/delete", base()), body.clone()).await;
    let deletion = &answer.ok()["account_assignment_deletion_status"];
    assert_eq!(deletion["status"], "IN_PROGRESS");
    let deletion_id = deletion["request_id"].as_str().unwrap().to_owned();
    assert_eq!(principal_assignments(&client, "u-alice", "USER").await.len(), 1);
    let seen = hw_poll(
        &client,
        &format!("{}/account-assignments/deletion-status/{deletion_id}", base()),
        "/account_assignment_deletion_status/status",
    )
    .await;
    assert_eq!(seen.last().unwrap()["account_assignment_deletion_status"]["status"], "SUCCEEDED");
    assert!(principal_assignments(&client, "u-alice", "USER").await.is_empty());
    client.post(&format!("{}/account-assignments/delete", base()), body).await.assert_error(404, "IdentityCenter.404");
    // A creation request id is not a deletion request id.
    client
        .get(&format!("{}/account-assignments/deletion-status/{request_id}", base()))
        .await
        .assert_error(404, "IdentityCenter.404");

    let log = emu.hw_calls("CreateAccountAssignment").await;
    assert_eq!(log[0]["service"], "identitycenter");
    let mut expected = assignment("ps-admin", "u-alice", "USER", HW_FINANCE);
    expected["instance_id"] = json!(HW_INSTANCE);
    assert_eq!(log[0]["params"], expected);
}

#[tokio::test]
async fn documented_errors() {
    let emu = start().await;
    let client = ic(&emu);
    let create = format!("{}/account-assignments/create", base());
    for (body, status, code) in [
        (json!({}), 400, "IdentityCenter.400"),
        (assignment("ps-admin", "u-alice", "ROLE", HW_DATA), 400, "IdentityCenter.400"),
        (
            {
                let mut body = assignment("ps-admin", "u-alice", "USER", HW_DATA);
                body["target_type"] = json!("OU");
                body
            },
            400,
            "IdentityCenter.400",
        ),
        (assignment("ps-nope", "u-alice", "USER", HW_DATA), 404, "IdentityCenter.1205"),
        (assignment("ps-admin", "u-nobody", "USER", HW_DATA), 404, "IdentityCenter.404"),
        // A group id used as a user.
        (assignment("ps-admin", "g-admins", "USER", HW_DATA), 404, "IdentityCenter.404"),
        (assignment("ps-admin", "u-alice", "USER", HW_LONE), 404, "IdentityCenter.404"),
    ] {
        client.post(&create, body.clone()).await.assert_error(status, code);
    }
    client.get(&format!("{}/account-assignments", base())).await.assert_error(400, "IdentityCenter.400");
    for query in ["principal_id=u-alice", "principal_type=USER", "principal_id=u-alice&principal_type=ROBOT"] {
        client
            .get(&format!("{}/account-assignments-for-principals?{query}", base()))
            .await
            .assert_error(400, "IdentityCenter.400");
    }
    client
        .get(&format!("{}/account-assignments-for-principals?principal_id=u-nobody&principal_type=USER", base()))
        .await
        .assert_error(404, "IdentityCenter.404");
    client
        .get(&format!("{}/account-assignments/creation-status/nope", base()))
        .await
        .assert_error(404, "IdentityCenter.404");
    for body in [
        json!({"accessor_type": "USER", "identity_store_id": HW_STORE}),
        json!({"id": "u-alice", "identity_store_id": HW_STORE}),
        json!({"id": "u-alice", "accessor_type": "USER"}),
        json!({"id": "u-alice", "accessor_type": "USER", "identity_store_id": "d-other"}),
        json!({"id": "u-alice", "accessor_type": "ACCOUNT", "identity_store_id": HW_STORE}),
    ] {
        client.post(&format!("{}/disassociate-profile", base()), body).await.assert_error(400, "IdentityCenter.400");
    }
    client
        .post(
            &format!("{}/disassociate-profile", base()),
            json!({"id": "g-nobody", "accessor_type": "GROUP", "identity_store_id": HW_STORE}),
        )
        .await
        .assert_error(404, "IdentityCenter.404");
    // Invalid JSON.
    let resp = client.send_raw("POST", &create, b"{not json".to_vec()).await.unwrap();
    hw_answer(resp).await.assert_error(400, "IdentityCenter.400");
    assert!(emu.emulator.world().huawei.identity_center.assignment_requests.is_empty());
}

#[tokio::test]
async fn disassociate_removes_all_of_one_principals_assignments_only() {
    let emu = start_with(Config { huawei_assignment_ms: 0, ..Config::default() }).await;
    let client = ic(&emu);
    for body in [
        assignment("ps-admin", "u-alice", "USER", HW_FINANCE),
        assignment("ps-readonly", "u-alice", "USER", HW_DATA),
        assignment("ps-billing", "u-alice", "USER", HW_MGMT),
        assignment("ps-admin", "u-bob", "USER", HW_FINANCE),
        assignment("ps-readonly", "g-admins", "GROUP", HW_FINANCE),
    ] {
        assert_eq!(create_and_wait(&client, body).await["status"], "SUCCEEDED");
    }
    assert_eq!(principal_assignments(&client, "u-alice", "USER").await.len(), 3);

    // Paging through alice's assignments, two at a time.
    let path =
        format!("{}/account-assignments-for-principals?principal_id=u-alice&principal_type=USER&limit=2", base());
    let first = client.get(&path).await;
    let first = first.ok().clone();
    assert_eq!(first["account_assignments"].as_array().unwrap().len(), 2);
    let marker = first["page_info"]["next_marker"].as_str().unwrap();
    let second = client.get(&format!("{path}&marker={marker}")).await;
    assert_eq!(second.ok()["account_assignments"][0]["permission_set_id"], "ps-billing");
    assert_eq!(second.ok()["page_info"]["next_marker"], Value::Null);
    let for_account = client
        .get(&format!(
            "{}/account-assignments-for-principals?principal_id=u-alice&principal_type=USER&account_id={HW_DATA}",
            base()
        ))
        .await;
    assert_eq!(for_account.ok()["account_assignments"].as_array().unwrap().len(), 1);

    let done = client
        .post(
            &format!("{}/disassociate-profile", base()),
            json!({"id": "u-alice", "accessor_type": "USER", "identity_store_id": HW_STORE}),
        )
        .await;
    assert_eq!((done.status, &done.body), (200, &Value::Null));
    assert!(principal_assignments(&client, "u-alice", "USER").await.is_empty());
    assert_eq!(principal_assignments(&client, "u-bob", "USER").await.len(), 1);
    assert_eq!(principal_assignments(&client, "g-admins", "GROUP").await.len(), 1);

    // The finance account keeps bob's and the group's assignments.
    let listed = client.get(&format!("{}/account-assignments?account_id={HW_FINANCE}", base())).await;
    let principals: Vec<&str> = listed.ok()["account_assignments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["principal_id"].as_str().unwrap())
        .collect();
    assert_eq!(principals, ["u-bob", "g-admins"]);
    let filtered = client
        .get(&format!("{}/account-assignments?account_id={HW_FINANCE}&permission_set_id=ps-readonly", base()))
        .await;
    assert_eq!(filtered.ok()["account_assignments"].as_array().unwrap().len(), 1);

    // Again, with nothing left to remove: still 200.
    client
        .post(
            &format!("{}/disassociate-profile", base()),
            json!({"id": "u-alice", "accessor_type": "USER", "identity_store_id": HW_STORE}),
        )
        .await
        .ok();
    let log = emu.hw_calls("DisassociateProfile").await;
    assert_eq!(
        log[0]["params"],
        json!({"instance_id": HW_INSTANCE, "id": "u-alice", "accessor_type": "USER",
               "identity_store_id": HW_STORE})
    );
}

#[tokio::test]
async fn disassociate_also_stops_creations_in_flight() {
    let emu = start_with(Config { huawei_assignment_ms: 60_000, ..Config::default() }).await;
    let client = ic(&emu);
    let answer = client
        .post(&format!("{}/account-assignments/create", base()), assignment("ps-admin", "g-auditors", "GROUP", HW_DATA))
        .await;
    let request_id = answer.ok()["account_assignment_creation_status"]["request_id"].as_str().unwrap().to_owned();
    client
        .post(
            &format!("{}/disassociate-profile", base()),
            json!({"id": "g-auditors", "accessor_type": "GROUP", "identity_store_id": HW_STORE}),
        )
        .await
        .ok();
    let status = client.get(&format!("{}/account-assignments/creation-status/{request_id}", base())).await;
    let status = &status.ok()["account_assignment_creation_status"];
    assert_eq!(status["status"], "FAILED");
    assert!(status["failure_reason"].as_str().unwrap().contains("disassociated"));
    assert!(principal_assignments(&client, "g-auditors", "GROUP").await.is_empty());
}

#[tokio::test]
async fn async_faults_on_assignments() {
    let emu = start_with(hw_config()).await;
    let client = ic(&emu);
    emu.admin_post(
        "faults",
        json!({"cloud": "huawei", "action": "CreateAccountAssignment", "kind": "async_fail",
               "message": "IdentityCenter.1007: modification failed"}),
    )
    .await;
    let status = create_and_wait(&client, assignment("ps-admin", "u-bob", "USER", HW_DATA)).await;
    assert_eq!(status["status"], "FAILED");
    assert_eq!(status["failure_reason"], "IdentityCenter.1007: modification failed");
    assert!(principal_assignments(&client, "u-bob", "USER").await.is_empty());

    // The next one succeeds; then its deletion hangs.
    let status = create_and_wait(&client, assignment("ps-admin", "u-bob", "USER", HW_DATA)).await;
    assert_eq!(status["status"], "SUCCEEDED");
    emu.admin_post("faults", json!({"cloud": "huawei", "action": "DeleteAccountAssignment", "kind": "async_hang"}))
        .await;
    let answer = client
        .post(&format!("{}/account-assignments/delete", base()), assignment("ps-admin", "u-bob", "USER", HW_DATA))
        .await;
    let request_id = answer.ok()["account_assignment_deletion_status"]["request_id"].as_str().unwrap().to_owned();
    tokio::time::sleep(Duration::from_millis(400)).await;
    let status = client.get(&format!("{}/account-assignments/deletion-status/{request_id}", base())).await;
    assert_eq!(status.ok()["account_assignment_deletion_status"]["status"], "IN_PROGRESS");
    assert_eq!(principal_assignments(&client, "u-bob", "USER").await.len(), 1);
}

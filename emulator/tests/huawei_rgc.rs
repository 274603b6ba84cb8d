//! Huawei Cloud RGC over HTTP: asynchronous enroll / update / un-enroll operations, managed
//! accounts, documented errors, async faults, and an operation surviving a restart.

mod common;

use std::time::Duration;

use common::*;
use serde_json::{Value, json};
use tether_emulator::Config;

const MANAGED_FIELDS: [&str; 18] = [
    "account_id",
    "account_name",
    "account_type",
    "blueprint_product_id",
    "blueprint_product_version",
    "blueprint_status",
    "created_at",
    "identity_store_user_name",
    "is_blueprint_has_multi_account_resource",
    "landing_zone_version",
    "manage_account_id",
    "message",
    "owner",
    "parent_organizational_unit_id",
    "parent_organizational_unit_name",
    "regions",
    "state",
    "updated_at",
];

fn enroll_path(account: &str) -> String {
    format!("/v1/managed-organization/accounts/{account}/enroll")
}

fn managed_path(account: &str) -> String {
    format!("/v1/managed-organization/managed-accounts/{account}")
}

fn operation_path(id: &str) -> String {
    format!("/v1/managed-organization/{id}")
}

/// The management account's client as RGC is called: BasicCredentials with the project id.
fn rgc(emu: &TestEmulator) -> HwClient {
    let mut client = emu.hw(HW_MGMT);
    client.project_id = Some(HW_MGMT_PROJECT.into());
    client
}

async fn start_operation(client: &HwClient, path: &str, body: Option<Value>) -> String {
    let answer = client.call("POST", path, body).await;
    let body = answer.ok();
    assert_eq!(body.as_object().unwrap().len(), 1, "{body}");
    body["operation_id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn the_fixture_landing_zone() {
    let emu = start().await;
    let client = rgc(&emu);
    let finance = client.get(&managed_path(HW_FINANCE)).await;
    let finance = finance.ok();
    let mut fields: Vec<&str> = finance.as_object().unwrap().keys().map(String::as_str).collect();
    fields.sort_unstable();
    assert_eq!(fields, MANAGED_FIELDS);
    assert_eq!(finance["state"], "ENROLLED");
    assert_eq!(finance["owner"], "CUSTOM");
    assert_eq!(finance["account_type"], "MEMBER");
    assert_eq!(finance["account_name"], "finance-prod");
    assert_eq!(finance["manage_account_id"], HW_MGMT);
    assert_eq!(finance["landing_zone_version"], "v1.0.0");
    assert_eq!(finance["parent_organizational_unit_id"], "ou-tether-workloads");
    assert_eq!(finance["parent_organizational_unit_name"], "Workloads");
    assert_eq!(finance["regions"], json!([{"region": "cn-north-4", "region_status": "available"}]));

    let management = client.get(&managed_path(HW_MGMT)).await;
    assert_eq!(management.ok()["owner"], "RGC");
    assert_eq!(management.ok()["account_type"], "MANAGEMENT");
    assert_eq!(management.ok()["parent_organizational_unit_id"], "ou-tether-root");

    let answer = client.get(&managed_path(HW_DATA)).await;
    answer.assert_error(404, "RGC.404");

    // Only the management account may use RGC.
    emu.hw(HW_FINANCE).get(&managed_path(HW_FINANCE)).await.assert_error(403, "RGC.403");
}

#[tokio::test]
async fn enroll_is_asynchronous_and_changes_the_account_only_when_done() {
    let emu = start_with(hw_config()).await;
    let client = rgc(&emu);
    let id = start_operation(
        &client,
        &enroll_path(HW_DATA),
        Some(json!({"parent_organizational_unit_id": "ou-tether-sandbox"})),
    )
    .await;

    let during = client.get(&managed_path(HW_DATA)).await;
    assert_eq!(during.ok()["state"], "ENROLLING");
    let first = client.get(&operation_path(&id)).await;
    let first = first.ok();
    assert_eq!(first["status"], "IN_PROGRESS");
    assert_eq!(first["operation_id"], id.as_str());
    assert!(first["percentage_complete"].as_u64().unwrap() < 100);
    assert_eq!(first["percentage_details"].as_array().unwrap().len(), 4);
    // Enrolling again while it runs is a conflict.
    client
        .post(&enroll_path(HW_DATA), json!({"parent_organizational_unit_id": "ou-tether-sandbox"}))
        .await
        .assert_error(409, "RGC.409");

    let seen = hw_poll(&client, &operation_path(&id), "/status").await;
    assert!(seen.len() >= 2, "it was observed in progress first");
    let percentages: Vec<u64> = seen.iter().map(|s| s["percentage_complete"].as_u64().unwrap()).collect();
    assert!(percentages.windows(2).all(|w| w[0] <= w[1]), "{percentages:?}");
    let done = seen.last().unwrap();
    assert_eq!(done["status"], "SUCCEEDED");
    assert_eq!(done["percentage_complete"], 100);
    assert!(done["percentage_details"].as_array().unwrap().iter().all(|d| d["percentage_status"] == "SUCCEEDED"));

    let after = client.get(&managed_path(HW_DATA)).await;
    assert_eq!(after.ok()["state"], "ENROLLED");
    assert_eq!(after.ok()["parent_organizational_unit_name"], "Sandbox");
    client
        .post(&enroll_path(HW_DATA), json!({"parent_organizational_unit_id": "ou-tether-sandbox"}))
        .await
        .assert_error(400, "RGC.1202");

    let log = emu.hw_calls("EnrollAccount").await;
    assert_eq!(log[0]["service"], "rgc");
    assert_eq!(
        log[0]["params"],
        json!({"managed_account_id": HW_DATA, "parent_organizational_unit_id": "ou-tether-sandbox"})
    );
    // ListOperation finds the latest operation of the account.
    let latest = client.get(&format!("/v1/managed-organization?account_id={HW_DATA}")).await;
    assert_eq!(latest.ok()["operation_id"], id.as_str());
}

#[tokio::test]
async fn update_moves_and_un_enroll_removes() {
    let emu = start_with(hw_config()).await;
    let client = rgc(&emu);
    let id = start_operation(
        &client,
        &format!("{}/update", managed_path(HW_FINANCE)),
        Some(json!({"parent_organizational_unit_id": "ou-tether-security",
                    "parent_organizational_unit_name": "Security"})),
    )
    .await;
    let during = client.get(&managed_path(HW_FINANCE)).await;
    assert_eq!(during.ok()["state"], "UPDATING");
    assert_eq!(during.ok()["parent_organizational_unit_id"], "ou-tether-workloads");
    assert_eq!(hw_poll(&client, &operation_path(&id), "/status").await.last().unwrap()["status"], "SUCCEEDED");
    let moved = client.get(&managed_path(HW_FINANCE)).await;
    assert_eq!(moved.ok()["state"], "ENROLLED");
    assert_eq!(moved.ok()["parent_organizational_unit_id"], "ou-tether-security");

    let id = start_operation(&client, &format!("{}/un-enroll", managed_path(HW_FINANCE)), None).await;
    assert_eq!(client.get(&managed_path(HW_FINANCE)).await.ok()["state"], "UN_ENROLLING");
    assert_eq!(hw_poll(&client, &operation_path(&id), "/status").await.last().unwrap()["status"], "SUCCEEDED");
    client.get(&managed_path(HW_FINANCE)).await.assert_error(404, "RGC.404");
    // Un-enrolling an account that is not managed (any more): 404, like the read.
    client.post_empty(&format!("{}/un-enroll", managed_path(HW_FINANCE))).await.assert_error(404, "RGC.404");
    let log = emu.hw_calls("UnEnrollAccount").await;
    assert_eq!(log[0]["params"], json!({"managed_account_id": HW_FINANCE}));
    assert_eq!(log[1]["error_code"], "RGC.404");
}

#[tokio::test]
async fn documented_errors() {
    let emu = start().await;
    let client = rgc(&emu);
    let sandbox = json!({"parent_organizational_unit_id": "ou-tether-sandbox"});
    for (path, body, status, code) in [
        (enroll_path(HW_DATA), json!({}), 400, "RGC.400"),
        (enroll_path(HW_DATA), json!({"parent_organizational_unit_id": "ou-nope"}), 400, "RGC.400"),
        (
            enroll_path(HW_DATA),
            json!({"parent_organizational_unit_id": "ou-tether-sandbox", "blueprint": "x"}),
            400,
            "RGC.400",
        ),
        (enroll_path(HW_FINANCE), sandbox.clone(), 400, "RGC.1202"),
        (enroll_path(HW_LONE), sandbox.clone(), 400, "RGC.400"),
        (enroll_path("ffffffffffffffffffffffffffffffff"), sandbox.clone(), 404, "RGC.404"),
        (format!("{}/update", managed_path(HW_DATA)), sandbox.clone(), 404, "RGC.404"),
        (
            format!("{}/update", managed_path(HW_FINANCE)),
            json!({"parent_organizational_unit_id": "ou-tether-sandbox",
                   "parent_organizational_unit_name": "Security"}),
            400,
            "RGC.400",
        ),
        (format!("{}/update", managed_path(HW_MGMT)), sandbox.clone(), 400, "RGC.400"),
        (format!("{}/un-enroll", managed_path(HW_MGMT)), json!({}), 400, "RGC.400"),
        (format!("{}/un-enroll", managed_path(HW_DATA)), json!({}), 404, "RGC.404"),
    ] {
        let answer = client.post(&path, body.clone()).await;
        answer.assert_error(status, code);
        assert!(answer.message().starts_with(match code {
            "RGC.400" => "Bad Request: ",
            "RGC.404" => "Not Found: ",
            _ => "",
        }));
    }
    client.get(&operation_path("00000000-0000-4000-8000-000000000000")).await.assert_error(404, "RGC.404");
    client
        .get("/v1/managed-organization/managed-organizational-units/ou-nope/managed-accounts")
        .await
        .assert_error(404, "RGC.404");
    // No body at all: the required parent OU is missing.
    client.post_empty(&enroll_path(HW_DATA)).await.assert_error(400, "RGC.400");
    emu.hw(HW_DATA).post(&enroll_path(HW_DATA), sandbox).await.assert_error(403, "RGC.403");
    assert!(emu.emulator.world().huawei.rgc.operations.is_empty());
}

#[tokio::test]
async fn async_fail_ends_failed_and_leaves_the_account_alone() {
    let emu = start_with(hw_config()).await;
    let client = rgc(&emu);
    let (status, _) = emu
        .admin_post(
            "faults",
            json!({"cloud": "huawei", "action": "EnrollAccount", "kind": "async_fail",
                   "message": "RGC.1000: dependent service IAM Identity Center failed"}),
        )
        .await;
    assert_eq!(status, 201);
    // A non-job action does not consume it.
    client.get(&managed_path(HW_FINANCE)).await.ok();
    let id = start_operation(
        &client,
        &enroll_path(HW_DATA),
        Some(json!({"parent_organizational_unit_id": "ou-tether-sandbox"})),
    )
    .await;
    let seen = hw_poll(&client, &operation_path(&id), "/status").await;
    assert_eq!(seen[0]["status"], "IN_PROGRESS");
    let failed = seen.last().unwrap();
    assert_eq!(failed["status"], "FAILED");
    assert_eq!(failed["message"], "RGC.1000: dependent service IAM Identity Center failed");
    assert_eq!(failed["percentage_details"][3]["percentage_status"], "FAILED");
    client.get(&managed_path(HW_DATA)).await.assert_error(404, "RGC.404");
    assert_eq!(emu.hw_calls("EnrollAccount").await[0]["fault"], "async_fail");

    // Un-enroll failing leaves the account enrolled.
    emu.admin_post("faults", json!({"cloud": "huawei", "action": "UnEnrollAccount", "kind": "async_fail"})).await;
    let id = start_operation(&client, &format!("{}/un-enroll", managed_path(HW_FINANCE)), None).await;
    let failed = hw_poll(&client, &operation_path(&id), "/status").await;
    assert_eq!(failed.last().unwrap()["status"], "FAILED");
    assert!(failed.last().unwrap()["message"].as_str().unwrap().contains("injected"));
    assert_eq!(client.get(&managed_path(HW_FINANCE)).await.ok()["state"], "ENROLLED");
}

#[tokio::test]
async fn async_hang_stays_in_progress() {
    let emu = start_with(Config { huawei_operation_ms: 50, ..Config::default() }).await;
    let client = rgc(&emu);
    emu.admin_post("faults", json!({"cloud": "huawei", "action": "UnEnrollAccount", "kind": "async_hang"})).await;
    let id = start_operation(&client, &format!("{}/un-enroll", managed_path(HW_FINANCE)), None).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let op = client.get(&operation_path(&id)).await;
    assert_eq!(op.ok()["status"], "IN_PROGRESS");
    assert_eq!(client.get(&managed_path(HW_FINANCE)).await.ok()["state"], "UN_ENROLLING");
    client
        .post(
            &format!("{}/update", managed_path(HW_FINANCE)),
            json!({"parent_organizational_unit_id": "ou-tether-sandbox"}),
        )
        .await
        .assert_error(409, "RGC.409");
}

#[tokio::test]
async fn managed_accounts_of_an_ou_page_by_marker() {
    let emu = start_with(Config { huawei_operation_ms: 0, ..Config::default() }).await;
    let client = rgc(&emu);
    for account in [HW_DATA, HW_FINANCE] {
        let path =
            if account == HW_FINANCE { format!("{}/update", managed_path(account)) } else { enroll_path(account) };
        start_operation(&client, &path, Some(json!({"parent_organizational_unit_id": "ou-tether-sandbox"}))).await;
    }
    let base = "/v1/managed-organization/managed-organizational-units/ou-tether-sandbox/managed-accounts";
    let first = client.get(&format!("{base}?limit=1")).await;
    let first = first.ok().clone();
    assert_eq!(first["managed_accounts"][0]["account_id"], HW_FINANCE);
    assert_eq!(first["page_info"]["current_count"], 1);
    let marker = first["page_info"]["next_marker"].as_str().unwrap();
    let second = client.get(&format!("{base}?limit=1&marker={marker}")).await;
    let second = second.ok();
    assert_eq!(second["managed_accounts"][0]["account_id"], HW_DATA);
    assert_eq!(second["page_info"]["next_marker"], Value::Null);
    let empty =
        client.get("/v1/managed-organization/managed-organizational-units/ou-tether-workloads/managed-accounts").await;
    assert_eq!(empty.ok()["managed_accounts"], json!([]));
}

#[tokio::test]
async fn an_operation_in_flight_survives_a_restart() {
    let dir = std::env::temp_dir().join(format!("tether-hw-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("world.json");
    let config = Config { state_file: Some(path.clone()), huawei_operation_ms: 700, ..Config::default() };
    let first = start_with(config.clone()).await;
    let id = start_operation(
        &rgc(&first),
        &enroll_path(HW_DATA),
        Some(json!({"parent_organizational_unit_id": "ou-tether-security"})),
    )
    .await;
    drop(first);

    // Restarted with another default duration: the operation keeps its own.
    let second = start_with(Config { huawei_operation_ms: 60_000, ..config }).await;
    let client = rgc(&second);
    let op = client.get(&operation_path(&id)).await;
    assert_eq!(op.ok()["status"], "IN_PROGRESS");
    assert_eq!(client.get(&managed_path(HW_DATA)).await.ok()["state"], "ENROLLING");
    let seen = hw_poll(&client, &operation_path(&id), "/status").await;
    assert_eq!(seen.last().unwrap()["status"], "SUCCEEDED");
    assert_eq!(client.get(&managed_path(HW_DATA)).await.ok()["state"], "ENROLLED");
    let saved: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(saved["huawei"]["rgc"]["operations"][0]["clock"]["finished"]["status"], "SUCCEEDED");
    drop(second);
    let _ = std::fs::remove_dir_all(&dir);
}

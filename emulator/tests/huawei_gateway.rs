//! Huawei Cloud over HTTP, the API-gateway layer: AK/SK authentication, scope headers, unknown
//! APIs, per-AK rate limiting, faults, the audit log, and the IAM lookups.

mod common;

use std::time::{Duration, Instant};

use common::*;
use serde_json::json;
use tether_emulator::Config;

#[tokio::test]
async fn signed_requests_are_served_with_a_request_id() {
    let emu = start().await;
    let member = emu.hw(HW_FINANCE);
    let answer = member.get("/v1/organizations").await;
    let org = &answer.ok()["organization"];
    assert_eq!(org["id"], HW_ORG);
    assert_eq!(org["urn"], format!("organizations::{HW_MGMT}:organization:{HW_ORG}"));
    assert_eq!(org["management_account_id"], HW_MGMT);
    assert_eq!(org["management_account_name"], "tether-management");
    assert_eq!(org["created_at"], "2024-01-15T02:00:00.000Z");

    // The temporary credential of the management account, with its token and scope headers.
    let mut temp = HwClient::new(emu.addr, HW_TEMP_AK, HW_TEMP_SK);
    temp.token = Some(HW_TEMP_TOKEN.into());
    temp.domain_id = Some(HW_MGMT.into());
    temp.project_id = Some(HW_MGMT_PROJECT.into());
    assert_eq!(temp.get("/v1/organizations").await.ok()["organization"]["id"], HW_ORG);
}

#[tokio::test]
async fn authentication_failures_are_401_apigw_0301() {
    let emu = start().await;
    let path = "/v1/organizations";

    let mut wrong_sk = emu.hw(HW_FINANCE);
    wrong_sk.sk = "not-the-secret".into();
    let answer = wrong_sk.get(path).await;
    answer.assert_error(401, "APIGW.0301");
    assert_eq!(
        answer.message(),
        "Incorrect IAM authentication information: verify aksk signature fail, signature mismatch"
    );

    let unknown = HwClient::new(emu.addr, "HWUNKNOWNACCESSKEY01", "whatever");
    let answer = unknown.get(path).await;
    answer.assert_error(401, "APIGW.0301");
    assert!(answer.message().ends_with("ak not found"), "{answer:?}");

    for skew in [16 * 60, -16 * 60] {
        let mut stale = emu.hw(HW_FINANCE);
        stale.skew_secs = skew;
        let answer = stale.get(path).await;
        answer.assert_error(401, "APIGW.0301");
        assert!(answer.message().contains("x-sdk-date expired"), "{answer:?}");
    }
    let mut slightly_off = emu.hw(HW_FINANCE);
    slightly_off.skew_secs = 14 * 60;
    slightly_off.get(path).await.ok();

    let mut temp = HwClient::new(emu.addr, HW_TEMP_AK, HW_TEMP_SK);
    let answer = temp.get(path).await;
    answer.assert_error(401, "APIGW.0301");
    assert!(answer.message().ends_with("security token invalid"));
    temp.token = Some("a-stale-token".into());
    temp.get(path).await.assert_error(401, "APIGW.0301");

    let mut other_domain = emu.hw(HW_FINANCE);
    other_domain.domain_id = Some(HW_MGMT.into());
    let answer = other_domain.get(path).await;
    answer.assert_error(401, "APIGW.0301");
    assert!(answer.message().ends_with("x-domain-id does not match the credential"));
    let mut other_project = emu.hw(HW_MGMT);
    other_project.project_id = Some("ffffffffffffffffffffffffffffffff".into());
    other_project.get("/v1/managed-organization/managed-accounts/x").await.assert_error(401, "APIGW.0301");

    // No Authorization header at all, and a tampered body.
    let resp = http().get(format!("{}{path}", emu.base)).send().await.unwrap();
    let answer = hw_answer(resp).await;
    answer.assert_error(401, "APIGW.0301");
    assert!(answer.message().contains("authorization header missing"));

    let client = emu.hw(HW_MGMT);
    let signed_for = serde_json::to_vec(&json!({"parent_organizational_unit_id": "ou-tether-sandbox"})).unwrap();
    let mut request = client.http.post(format!("{}/v1/managed-organization/accounts/{HW_DATA}/enroll", emu.base));
    for (name, value) in
        client.headers("POST", &format!("/v1/managed-organization/accounts/{HW_DATA}/enroll"), "", &signed_for)
    {
        request = request.header(name, value);
    }
    let tampered = serde_json::to_vec(&json!({"parent_organizational_unit_id": "ou-tether-security"})).unwrap();
    let answer = hw_answer(request.body(tampered).send().await.unwrap()).await;
    answer.assert_error(401, "APIGW.0301");

    // Every rejection is logged, with the action it was meant for, and no secret anywhere.
    let calls = emu.admin_get("calls?cloud=huawei").await;
    let calls = calls.as_array().unwrap();
    assert!(calls.len() >= 10);
    assert!(calls.iter().all(|c| c["service"].is_string()));
    assert_eq!(calls[0]["action"], "ShowOrganization");
    assert_eq!(calls[0]["error_code"], "APIGW.0301");
    assert_eq!(calls[0]["status"], "error");
    let log = serde_json::to_string(calls).unwrap();
    for secret in ["tether-emulator-huawei", "not-the-secret", HW_TEMP_TOKEN] {
        assert!(!log.contains(secret), "{secret} leaked into the log");
    }
    assert!(emu.emulator.world().huawei.rgc.operations.is_empty());
}

#[tokio::test]
async fn unknown_apis_are_apigw_0101_before_authentication() {
    let emu = start().await;
    for (method, path) in [
        ("GET", "/v1/organizations/roots"),
        ("DELETE", "/v1/organizations"),
        ("GET", "/v1/managed-organization/managed-accounts"),
        ("PUT", "/v1/instances/ins-tether00000001/disassociate-profile"),
    ] {
        let resp = http()
            .request(reqwest::Method::from_bytes(method.as_bytes()).unwrap(), format!("{}{path}", emu.base))
            .send()
            .await
            .unwrap();
        hw_answer(resp).await.assert_error(404, "APIGW.0101");
    }
    let log = emu.admin_get("calls?cloud=huawei").await;
    assert_eq!(log.as_array().unwrap().len(), 4);
    assert!(log[0]["action"].is_null());
}

#[tokio::test]
async fn rate_limit_per_access_key() {
    let emu = start_with(Config { huawei_rate_limit: 3, ..Config::default() }).await;
    let member = emu.hw(HW_FINANCE);
    let mut answers = Vec::new();
    for attempt in 0..3 {
        tokio::time::sleep(Duration::from_millis(if attempt == 0 { 0 } else { 1100 })).await;
        let started = Instant::now();
        answers.clear();
        for _ in 0..4 {
            answers.push(member.get("/v1/organizations").await);
        }
        if started.elapsed() < Duration::from_millis(900) {
            break;
        }
    }
    for answer in &answers[..3] {
        answer.ok();
    }
    let limited = &answers[3];
    limited.assert_error(429, "APIG.0308");
    assert_eq!(
        limited.message(),
        "The throttling threshold has been reached: policy user over ratelimit,limit:3,time:1 second"
    );
    // Another AK has its own budget; after a second the first one works again.
    emu.hw(HW_DATA).get("/v1/organizations").await.ok();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    member.get("/v1/organizations").await.ok();
}

#[tokio::test]
async fn faults_answer_in_the_huawei_envelope() {
    let emu = start().await;
    let (status, _) =
        emu.admin_post("faults", json!({"cloud": "huawei", "action": "ShowOrganization", "kind": "throttle"})).await;
    assert_eq!(status, 201);
    let member = emu.hw(HW_FINANCE);
    let answer = member.get("/v1/organizations").await;
    answer.assert_error(429, "APIG.0308");
    assert!(answer.message().contains("policy user over ratelimit"));

    emu.admin_post(
        "faults",
        json!({"cloud": "huawei", "action": "LeaveOrganization", "kind": "error",
               "status": 409, "code": "Organizations.1003", "message": "Concurrent modification"}),
    )
    .await;
    let answer = member.post_empty("/v1/organizations/leave").await;
    answer.assert_error(409, "Organizations.1003");
    assert_eq!(answer.message(), "Concurrent modification");
    assert!(
        emu.emulator.world().huawei.organizations.organization.is_member(HW_FINANCE),
        "an error fault applies nothing"
    );

    emu.admin_post("faults", json!({"cloud": "huawei", "action": "ShowOrganization", "kind": "error"})).await;
    member.get("/v1/organizations").await.assert_error(500, "Organizations.500");

    // drop_after: the member leaves, but the client sees no answer.
    emu.admin_post("faults", json!({"cloud": "huawei", "action": "LeaveOrganization", "kind": "drop_after"})).await;
    let err = member.send_raw("POST", "/v1/organizations/leave", Vec::new()).await.expect_err("no HTTP response");
    assert!(err.is_request() && err.status().is_none(), "{err:?}");
    member.get("/v1/organizations").await.assert_error(401, "Organizations.1015");
    let log = emu.hw_calls("LeaveOrganization").await;
    assert_eq!(log[0]["fault"], "error");
    assert_eq!((log[1]["fault"].as_str(), log[1]["status"].as_str()), (Some("drop_after"), Some("ok")));

    // A status on a Tencent fault is refused (Tencent answers errors with HTTP 200).
    let (status, body) = emu.admin_post("faults", json!({"cloud": "tencent", "kind": "error", "status": 500})).await;
    assert_eq!(status, 400, "{body}");
}

#[tokio::test]
async fn iam_lookups_for_sdk_discovery() {
    let emu = start().await;
    let client = emu.hw(HW_DATA);
    let domains = client.get("/v3/auth/domains").await;
    assert_eq!(
        domains.ok()["domains"][0],
        json!({"id": HW_DATA, "name": "data-platform", "enabled": true, "description": "",
               "links": {"self": format!("/v3/domains/{HW_DATA}")}})
    );

    let projects = emu.hw(HW_MGMT).get("/v3/projects?name=cn-north-4").await;
    let project = &projects.ok()["projects"][0];
    assert_eq!(project["id"], HW_MGMT_PROJECT);
    assert_eq!(project["name"], "cn-north-4");
    assert_eq!(project["domain_id"], HW_MGMT);
    let none = emu.hw(HW_MGMT).get("/v3/projects?name=ap-southeast-1").await;
    assert_eq!(none.ok()["projects"], json!([]));

    let calls = emu.hw_calls("KeystoneListProjects").await;
    assert_eq!(calls[0]["service"], "iam");
    assert_eq!(calls[0]["params"], json!({"name": "cn-north-4"}));
}

#[tokio::test]
async fn state_lists_the_huawei_credentials_and_reset_reseeds() {
    let emu = start_with(hw_config()).await;
    let state = emu.admin_get("state").await;
    let creds = state["credentials"]["huawei"].as_array().unwrap();
    assert_eq!(creds.len(), 6);
    assert_eq!(creds[0]["access_key"], "HWTETHERMANAGEMENT01");
    assert_eq!(creds[0]["secret_key"], "tether-emulator-huawei-management-sk");
    assert_eq!(creds[0]["account_id"], HW_MGMT);
    assert_eq!(creds[0]["account_name"], "tether-management");
    assert_eq!(creds[0]["domain_id"], HW_MGMT);
    assert_eq!(creds[0]["project_id"], HW_MGMT_PROJECT);
    assert_eq!(creds[1]["access_key"], HW_TEMP_AK);
    assert_eq!(creds[1]["security_token"], HW_TEMP_TOKEN);

    emu.hw(HW_NEWACQ).post_empty(&format!("/v1/received-handshakes/{HW_HANDSHAKE}/accept")).await.ok();
    let (status, _) = emu.admin_post("reset", json!({})).await;
    assert_eq!(status, 200);
    emu.hw(HW_NEWACQ).get("/v1/organizations").await.assert_error(401, "Organizations.1015");
    assert_eq!(emu.emulator.world().huawei.organizations.handshakes[0].status, "pending");
}

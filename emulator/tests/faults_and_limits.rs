//! Rate limiting and injected faults, including connections dropped before and after applying.

mod common;

use std::time::{Duration, Instant};

use common::*;
use serde_json::json;
use tether_emulator::Config;

const BIND: &str = "BindOrganizationMemberAuthAccount";
const CANCEL: &str = "CancelOrganizationMemberAuthAccount";
const DESCRIBE: &str = "DescribeOrganizationMemberAuthAccounts";
const POLICIES: &str = "DescribeOrganizationMemberPolicies";

fn bound(emu: &TestEmulator) -> Vec<i64> {
    emu.emulator.world().tencent.organization.bindings.iter().map(|b| b.sub_account_uin).collect()
}

#[tokio::test]
async fn twenty_requests_per_second_per_action() {
    let emu = start().await;
    let tc = emu.client();
    // 21 calls must land within one second; on a badly overloaded machine they may not, so let
    // the window drain and try again rather than fail spuriously.
    let mut answers = Vec::new();
    for attempt in 0..3 {
        tokio::time::sleep(Duration::from_millis(if attempt == 0 { 0 } else { 1100 })).await;
        let started = Instant::now();
        answers.clear();
        for _ in 0..21 {
            answers.push(tc.call(DESCRIBE, describe_params(MEMBER, 1001, 0, 10)).await);
        }
        if started.elapsed() < Duration::from_millis(900) {
            break;
        }
    }
    for answer in &answers[..20] {
        assert_ok(answer);
    }
    let limited = &answers[20];
    assert_error(limited, "RequestLimitExceeded");
    assert!(limited["Error"]["Message"].as_str().unwrap().contains("frequency limit 20"), "{limited}");

    // Another action has its own budget.
    assert_ok(&tc.call(POLICIES, json!({"MemberUin": MEMBER})).await);

    // Rejected calls are logged, and the window rolls: after a second the action works again.
    let log = emu.calls(DESCRIBE).await;
    assert_eq!(log.last().unwrap()["error_code"], "RequestLimitExceeded");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_ok(&tc.call(DESCRIBE, describe_params(MEMBER, 1001, 0, 10)).await);
}

#[tokio::test]
async fn rate_limit_is_configurable_and_counted_after_auth() {
    let emu = start_with(Config { tencent_rate_limit: 2, ..Config::default() }).await;
    let mut wrong_key = emu.client();
    wrong_key.secret_key = "nope".into();
    for _ in 0..5 {
        assert_error(&wrong_key.call(DESCRIBE, json!({})).await, "AuthFailure.SignatureFailure");
    }
    let tc = emu.client();
    assert_ok(&tc.call(DESCRIBE, describe_params(MEMBER, 1001, 0, 10)).await);
    assert_ok(&tc.call(DESCRIBE, describe_params(MEMBER, 1001, 0, 10)).await);
    assert_error(&tc.call(DESCRIBE, describe_params(MEMBER, 1001, 0, 10)).await, "RequestLimitExceeded");

    let unlimited = start_with(Config { tencent_rate_limit: 0, ..Config::default() }).await;
    let tc = unlimited.client();
    for _ in 0..30 {
        assert_ok(&tc.call(DESCRIBE, describe_params(MEMBER, 1001, 0, 10)).await);
    }
}

#[tokio::test]
async fn error_faults_fire_count_times_without_applying() {
    let emu = start().await;
    let (status, fault) = emu
        .admin_post(
            "faults",
            json!({"cloud": "tencent", "action": BIND, "kind": "error", "code": "FailedOperation.OperatePolicy", "message": "boom", "count": 2}),
        )
        .await;
    assert_eq!(status, 201);
    assert_eq!(fault["remaining"], 2);
    let id = fault["id"].as_str().unwrap().to_owned();

    let tc = emu.client();
    // Other actions are unaffected.
    assert_ok(&tc.call(DESCRIBE, describe_params(MEMBER, 1001, 0, 10)).await);
    for remaining in [1, 0] {
        let answer = tc.call(BIND, bind_params(MEMBER, 1001, &[SUB])).await;
        assert_error(&answer, "FailedOperation.OperatePolicy");
        assert_eq!(answer["Error"]["Message"], "boom");
        let faults = emu.admin_get("faults").await;
        assert_eq!(faults[0]["id"], id.as_str());
        assert_eq!(faults[0]["remaining"], remaining);
    }
    assert!(bound(&emu).is_empty(), "an error fault applies nothing");
    assert_ok(&tc.call(BIND, bind_params(MEMBER, 1001, &[SUB])).await);
    assert_eq!(bound(&emu), [SUB]);

    let log = emu.calls(BIND).await;
    assert_eq!(log[0]["fault"], "error");
    assert_eq!(log[0]["error_code"], "FailedOperation.OperatePolicy");
    assert!(log[2].get("fault").is_none());

    assert_eq!(emu.admin_delete(&format!("faults/{id}")).await["deleted"], 1);
    assert_eq!(emu.admin_get("faults").await, json!([]));
}

#[tokio::test]
async fn throttle_and_latency_faults() {
    let emu = start().await;
    emu.admin_post("faults", json!({"cloud": "tencent", "action": "*", "kind": "throttle"})).await;
    let tc = emu.client();
    assert_error(&tc.call(POLICIES, json!({"MemberUin": MEMBER})).await, "RequestLimitExceeded");
    assert_ok(&tc.call(POLICIES, json!({"MemberUin": MEMBER})).await);

    emu.admin_post("faults", json!({"cloud": "tencent", "action": POLICIES, "kind": "latency", "latency_ms": 300}))
        .await;
    let started = Instant::now();
    assert_ok(&tc.call(POLICIES, json!({"MemberUin": MEMBER})).await);
    assert!(started.elapsed() >= Duration::from_millis(300));

    // Bad fault specs are rejected with a JSON error.
    for bad in [
        json!({"cloud": "aws", "kind": "error"}),
        json!({"cloud": "tencent", "kind": "explode"}),
        json!({"cloud": "tencent", "kind": "latency"}),
        json!({"cloud": "tencent", "kind": "error", "probability": 2}),
        json!({"cloud": "tencent", "kind": "error", "colour": "red"}),
    ] {
        let (status, body) = emu.admin_post("faults", bad.clone()).await;
        assert_eq!(status, 400, "{bad}");
        assert!(body["error"].is_string());
    }
    assert_eq!(emu.admin_delete("faults").await["deleted"], 2);
}

#[tokio::test]
async fn drop_before_closes_the_connection_and_applies_nothing() {
    let emu = start().await;
    emu.admin_post("faults", json!({"cloud": "tencent", "action": BIND, "kind": "drop_before"})).await;
    let tc = emu.client();
    let body = serde_json::to_vec(&bind_params(MEMBER, 1001, &[SUB])).unwrap();
    let err = tc.post_raw(BIND, body.clone()).await.expect_err("no HTTP response at all");
    // hyper reports IncompleteMessage: the connection closed before any response byte.
    assert!(err.is_request() && err.status().is_none(), "{err:?}");
    assert!(bound(&emu).is_empty());

    let log = emu.calls(BIND).await;
    assert_eq!(log[0]["fault"], "drop_before");
    assert_eq!(log[0]["status"], "error");

    // The fault is spent: a retry goes through.
    assert_ok(&response_object(tc.post_raw(BIND, body).await.unwrap()).await);
    assert_eq!(bound(&emu), [SUB]);
}

#[tokio::test]
async fn drop_after_applies_then_closes_the_connection() {
    let emu = start().await;
    let tc = emu.client();
    assert_ok(&tc.call(BIND, bind_params(MEMBER, 1001, &[SUB])).await);
    emu.admin_post("faults", json!({"cloud": "tencent", "action": CANCEL, "kind": "drop_after"})).await;

    let body = serde_json::to_vec(&cancel_params(MEMBER, 1001, SUB)).unwrap();
    let err = tc.post_raw(CANCEL, body.clone()).await.expect_err("no HTTP response at all");
    assert!(err.is_request() && err.status().is_none(), "{err:?}");
    assert!(bound(&emu).is_empty(), "the cancel was applied");

    let log = emu.calls(CANCEL).await;
    assert_eq!((log[0]["status"].as_str(), log[0]["fault"].as_str()), (Some("ok"), Some("drop_after")));

    // The ambiguous retry now finds nothing to cancel.
    let retry = response_object(tc.post_raw(CANCEL, body).await.unwrap()).await;
    assert_error(&retry, "FailedOperation.SubAccountNotExist");
}

#[tokio::test]
async fn probability_zero_never_fires() {
    let emu = start().await;
    emu.admin_post("faults", json!({"cloud": "*", "kind": "error", "probability": 0.0, "count": 0})).await;
    let tc = emu.client();
    for _ in 0..5 {
        assert_ok(&tc.call(POLICIES, json!({"MemberUin": MEMBER})).await);
    }
    assert_eq!(emu.admin_get("faults").await[0]["fired"], 0);
}

#[tokio::test]
async fn a_client_timeout_does_not_cancel_the_call() {
    let emu = start().await;
    emu.admin_post("faults", json!({"cloud": "tencent", "action": BIND, "kind": "latency", "latency_ms": 400})).await;
    let mut impatient = emu.client();
    impatient.http = reqwest::Client::builder().no_proxy().timeout(Duration::from_millis(100)).build().unwrap();
    let body = serde_json::to_vec(&bind_params(MEMBER, 1001, &[SUB])).unwrap();
    let err = impatient.post_raw(BIND, body).await.expect_err("the client gives up first");
    assert!(err.is_timeout(), "{err:?}");

    // The service still completes the call, like a real one would: the ambiguous-timeout case.
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(bound(&emu), [SUB]);
    let log = emu.calls(BIND).await;
    assert_eq!((log[0]["status"].as_str(), log[0]["fault"].as_str()), (Some("ok"), Some("latency")));
}

//! ZStack authentication over HTTP: account login with the SHA-512 password, sessions (logout,
//! validity, expiry, the session_expire fault), AccessKey signatures and their refusals.

mod common;

use std::time::Duration;

use common::*;
use serde_json::{Value, json};
use tether_emulator::Config;

const PROJECTS: &str = "/v1/iam2/projects";

#[tokio::test]
async fn login_with_the_sha512_password_opens_a_session() {
    let emu = start_with(zs_config()).await;
    let answer = emu.zs_login_as(ZS_ADMIN, ZS_PASSWORD).await;
    let inventory = &answer.ok()["inventory"];
    let uuid = inventory["uuid"].as_str().unwrap();
    assert_eq!(uuid.len(), 32);
    assert!(uuid.chars().all(|c| c.is_ascii_hexdigit()));
    assert_eq!(inventory["accountUuid"], ZS_ADMIN_UUID);
    assert_eq!(inventory["userUuid"], ZS_ADMIN_UUID);
    for date in ["createDate", "expiredDate"] {
        let text = inventory[date].as_str().unwrap();
        assert!(text.ends_with(" AM") || text.ends_with(" PM"), "{text}");
    }

    let session = emu.zs(ZsAuth::Session(uuid.into()));
    let projects = session.get(PROJECTS).await;
    assert_eq!(projects.ok()["inventories"].as_array().unwrap().len(), 4);
    // The Go SDK's X-Session-Id alone is accepted too.
    let header_only = emu.zs(ZsAuth::SessionHeader(uuid.into()));
    header_only.get(PROJECTS).await.ok();

    // The old API reference's body key.
    let old = emu
        .zs(ZsAuth::None)
        .call(
            "PUT",
            "/v1/accounts/login",
            Some(json!({"logIn": {"accountName": "admin", "password": sha512_hex("password")}})),
        )
        .await;
    old.ok();

    // The audit log names the login and never holds the password (nor its hash).
    let logins = emu.zs_calls("LogInByAccount").await;
    assert_eq!(logins.len(), 2);
    assert_eq!(logins[0]["params"], json!({"accountName": "admin"}));
    assert_eq!(logins[0]["status"], "ok");
    let log = emu.admin_get("calls?cloud=zstack").await.to_string();
    assert!(!log.contains(&sha512_hex("password")) && !log.contains(uuid));
}

#[tokio::test]
async fn wrong_credentials_are_refused_with_id_1000() {
    let emu = start_with(zs_config()).await;
    for (account, password) in [("admin", "hunter2"), ("root", "password")] {
        let answer = emu.zs_login_as(account, password).await;
        answer.assert_error(503, "ID.1000");
        assert_eq!(answer.details(), "wrong account name or password");
        assert_eq!(answer.description(), "Unable to authenticate a user");
    }
    // The plaintext is not the password: ZStack compares the SHA-512.
    let plaintext = emu
        .zs(ZsAuth::None)
        .call(
            "PUT",
            "/v1/accounts/login",
            Some(json!({"logInByAccount": {"accountName": "admin", "password": "password"}})),
        )
        .await;
    plaintext.assert_error(503, "ID.1000");
    let logins = emu.zs_calls("LogInByAccount").await;
    assert!(logins.iter().all(|c| c["error_code"] == "ID.1000"));

    let anonymous = emu.zs(ZsAuth::None);
    let missing =
        anonymous.call("PUT", "/v1/accounts/login", Some(json!({"logInByAccount": {"accountName": "admin"}}))).await;
    missing.assert_error(503, "SYS.1007");
    assert!(missing.details().contains("password"), "{missing:?}");
    anonymous.call("PUT", "/v1/accounts/login", Some(json!({"hello": {}}))).await.assert_error(400, "SYS.1007");
    anonymous.call("PUT", "/v1/accounts/login", None).await.assert_error(400, "SYS.1007");
}

#[tokio::test]
async fn logout_and_session_validity() {
    let emu = start_with(zs_config()).await;
    let session = emu.zs_session().await;
    let ZsAuth::Session(uuid) = session.auth.clone() else { unreachable!() };
    let anonymous = emu.zs(ZsAuth::None);
    let valid = |answer: ZsAnswer| answer.ok()["valid"].clone();
    let check = format!("/v1/accounts/sessions/{uuid}/valid");
    assert_eq!(valid(anonymous.get(&check).await), json!(true));

    let logout = anonymous.call("DELETE", &format!("/v1/accounts/sessions/{uuid}"), None).await;
    assert_eq!(logout.ok(), &json!({}));
    assert_eq!(valid(anonymous.get(&check).await), json!(false));
    let refused = session.get(PROJECTS).await;
    refused.assert_error(503, "ID.1001");
    assert_eq!(refused.details(), "Session expired");
    // Logging out twice, or an unknown session, is fine.
    anonymous.call("DELETE", &format!("/v1/accounts/sessions/{uuid}"), None).await.ok();
    assert_eq!(valid(anonymous.get("/v1/accounts/sessions/nope/valid").await), json!(false));
    emu.zs(ZsAuth::Session("0".repeat(32))).get(PROJECTS).await.assert_error(503, "ID.1001");

    assert_eq!(emu.zs_calls("LogOut").await.len(), 2);
    let checks = emu.zs_calls("ValidateSession").await;
    assert_eq!(checks.len(), 3);
    assert_eq!(checks[0]["params"], json!({}), "session uuids are never logged");
}

#[tokio::test]
async fn sessions_expire_after_their_ttl_and_a_new_login_works() {
    let emu = start_with(Config { zstack_session_ttl_secs: 1, ..zs_config() }).await;
    let session = emu.zs_session().await;
    session.get(PROJECTS).await.ok();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    session.get(PROJECTS).await.assert_error(503, "ID.1001");
    // An asynchronous API with an expired session: accepted (202), its job fails with ID.1001.
    let attach = session.attach(ZS_PAYMENTS, ZS_FINANCE).await;
    let (answer, running) = zs_wait(&attach.location()).await;
    answer.assert_error(503, "ID.1001");
    assert_eq!(running, 0, "the job failed at once");
    let logged = emu.zs_calls(ZS_ATTACH).await;
    assert_eq!((logged[0]["status"].as_str(), logged[0]["error_code"].as_str()), (Some("error"), Some("ID.1001")));
    let renewed = emu.zs_session().await;
    renewed.get(PROJECTS).await.ok();
    assert!(emu.emulator.world().zstack.sessions.len() == 1, "the expired session is gone");
}

#[tokio::test]
async fn session_expire_fault_ends_the_callers_session_once() {
    let emu = start_with(zs_config()).await;
    let (status, fault) =
        emu.admin_post("faults", json!({"cloud": "zstack", "action": ZS_ATTACH, "kind": "session_expire"})).await;
    assert_eq!(status, 201, "{fault}");

    // AccessKey calls have no session: the fault waits (skipped, not consumed).
    let key = emu.zs_key();
    let (answer, _) = zs_wait(&key.attach(ZS_SANDBOX, ZS_ENGINEERING).await.location()).await;
    answer.ok();
    assert_eq!(emu.admin_get("faults").await[0]["remaining"], 1);

    // A session call: the session dies right before the call, whose job fails with ID.1001.
    let session = emu.zs_session().await;
    let attach = session.attach(ZS_PAYMENTS, ZS_FINANCE).await;
    let (answer, _) = zs_wait(&attach.location()).await;
    answer.assert_error(503, "ID.1001");
    assert!(key.organization_of(ZS_PAYMENTS).await.is_empty());
    session.get(PROJECTS).await.assert_error(503, "ID.1001");
    let logged = emu.zs_calls(ZS_ATTACH).await;
    let last = logged.last().unwrap();
    assert_eq!((last["fault"].as_str(), last["error_code"].as_str()), (Some("session_expire"), Some("ID.1001")));

    // One re-login and the same attach goes through.
    let renewed = emu.zs_session().await;
    let (answer, _) = zs_wait(&renewed.attach(ZS_PAYMENTS, ZS_FINANCE).await.location()).await;
    answer.ok();
    assert_eq!(key.organization_of(ZS_PAYMENTS).await, [ZS_FINANCE]);
    let ok_attaches = emu.zs_calls(ZS_ATTACH).await.into_iter().filter(|c| c["status"] == "ok").count();
    assert_eq!(ok_attaches, 2, "the AccessKey one and the re-logged-in one");
    assert_eq!(emu.zs_calls("LogInByAccount").await.len(), 2);

    // On a synchronous API the caller gets 503 ID.1001 right away.
    emu.admin_post("faults", json!({"cloud": "zstack", "action": "QueryIAM2Project", "kind": "session_expire"})).await;
    renewed.get(PROJECTS).await.assert_error(503, "ID.1001");
    renewed.get(PROJECTS).await.assert_error(503, "ID.1001");

    // session_expire is for clouds with sessions only.
    let (status, _) = emu.admin_post("faults", json!({"cloud": "huawei", "kind": "session_expire"})).await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn access_key_signatures() {
    let emu = start_with(zs_config()).await;
    emu.zs_key().get(PROJECTS).await.ok();
    // The query string is not signed.
    emu.zs_key().get("/v1/iam2/projects?q=name=payments&limit=1").await.ok();
    // A Date up to 15 minutes off is fine.
    let skewed = |skew_secs: i64| {
        emu.zs(ZsAuth::AccessKey { id: ZS_ACCESS_KEY_ID.into(), secret: ZS_ACCESS_KEY_SECRET.into(), skew_secs })
    };
    skewed(-14 * 60).get(PROJECTS).await.ok();
    let late = skewed(16 * 60).get(PROJECTS).await;
    late.assert_error(403, "ID.1000");
    assert_eq!(late.details(), "requestTimeTooSkewed");

    let wrong_secret =
        emu.zs(ZsAuth::AccessKey { id: ZS_ACCESS_KEY_ID.into(), secret: "not-the-secret".into(), skew_secs: 0 });
    let answer = wrong_secret.get(PROJECTS).await;
    answer.assert_error(403, "ID.1000");
    assert_eq!(answer.details(), "wrong accessKey signature");

    for id in ["TETHERZSTACKNOSUCHKEY", ZS_DISABLED_KEY_ID] {
        let client = emu.zs(ZsAuth::AccessKey { id: id.into(), secret: ZS_DISABLED_KEY_SECRET.into(), skew_secs: 0 });
        let answer = client.get(PROJECTS).await;
        answer.assert_error(403, "ID.1000");
        assert_eq!(answer.details(), format!("access key id: {id} does not existed or disabled"));
    }
    // Nothing was applied by refused calls, and secrets never reach the log.
    let log = emu.admin_get("calls?cloud=zstack").await.to_string();
    assert!(!log.contains(ZS_ACCESS_KEY_SECRET));
}

async fn raw(emu: &TestEmulator, headers: &[(&str, &str)]) -> ZsAnswer {
    let mut request = http().get(format!("{}/zstack/v1/iam2/projects", emu.base));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    zs_answer(request.send().await.unwrap()).await
}

#[tokio::test]
async fn garbled_credentials_are_400() {
    let emu = start_with(zs_config()).await;
    let date = http_date(0);
    let signature = zs_signature(ZS_ACCESS_KEY_SECRET, "GET", &date, "/v1/iam2/projects");
    let good = format!("ZStack {ZS_ACCESS_KEY_ID}:{signature}");
    let cases: [(&[(&str, &str)], &str); 5] = [
        (&[], "missing header 'Authorization'"),
        (&[("Authorization", "Bearer abc")], "Authorization type must be 'OAuth'"),
        (&[("Authorization", "ZStack TETHERZSTACKACCESSKEY1"), ("Date", &date)], "Invalid authKey format"),
        (&[("Authorization", &good)], "'Date' must be incuded in request header"),
        (
            &[("Authorization", &good), ("Date", "2026-01-05T09:12:44Z")],
            "'Date' format error, correct format is 'EEE, dd MMM yyyy HH:mm:ss z'",
        ),
    ];
    for (headers, details) in cases {
        let answer = raw(&emu, headers).await;
        answer.assert_error(400, "SYS.1007");
        assert_eq!(answer.details(), details);
    }
    raw(&emu, &[("Authorization", &good), ("Date", &date)]).await.ok();
    // A signature over another path (or method) does not pass.
    let other = zs_signature(ZS_ACCESS_KEY_SECRET, "GET", &date, "/v1/iam2/organizations");
    raw(&emu, &[("Authorization", &format!("ZStack {ZS_ACCESS_KEY_ID}:{other}")), ("Date", &date)])
        .await
        .assert_error(403, "ID.1000");
}

#[tokio::test]
async fn credentials_are_published_in_the_state() {
    let emu = start().await;
    let state = emu.admin_get("state").await;
    let zstack = &state["credentials"]["zstack"];
    assert_eq!(zstack["accounts"][0]["account_name"], "admin");
    assert_eq!(zstack["accounts"][0]["password"], "password");
    assert_eq!(zstack["accounts"][0]["password_sha512"], sha512_hex("password"));
    assert_eq!(zstack["accounts"][0]["account_uuid"], ZS_ADMIN_UUID);
    let keys: Vec<(&str, &str, &str)> = zstack["access_keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| {
            (
                k["access_key_id"].as_str().unwrap(),
                k["access_key_secret"].as_str().unwrap(),
                k["state"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        keys,
        [(ZS_ACCESS_KEY_ID, ZS_ACCESS_KEY_SECRET, "Enabled"), (ZS_DISABLED_KEY_ID, ZS_DISABLED_KEY_SECRET, "Disabled"),]
    );
    assert_eq!(state["zstack"]["sessions"], Value::Array(Vec::new()));
}

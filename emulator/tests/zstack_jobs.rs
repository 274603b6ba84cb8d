//! ZStack asynchronous APIs over HTTP: attach / detach as 202 jobs, the documented outcomes,
//! X-Job-UUID, injected faults, persistence across a restart, and reset.

mod common;

use std::path::PathBuf;
use std::time::Duration;

use common::*;
use serde_json::{Value, json};
use tether_emulator::Config;

#[tokio::test]
async fn attach_is_a_job_and_the_ref_appears_only_when_it_finished() {
    let emu = start_with(zs_config()).await;
    let session = emu.zs_session().await;
    let attach = session.attach(ZS_PAYMENTS, ZS_FINANCE).await;
    let location = attach.location();
    let job_uuid = location.rsplit('/').next().unwrap().to_owned();
    assert_eq!(
        location,
        format!("http://{}/zstack/v1/api-jobs/{job_uuid}", emu.addr),
        "the location uses the request's host"
    );
    assert_eq!(job_uuid.len(), 32);
    assert_eq!(attach.body.as_object().unwrap().len(), 1);

    // Running: 202 {} and nothing applied yet.
    let running = zs_answer(http().get(&location).send().await.unwrap()).await;
    assert_eq!((running.status, &running.body), (202, &json!({})));
    assert!(session.organization_of(ZS_PAYMENTS).await.is_empty());

    let (done, polls) = zs_wait(&location).await;
    assert!(polls >= 1, "the job ran for a while");
    let inventory = &done.ok()["inventory"];
    assert_eq!(inventory["uuid"], ZS_PAYMENTS);
    assert_eq!(inventory["name"], "payments");
    assert_eq!(inventory["state"], "Enabled");
    assert_eq!(inventory["attributes"], json!([]));

    let refs = session.get(&format!("/v1/iam2/projects/organizations/refs?q=projectUuid={ZS_PAYMENTS}")).await;
    let refs = refs.ok()["inventories"].as_array().unwrap().clone();
    assert_eq!(refs.len(), 1);
    assert_eq!(refs[0]["organizationUuid"], ZS_FINANCE);
    assert_eq!(refs[0]["id"], 2, "after the fixture's ref 1");
    let created = refs[0]["createDate"].as_str().unwrap();
    assert!(created.ends_with(" AM") || created.ends_with(" PM"), "{created}");

    // The result stays readable; the audit log ties the call to its job.
    zs_wait(&location).await.0.ok();
    let logged = emu.zs_calls(ZS_ATTACH).await;
    assert_eq!(logged.len(), 1);
    assert_eq!(logged[0]["request_id"], job_uuid.as_str());
    assert_eq!(
        logged[0]["params"],
        json!({"projectUuid": ZS_PAYMENTS, "organizationUuid": ZS_FINANCE,
               "params": {}, "systemTags": [], "userTags": []})
    );
    let polls_logged = emu.zs_calls("PollApiJob").await;
    assert!(polls_logged.len() >= 2);
    assert_eq!(polls_logged[0]["params"], json!({"jobUuid": job_uuid}));
}

#[tokio::test]
async fn detach_is_a_job_too_and_is_idempotent() {
    let emu = start_with(zs_config()).await;
    let key = emu.zs_key();
    assert_eq!(key.organization_of(ZS_LEGACY_ERP).await, [ZS_FINANCE]);
    let detach = key.detach(ZS_LEGACY_ERP).await;
    let location = detach.location();
    assert_eq!(key.organization_of(ZS_LEGACY_ERP).await, [ZS_FINANCE], "still attached while the job runs");
    let (done, _) = zs_wait(&location).await;
    assert_eq!(done.ok()["inventory"]["name"], "legacy-erp");
    assert!(key.organization_of(ZS_LEGACY_ERP).await.is_empty());

    // Detaching a project that is in no organization succeeds.
    let (again, _) = zs_wait(&key.detach(ZS_LEGACY_ERP).await.location()).await;
    assert_eq!(again.ok()["inventory"]["uuid"], ZS_LEGACY_ERP);
    let detaches = emu.zs_calls(ZS_DETACH).await;
    assert_eq!(detaches.len(), 2);
    assert_eq!(detaches[0]["params"], json!({"projectUuid": ZS_LEGACY_ERP}));
}

#[tokio::test]
async fn a_project_belongs_to_one_organization() {
    let emu = start_with(zs_config()).await;
    let key = emu.zs_key();
    // legacy-erp is in Finance: attaching it to Engineering fails, nothing moves.
    let (moved, _) = zs_wait(&key.attach(ZS_LEGACY_ERP, ZS_ENGINEERING).await.location()).await;
    moved.assert_error(503, "SYS.1007");
    assert!(moved.details().contains(ZS_FINANCE), "{moved:?}");
    assert_eq!(moved.description(), "One or more API argument is invalid");
    assert_eq!(key.organization_of(ZS_LEGACY_ERP).await, [ZS_FINANCE]);

    // Attaching it to Finance again succeeds without a change.
    let before = key.get("/v1/iam2/projects/organizations/refs").await.ok().clone();
    let (same, _) = zs_wait(&key.attach(ZS_LEGACY_ERP, ZS_FINANCE).await.location()).await;
    assert_eq!(same.ok()["inventory"]["uuid"], ZS_LEGACY_ERP);
    let after = key.get("/v1/iam2/projects/organizations/refs").await;
    assert_eq!(after.ok(), &before);
    // The attach without a body is accepted too.
    let bare =
        key.call("POST", &format!("/v1/iam2/projects/{ZS_SANDBOX}/iam2/organizations/{ZS_TETHER_CORP}"), None).await;
    zs_wait(&bare.location()).await.0.ok();
    assert_eq!(key.organization_of(ZS_SANDBOX).await, [ZS_TETHER_CORP]);
}

#[tokio::test]
async fn unknown_uuids_fail_the_job_with_sys_1003() {
    let emu = start_with(zs_config()).await;
    let key = emu.zs_key();
    let nowhere = "0123456789abcdef0123456789abcdef";
    for answer in
        [key.attach(nowhere, ZS_FINANCE).await, key.attach(ZS_PAYMENTS, nowhere).await, key.detach(nowhere).await]
    {
        let (failed, _) = zs_wait(&answer.location()).await;
        failed.assert_error(503, "SYS.1003");
        assert!(failed.details().contains(nowhere), "{failed:?}");
    }
    assert!(key.organization_of(ZS_PAYMENTS).await.is_empty());
    // Bad bodies are refused by the REST layer before any job starts.
    key.call(
        "POST",
        &format!("/v1/iam2/projects/{ZS_PAYMENTS}/iam2/organizations/{ZS_FINANCE}"),
        Some(json!({"systemTags": "x"})),
    )
    .await
    .assert_error(400, "SYS.1007");
    assert!(emu.emulator.world().zstack.jobs.len() == 3);
}

#[tokio::test]
async fn unknown_jobs_are_404_and_polling_needs_no_credentials() {
    let emu = start_with(zs_config()).await;
    let anonymous = emu.zs(ZsAuth::None);
    let answer = anonymous.get("/v1/api-jobs/0123456789abcdef0123456789abcdef").await;
    answer.assert_error(404, "SYS.1003");
    anonymous.call("DELETE", "/v1/api-jobs/0123456789abcdef0123456789abcdef", None).await.assert_error(405, "SYS.1008");
    let location = emu.zs_key().detach(ZS_PAYMENTS).await.location();
    let path = location.split("/zstack").nth(1).unwrap().to_owned();
    let (done, _) = zs_wait(&location).await;
    done.ok();
    anonymous.get(&path).await.ok();
}

#[tokio::test]
async fn x_job_uuid_names_the_job() {
    let emu = start_with(zs_config()).await;
    let mut key = emu.zs_key();
    let chosen = "c0ffee00c0ffee00c0ffee00c0ffee00";
    key.headers = vec![("X-Job-UUID".into(), chosen.into())];
    let location = key.attach(ZS_PAYMENTS, ZS_FINANCE).await.location();
    assert!(location.ends_with(&format!("/api-jobs/{chosen}")), "{location}");
    // A retry with the same uuid (e.g. after a dropped connection) is refused: poll the job.
    key.attach(ZS_PAYMENTS, ZS_FINANCE).await.assert_error(400, "SYS.1007");
    zs_wait(&location).await.0.ok();

    for bad in ["c0ffee00-c0ff-ee00-c0ff-ee00c0ffee00", "xyz", "c0ffee00c0ffee00c0ffee00c0ffee0g"] {
        key.headers = vec![("X-Job-UUID".into(), bad.into())];
        let answer = key.detach(ZS_PAYMENTS).await;
        answer.assert_error(400, "SYS.1007");
        assert!(answer.details().contains("X-Job-UUID"), "{answer:?}");
    }
    assert_eq!(emu.emulator.world().zstack.jobs.len(), 1);
}

#[tokio::test]
async fn async_fail_and_async_hang() {
    let emu = start_with(zs_config()).await;
    let key = emu.zs_key();
    emu.admin_post(
        "faults",
        json!({"cloud": "zstack", "action": ZS_ATTACH, "kind": "async_fail",
               "code": "SYS.1006", "message": "the organization is being deleted"}),
    )
    .await;
    // A query does not consume an asynchronous fault.
    key.get("/v1/iam2/projects").await.ok();
    let (failed, polls) = zs_wait(&key.attach(ZS_PAYMENTS, ZS_FINANCE).await.location()).await;
    assert!(polls >= 1, "fails after its usual duration");
    failed.assert_error(503, "SYS.1006");
    assert_eq!(failed.description(), "the organization is being deleted");
    assert_eq!(failed.details(), "the organization is being deleted");
    assert!(key.organization_of(ZS_PAYMENTS).await.is_empty(), "nothing applied");
    let logged = emu.zs_calls(ZS_ATTACH).await;
    assert_eq!((logged[0]["fault"].as_str(), logged[0]["status"].as_str()), (Some("async_fail"), Some("ok")));

    // Defaults: SYS.1006 and a message saying it was injected.
    emu.admin_post("faults", json!({"cloud": "zstack", "action": ZS_DETACH, "kind": "async_fail"})).await;
    let (failed, _) = zs_wait(&key.detach(ZS_LEGACY_ERP).await.location()).await;
    failed.assert_error(503, "SYS.1006");
    assert!(failed.description().contains("injected"), "{failed:?}");
    assert_eq!(key.organization_of(ZS_LEGACY_ERP).await, [ZS_FINANCE]);

    emu.admin_post("faults", json!({"cloud": "zstack", "kind": "async_hang"})).await;
    let location = key.attach(ZS_ANALYTICS, ZS_ENGINEERING).await.location();
    tokio::time::sleep(Duration::from_millis(900)).await;
    let hanging = zs_answer(http().get(&location).send().await.unwrap()).await;
    assert_eq!((hanging.status, hanging.body), (202, json!({})));
    assert!(key.organization_of(ZS_ANALYTICS).await.is_empty());
}

#[tokio::test]
async fn error_throttle_latency_and_dropped_connections() {
    let emu = start_with(zs_config()).await;
    let key = emu.zs_key();
    emu.admin_post(
        "faults",
        json!({"cloud": "zstack", "action": ZS_ATTACH, "kind": "error",
               "status": 500, "code": "SYS.1000", "message": "database is gone"}),
    )
    .await;
    let answer = key.attach(ZS_PAYMENTS, ZS_FINANCE).await;
    answer.assert_error(500, "SYS.1000");
    assert_eq!(answer.description(), "database is gone");
    assert!(emu.emulator.world().zstack.jobs.is_empty(), "no job started");

    emu.admin_post("faults", json!({"cloud": "zstack", "kind": "error"})).await;
    key.get("/v1/iam2/projects").await.assert_error(503, "SYS.1000");

    emu.admin_post("faults", json!({"cloud": "zstack", "kind": "throttle"})).await;
    let throttled = key.get("/v1/iam2/projects").await;
    throttled.assert_error(503, "SYS.1010");
    assert_eq!(throttled.description(), "Management server is not ready to serve");

    emu.admin_post("faults", json!({"cloud": "zstack", "kind": "latency", "latency_ms": 300})).await;
    let started = std::time::Instant::now();
    key.get("/v1/iam2/projects").await.ok();
    assert!(started.elapsed() >= Duration::from_millis(300));

    // drop_before: no answer and no job; drop_after: no answer but the job runs.
    emu.admin_post("faults", json!({"cloud": "zstack", "action": ZS_ATTACH, "kind": "drop_before"})).await;
    assert!(
        key.send("POST", &format!("/v1/iam2/projects/{ZS_PAYMENTS}/iam2/organizations/{ZS_FINANCE}"), None)
            .await
            .is_err()
    );
    assert!(emu.emulator.world().zstack.jobs.is_empty());
    emu.admin_post("faults", json!({"cloud": "zstack", "action": ZS_ATTACH, "kind": "drop_after"})).await;
    let mut chosen = key.clone();
    let job = "0000000000000000000000000000abcd";
    chosen.headers = vec![("X-Job-UUID".into(), job.into())];
    assert!(
        chosen
            .send("POST", &format!("/v1/iam2/projects/{ZS_PAYMENTS}/iam2/organizations/{ZS_FINANCE}"), None)
            .await
            .is_err()
    );
    let (done, _) = zs_wait(&format!("{}/zstack/v1/api-jobs/{job}", emu.base)).await;
    done.ok();
    assert_eq!(key.organization_of(ZS_PAYMENTS).await, [ZS_FINANCE]);
    let logged = emu.zs_calls(ZS_ATTACH).await;
    let faults: Vec<&str> = logged.iter().map(|c| c["fault"].as_str().unwrap_or("-")).collect();
    assert_eq!(faults, ["error", "drop_before", "drop_after"]);
    assert_eq!(logged[1]["error_code"], "ConnectionDropped");
    assert_eq!(logged[2]["status"], "ok");
}

struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        let dir = std::env::temp_dir().join(format!("tether-zstack-test-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[tokio::test]
async fn refs_jobs_and_sessions_survive_a_restart_and_reset_restores_the_fixture() {
    let dir = TempDir::new();
    let config = Config { state_file: Some(dir.0.join("world.json")), zstack_job_ms: 300, ..Config::default() };
    let first = start_with(config.clone()).await;
    let session = first.zs_session().await;
    let key = first.zs_key();
    let attached = key.attach(ZS_PAYMENTS, ZS_FINANCE).await.location();
    zs_wait(&attached).await.0.ok();
    let detached = key.detach(ZS_LEGACY_ERP).await.location();
    let running = key.attach(ZS_ANALYTICS, ZS_ENGINEERING).await.location();
    zs_wait(&detached).await.0.ok();
    drop(first);

    // Same port is not guaranteed: rewrite the locations for the new emulator.
    tokio::time::sleep(Duration::from_millis(400)).await;
    let second = start_with(config.clone()).await;
    let moved = |location: &str| {
        let path = location.split("/zstack").nth(1).unwrap().to_owned();
        format!("{}/zstack{path}", second.base)
    };
    let session = second.zs(session.auth.clone());
    session.get("/v1/iam2/projects").await.ok();
    assert_eq!(session.organization_of(ZS_PAYMENTS).await, [ZS_FINANCE]);
    assert!(session.organization_of(ZS_LEGACY_ERP).await.is_empty());
    let (finished, _) = zs_wait(&moved(&attached)).await;
    assert_eq!(finished.ok()["inventory"]["uuid"], ZS_PAYMENTS);
    // A job running when the emulator stopped finished as if it had kept running.
    let (finished, polls) = zs_wait(&moved(&running)).await;
    finished.ok();
    assert_eq!(polls, 0);
    assert_eq!(session.organization_of(ZS_ANALYTICS).await, [ZS_ENGINEERING]);

    let (status, _) = second.admin_post("reset", json!({})).await;
    assert_eq!(status, 200);
    session.get("/v1/iam2/projects").await.assert_error(503, "ID.1001");
    let key = second.zs_key();
    let refs = key.get("/v1/iam2/projects/organizations/refs").await;
    let refs = &refs.ok()["inventories"];
    assert_eq!(refs.as_array().unwrap().len(), 1);
    assert_eq!(refs[0]["projectUuid"], ZS_LEGACY_ERP);
    key.get(attached.split("/zstack").nth(1).unwrap()).await.assert_error(404, "SYS.1003");
    drop(second);
    let saved: Value = serde_json::from_slice(&std::fs::read(dir.0.join("world.json")).unwrap()).unwrap();
    assert_eq!(saved["zstack"]["jobs"], json!([]));
    assert_eq!(saved["zstack"]["sessions"], json!([]));
}

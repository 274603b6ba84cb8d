//! The admin API, `--state` persistence, and the binary's start-up contract.

mod common;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};

use common::*;
use serde_json::json;
use tether_emulator::Config;

const BIND: &str = "BindOrganizationMemberAuthAccount";
const DESCRIBE: &str = "DescribeOrganizationMemberAuthAccounts";

struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        let dir = std::env::temp_dir().join(format!("tether-emulator-test-{}", uuid::Uuid::new_v4()));
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
async fn state_file_survives_a_restart() {
    let dir = TempDir::new();
    let path = dir.0.join("world.json");
    let config = Config { state_file: Some(path.clone()), ..Config::default() };

    let first = start_with(config.clone()).await;
    assert!(path.exists(), "the seed is written at start");
    assert_ok(&first.client().call(BIND, bind_params(MEMBER, 1001, &[SUB, SUB + 1])).await);
    let saved: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(saved["tencent"]["organization"]["bindings"].as_array().unwrap().len(), 2);
    drop(first);

    let second = start_with(config.clone()).await;
    let listed = second.client().call(DESCRIBE, describe_params(MEMBER, 1001, 0, 10)).await;
    assert_eq!(item_uins(&listed), [SUB, SUB + 1]);
    assert_eq!(second.admin_get("calls").await.as_array().unwrap().len(), 1, "the call log is not persisted");

    // A reset is persisted too.
    let (status, _) = second.admin_post("reset", json!({})).await;
    assert_eq!(status, 200);
    drop(second);
    let third = start_with(config).await;
    assert!(third.emulator.world().tencent.organization.bindings.is_empty());

    // No temporary files are left next to the state file.
    assert_eq!(std::fs::read_dir(&dir.0).unwrap().count(), 1);
}

#[tokio::test]
async fn corrupt_state_file_is_an_error_not_a_silent_reseed() {
    let dir = TempDir::new();
    let path = dir.0.join("world.json");
    std::fs::write(&path, "{ not json").unwrap();
    let err = tether_emulator::Emulator::new(Config { state_file: Some(path), ..Config::default() })
        .err()
        .expect("load fails");
    assert!(err.to_string().contains("world.json"), "{err}");
}

#[tokio::test]
async fn reset_state_and_calls() {
    let emu = start().await;
    let tc = emu.client();
    assert_ok(&tc.call(BIND, bind_params(MEMBER, 1001, &[SUB])).await);
    assert_ok(&tc.call(DESCRIBE, describe_params(MEMBER, 1001, 0, 10)).await);
    emu.admin_post("faults", json!({"cloud": "tencent", "kind": "error", "count": 0})).await;

    let state = emu.admin_get("state").await;
    let creds = state["credentials"]["tencent"].as_array().unwrap();
    assert_eq!(creds[0]["secret_id"], SECRET_ID);
    assert_eq!(creds[0]["secret_key"], SECRET_KEY);
    assert_eq!(creds[1]["token"], TEMP_TOKEN);
    assert_eq!(state["tencent"]["organization"]["management_uin"], 100_000_000_001_i64);
    assert_eq!(state["tencent"]["organization"]["bindings"][0]["sub_account_uin"], SUB);

    // Filters, and every entry has the documented fields.
    let all = emu.admin_get("calls").await;
    assert_eq!(all.as_array().unwrap().len(), 2);
    for entry in all.as_array().unwrap() {
        for field in ["seq", "time", "cloud", "action", "params", "status", "error_code", "request_id"] {
            assert!(entry.get(field).is_some(), "{field} missing in {entry}");
        }
    }
    assert_eq!(all[0]["seq"], 1);
    assert_eq!(all[0]["cloud"], "tencent");
    assert_eq!(emu.calls(DESCRIBE).await.len(), 1);
    assert_eq!(emu.admin_get("calls?cloud=huawei").await, json!([]));

    let (status, body) = emu.admin_post("reset", json!({})).await;
    assert_eq!((status, body), (200, json!({"reset": true})));
    assert_eq!(emu.admin_get("calls").await, json!([]));
    assert_eq!(emu.admin_get("faults").await, json!([]));
    // The seed, except for the pending Huawei invitation's timestamps (stamped at seeding).
    let without_seed_times = |mut state: serde_json::Value| {
        for handshake in state["huawei"]["organizations"]["handshakes"].as_array_mut().unwrap() {
            for field in ["created_at", "updated_at", "expired_at"] {
                handshake.as_object_mut().unwrap().remove(field);
            }
        }
        state
    };
    assert_eq!(
        without_seed_times(emu.admin_get("state").await),
        without_seed_times(serde_json::to_value(tether_emulator::fixtures::seed()).unwrap())
    );
    assert_ok(&tc.call(DESCRIBE, describe_params(MEMBER, 1001, 0, 10)).await);

    assert_eq!(emu.admin_delete("calls").await["deleted"], 1);
    assert_eq!(emu.admin_get("calls").await, json!([]));

    // Paths no cloud claims get a JSON 404 that names them.
    let resp = http().get(format!("{}/v1/nothing", emu.base)).send().await.unwrap();
    assert_eq!(resp.status(), 404);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert!(body["error"].as_str().unwrap().contains("/v1/nothing"));
}

#[test]
fn binary_prints_the_bound_address_first() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tether-emulator"))
        .args(["--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let address = line.trim_end().to_owned();
    let parsed: std::net::SocketAddr = address.parse().expect("first line is exactly an address");
    assert!(parsed.ip().is_loopback() && parsed.port() != 0, "{address}");

    // It serves right away.
    let stream = std::net::TcpStream::connect(parsed);
    child.kill().unwrap();
    child.wait().unwrap();
    stream.expect("the emulator accepts connections once the address is printed");
}

//! The cloud emulator on loopback, and its unsigned admin API (`/_emulator/…`).

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub struct Emulator {
    child: Child,
    pub address: String,
}

impl Emulator {
    pub fn start(binary: &Path, args: &[String]) -> Result<Emulator, String> {
        let mut child = Command::new(binary)
            .args(["--listen", "127.0.0.1:0"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("start {}: {e}", binary.display()))?;
        // Its first stdout line is the bound address, nothing else.
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("piped stdout"))
            .read_line(&mut line)
            .map_err(|e| format!("read the emulator's address: {e}"))?;
        let address = line.trim().to_string();
        if address.is_empty() {
            let _ = child.kill();
            let _ = child.wait();
            return Err("the emulator printed no address".into());
        }
        Ok(Emulator { child, address })
    }

    /// CPU seconds the emulator has used so far (it shares the machine's cores with Terraform).
    pub fn cpu_secs(&self) -> f64 {
        crate::procfs::cpu_secs(self.child.id()).unwrap_or(0.0)
    }

    pub fn endpoint(&self) -> String {
        format!("http://{}", self.address)
    }

    /// One admin request; the JSON answer (null for an empty body).
    pub fn admin(&self, method: &str, path: &str) -> Result<Value, String> {
        let mut stream = TcpStream::connect(&self.address).map_err(|e| format!("connect to the emulator: {e}"))?;
        stream.set_read_timeout(Some(Duration::from_secs(60))).ok();
        write!(
            stream,
            "{method} /_emulator/{path} HTTP/1.1\r\nHost: {}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            self.address
        )
        .map_err(|e| format!("send admin {path}: {e}"))?;
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).map_err(|e| format!("read admin {path}: {e}"))?;
        let text = String::from_utf8_lossy(&raw);
        let (head, body) = text.split_once("\r\n\r\n").ok_or_else(|| format!("admin {path}: not an HTTP answer"))?;
        if !head.starts_with("HTTP/1.1 2") {
            return Err(format!("admin {method} {path}: {}", head.lines().next().unwrap_or("")));
        }
        let body = if head.to_ascii_lowercase().contains("transfer-encoding: chunked") {
            unchunk(body)
        } else {
            body.to_string()
        };
        if body.trim().is_empty() {
            return Ok(Value::Null);
        }
        serde_json::from_str(&body).map_err(|e| format!("admin {path}: {e}"))
    }

    /// Back to the seed: no bindings, empty call log, fresh rate-limit windows.
    pub fn reset(&self) -> Result<(), String> {
        self.admin("POST", "reset").map(|_| ())
    }

    /// The call log since the last call of this (which empties it), summarised by action.
    pub fn take_calls(&self) -> Result<Calls, String> {
        let log = self.admin("GET", "calls")?;
        self.admin("DELETE", "calls")?;
        Ok(Calls::from_log(&log))
    }

    /// How many Tencent bindings the emulator holds.
    pub fn tencent_bindings(&self) -> Result<usize, String> {
        let state = self.admin("GET", "state")?;
        Ok(state["tencent"]["organization"]["bindings"].as_array().map(Vec::len).unwrap_or(0))
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn unchunk(body: &str) -> String {
    let mut out = String::new();
    let mut rest = body;
    while let Some((size, after)) = rest.split_once("\r\n") {
        let Ok(size) = usize::from_str_radix(size.trim(), 16) else { break };
        if size == 0 || after.len() < size {
            break;
        }
        out.push_str(&after[..size]);
        rest = after[size..].strip_prefix("\r\n").unwrap_or(&after[size..]);
    }
    out
}

/// The calls of one action in a span of the log.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct ActionCalls {
    /// Answered with success.
    pub ok: u64,
    /// Refused, by error code (`RequestLimitExceeded` is throttling).
    pub errors: BTreeMap<String, u64>,
    /// BindOrganizationMemberAuthAccount only: successful calls by how many sub-accounts each
    /// carried (the API takes 1–5).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub batch_sizes: BTreeMap<u64, u64>,
}

impl ActionCalls {
    pub fn failed(&self) -> u64 {
        self.errors.values().sum()
    }

    pub fn throttled(&self) -> u64 {
        self.errors.iter().filter(|(code, _)| is_throttle(code)).map(|(_, n)| n).sum()
    }

    pub fn total(&self) -> u64 {
        self.ok + self.failed()
    }
}

fn is_throttle(code: &str) -> bool {
    code == "RequestLimitExceeded" || code == "APIG.0308" || code == "SYS.1010"
}

/// A span of the call log, by action (`cloud:action`, so the clouds' names cannot collide).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Calls {
    pub by_action: BTreeMap<String, ActionCalls>,
}

pub const BIND: &str = "tencent:BindOrganizationMemberAuthAccount";
pub const CANCEL: &str = "tencent:CancelOrganizationMemberAuthAccount";
pub const DESCRIBE: &str = "tencent:DescribeOrganizationMemberAuthAccounts";

impl Calls {
    fn from_log(log: &Value) -> Calls {
        let mut calls = Calls::default();
        for entry in log.as_array().into_iter().flatten() {
            let action = format!(
                "{}:{}",
                entry["cloud"].as_str().unwrap_or("?"),
                entry["action"].as_str().unwrap_or("(unknown API)")
            );
            let slot = calls.by_action.entry(action.clone()).or_default();
            match entry["error_code"].as_str() {
                None => {
                    slot.ok += 1;
                    if action == BIND {
                        let size = entry["params"]["OrgSubAccountUins"].as_array().map(|a| a.len() as u64).unwrap_or(0);
                        *slot.batch_sizes.entry(size).or_default() += 1;
                    }
                }
                Some(code) => *slot.errors.entry(code.to_string()).or_default() += 1,
            }
        }
        calls
    }

    pub fn ok(&self, action: &str) -> u64 {
        self.by_action.get(action).map(|a| a.ok).unwrap_or(0)
    }

    pub fn failed(&self) -> u64 {
        self.by_action.values().map(ActionCalls::failed).sum()
    }

    pub fn total(&self) -> u64 {
        self.by_action.values().map(ActionCalls::total).sum()
    }
}

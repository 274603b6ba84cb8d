//! The call log behind `GET /_emulator/calls`.
//!
//! One entry per request that reached a cloud router, including rejected ones, so tests can assert
//! both "the detach API was called" and "the provider did not retry a non-retryable error".
//! Entries hold the request's API parameters only: never headers, keys, signatures or tokens.
//!
//! The log is bounded, because the emulator runs for hours on developer machines and in CI and
//! anyone who can reach the port can add to it (a call is logged before, and whether or not, it
//! authenticates): it keeps the last [`AUDIT_CAPACITY`] entries and at most
//! [`AUDIT_MAX_BYTES`] of parameters, dropping the oldest first, and an entry whose parameters
//! serialize to more than [`AUDIT_MAX_PARAMS_BYTES`] keeps a small marker instead of them.
//! Parameters are held as compact JSON text, not as a `serde_json::Value` (whose maps cost ~10
//! times their JSON size). Unbounded, one 16 KB unauthenticated GET kept ~45 MB alive until the
//! next reset.

use std::collections::VecDeque;
use std::io;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;

use crate::timefmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallStatus {
    Ok,
    Error,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallRecord {
    /// 1-based, in completion order.
    pub seq: u64,
    /// When the answer was produced (RFC 3339, UTC).
    pub time: String,
    pub cloud: String,
    /// The cloud's service, where one cloud has several (Huawei: `organizations`, `rgc`,
    /// `identitycenter`, `iam`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// The documented API name, or null when the request named none.
    pub action: Option<String>,
    /// The request's API parameters as JSON (body for POST, decoded query for GET).
    pub params: Value,
    pub status: CallStatus,
    pub error_code: Option<String>,
    pub request_id: String,
    /// The injected fault that fired for this call, if any (`error`, `throttle`, `latency`,
    /// `drop_before`, `drop_after`, `async_fail`, `async_hang`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fault: Option<String>,
}

/// What a router reports about one call; [`AuditLog::record`] stamps seq and time.
#[derive(Debug, Clone)]
pub struct Call {
    pub cloud: &'static str,
    pub service: Option<&'static str>,
    pub action: Option<String>,
    pub params: Value,
    pub error_code: Option<String>,
    pub request_id: String,
    pub fault: Option<&'static str>,
}

/// How many calls the log keeps; older ones are dropped (and counted) as new ones arrive.
pub const AUDIT_CAPACITY: usize = 10_000;
/// Largest logged `params`, as compact JSON. Real calls log a few hundred bytes.
pub const AUDIT_MAX_PARAMS_BYTES: usize = 8 * 1024;
/// Most bytes of logged `params` (compact JSON) held at once, over all entries.
pub const AUDIT_MAX_BYTES: usize = 16 * 1024 * 1024;

/// Counters behind `GET /_emulator/calls/stats`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditStats {
    /// Entries held now.
    pub retained: usize,
    /// The most entries held at once ([`AUDIT_CAPACITY`]).
    pub capacity: usize,
    /// Bytes of `params` (compact JSON) held now, at most [`AUDIT_MAX_BYTES`].
    pub params_bytes: usize,
    /// Entries dropped to make room since start (not reset by `DELETE calls` or `POST reset`).
    pub dropped: u64,
    /// Entries whose `params` were replaced by the too-large marker, since start.
    pub truncated_params: u64,
}

#[derive(Debug)]
pub struct AuditLog {
    inner: Mutex<Inner>,
    capacity: usize,
}

impl Default for AuditLog {
    fn default() -> Self {
        AuditLog::with_capacity(AUDIT_CAPACITY)
    }
}

#[derive(Debug, Default)]
struct Inner {
    next_seq: u64,
    /// Each record with `params` null, and its params as compact JSON.
    records: VecDeque<(CallRecord, Box<str>)>,
    params_bytes: usize,
    dropped: u64,
    truncated_params: u64,
}

impl AuditLog {
    /// A log that keeps the last `capacity` calls (at least one).
    pub fn with_capacity(capacity: usize) -> Self {
        AuditLog { inner: Mutex::new(Inner::default()), capacity: capacity.max(1) }
    }

    pub fn record(&self, call: Call) {
        // Measured outside the lock: serializing a large value takes a while.
        let (params, truncated) = bounded_params(&call.params);
        drop(call.params);
        let mut inner = self.lock();
        inner.next_seq += 1;
        if truncated {
            inner.truncated_params += 1;
        }
        let record = CallRecord {
            seq: inner.next_seq,
            time: timefmt::rfc3339(OffsetDateTime::now_utc()),
            cloud: call.cloud.to_owned(),
            service: call.service.map(str::to_owned),
            action: call.action,
            params: Value::Null,
            status: if call.error_code.is_some() { CallStatus::Error } else { CallStatus::Ok },
            error_code: call.error_code,
            request_id: call.request_id,
            fault: call.fault.map(str::to_owned),
        };
        while inner.records.len() >= self.capacity
            || (!inner.records.is_empty() && inner.params_bytes + params.len() > AUDIT_MAX_BYTES)
        {
            if let Some((_, dropped)) = inner.records.pop_front() {
                inner.params_bytes -= dropped.len();
            }
            inner.dropped += 1;
        }
        inner.params_bytes += params.len();
        inner.records.push_back((record, params));
    }

    pub fn stats(&self) -> AuditStats {
        let inner = self.lock();
        AuditStats {
            retained: inner.records.len(),
            capacity: self.capacity,
            params_bytes: inner.params_bytes,
            dropped: inner.dropped,
            truncated_params: inner.truncated_params,
        }
    }

    /// Entries matching the optional filters, oldest first.
    pub fn list(&self, cloud: Option<&str>, action: Option<&str>) -> Vec<CallRecord> {
        self.lock()
            .records
            .iter()
            .filter(|(r, _)| cloud.is_none_or(|c| r.cloud == c))
            .filter(|(r, _)| action.is_none_or(|a| r.action.as_deref() == Some(a)))
            .map(|(record, params)| CallRecord {
                // Written by serde_json just before, so it parses.
                params: serde_json::from_str(params).unwrap_or(Value::Null),
                ..record.clone()
            })
            .collect()
    }

    /// Empties the log and returns how many entries it held. Sequence numbers keep counting, so a
    /// test can tell entries from before and after a clear apart.
    pub fn clear(&self) -> usize {
        let mut inner = self.lock();
        let count = inner.records.len();
        inner.records.clear();
        inner.params_bytes = 0;
        count
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// `params` as compact JSON, or when that exceeds [`AUDIT_MAX_PARAMS_BYTES`], the marker
/// `{"tether_emulator_truncated":{"limit":8192}}` (serializing stops at the limit, so a huge
/// value costs no more than a small one). The flag says whether it was replaced.
fn bounded_params(params: &Value) -> (Box<str>, bool) {
    let mut out = LimitedBuffer(Vec::new());
    if serde_json::to_writer(&mut out, params).is_ok() {
        if let Ok(json) = String::from_utf8(out.0) {
            return (json.into_boxed_str(), false);
        }
    }
    let marker = serde_json::json!({
        "tether_emulator_truncated": { "limit": AUDIT_MAX_PARAMS_BYTES }
    });
    (marker.to_string().into_boxed_str(), true)
}

/// A buffer that fails once past [`AUDIT_MAX_PARAMS_BYTES`].
struct LimitedBuffer(Vec<u8>);

impl io::Write for LimitedBuffer {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.0.len() + buf.len() > AUDIT_MAX_PARAMS_BYTES {
            return Err(io::Error::other("params too large to log"));
        }
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn call(params: Value) -> Call {
        Call {
            cloud: "tencent",
            service: None,
            action: Some("X".into()),
            params,
            error_code: None,
            request_id: "r".into(),
            fault: None,
        }
    }

    #[test]
    fn keeps_the_last_entries_and_counts_the_dropped() {
        let log = AuditLog::with_capacity(3);
        for i in 0..5 {
            log.record(call(json!({ "i": i })));
        }
        let seqs: Vec<u64> = log.list(None, None).iter().map(|r| r.seq).collect();
        assert_eq!(seqs, [3, 4, 5]);
        let stats = log.stats();
        assert_eq!((stats.retained, stats.capacity, stats.dropped), (3, 3, 2));
        assert_eq!(log.clear(), 3);
        assert_eq!(log.stats().dropped, 2, "a clear is not a drop");
    }

    #[test]
    fn oversized_params_are_replaced_by_a_marker() {
        let log = AuditLog::with_capacity(10);
        log.record(call(json!({ "small": "x".repeat(100) })));
        log.record(call(json!({ "big": "x".repeat(AUDIT_MAX_PARAMS_BYTES) })));
        let records = log.list(None, None);
        assert_eq!(records[0].params["small"].as_str().unwrap().len(), 100);
        assert_eq!(records[1].params["tether_emulator_truncated"]["limit"], AUDIT_MAX_PARAMS_BYTES);
        assert_eq!(log.stats().truncated_params, 1);
    }

    #[test]
    fn the_params_bytes_are_bounded_too() {
        let log = AuditLog::with_capacity(AUDIT_CAPACITY);
        let params = json!({ "p": "x".repeat(AUDIT_MAX_PARAMS_BYTES - 20) });
        let each = params.to_string().len();
        let fits = AUDIT_MAX_BYTES / each;
        for _ in 0..fits + 5 {
            log.record(call(params.clone()));
        }
        let stats = log.stats();
        assert_eq!((stats.retained, stats.dropped), (fits, 5));
        assert!(stats.params_bytes <= AUDIT_MAX_BYTES);
        assert_eq!(log.list(None, None)[0].params, params);
    }
}

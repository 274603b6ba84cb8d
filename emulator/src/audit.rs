//! The call log behind `GET /_emulator/calls`.
//!
//! One entry per request that reached a cloud router, including rejected ones, so tests can assert
//! both "the detach API was called" and "the provider did not retry a non-retryable error".
//! Entries hold the request's API parameters only: never headers, keys, signatures or tokens.
//!
//! The log is bounded, because the emulator runs for hours on developer machines and in CI and
//! anyone who can reach the port can add to it (a call is logged before, and whether or not, it
//! authenticates): it keeps the last [`AUDIT_CAPACITY`] entries, and an entry whose parameters
//! serialize to more than [`AUDIT_MAX_PARAMS_BYTES`] keeps a small marker instead of them.
//! Unbounded, one 16 KB unauthenticated GET kept ~45 MB alive until the next reset.

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
pub const AUDIT_MAX_PARAMS_BYTES: usize = 16 * 1024;

/// Counters behind `GET /_emulator/calls/stats`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditStats {
    /// Entries held now.
    pub retained: usize,
    /// The most entries held at once ([`AUDIT_CAPACITY`]).
    pub capacity: usize,
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
    records: VecDeque<CallRecord>,
    dropped: u64,
    truncated_params: u64,
}

impl AuditLog {
    /// A log that keeps the last `capacity` calls (at least one).
    pub fn with_capacity(capacity: usize) -> Self {
        AuditLog {
            inner: Mutex::new(Inner::default()),
            capacity: capacity.max(1),
        }
    }

    pub fn record(&self, call: Call) {
        // Measured outside the lock: serializing a large value takes a while.
        let (params, truncated) = bounded_params(call.params);
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
            params,
            status: if call.error_code.is_some() {
                CallStatus::Error
            } else {
                CallStatus::Ok
            },
            error_code: call.error_code,
            request_id: call.request_id,
            fault: call.fault.map(str::to_owned),
        };
        while inner.records.len() >= self.capacity {
            inner.records.pop_front();
            inner.dropped += 1;
        }
        inner.records.push_back(record);
    }

    pub fn stats(&self) -> AuditStats {
        let inner = self.lock();
        AuditStats {
            retained: inner.records.len(),
            capacity: self.capacity,
            dropped: inner.dropped,
            truncated_params: inner.truncated_params,
        }
    }

    /// Entries matching the optional filters, oldest first.
    pub fn list(&self, cloud: Option<&str>, action: Option<&str>) -> Vec<CallRecord> {
        self.lock()
            .records
            .iter()
            .filter(|r| cloud.is_none_or(|c| r.cloud == c))
            .filter(|r| action.is_none_or(|a| r.action.as_deref() == Some(a)))
            .cloned()
            .collect()
    }

    /// Empties the log and returns how many entries it held. Sequence numbers keep counting, so a
    /// test can tell entries from before and after a clear apart.
    pub fn clear(&self) -> usize {
        let mut inner = self.lock();
        let count = inner.records.len();
        inner.records.clear();
        count
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// `params`, or when its compact JSON exceeds [`AUDIT_MAX_PARAMS_BYTES`], the marker
/// `{"tether_emulator_truncated":{"limit":16384}}` (measuring stops at the limit, so a huge value
/// costs no more than a small one). The flag says whether it was replaced.
fn bounded_params(params: Value) -> (Value, bool) {
    let mut counter = ByteCounter(0);
    if serde_json::to_writer(&mut counter, &params).is_ok() {
        return (params, false);
    }
    let marker = serde_json::json!({
        "tether_emulator_truncated": { "limit": AUDIT_MAX_PARAMS_BYTES }
    });
    (marker, true)
}

/// A writer that only counts, and fails once past [`AUDIT_MAX_PARAMS_BYTES`].
struct ByteCounter(usize);

impl io::Write for ByteCounter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0 += buf.len();
        if self.0 > AUDIT_MAX_PARAMS_BYTES {
            return Err(io::Error::other("params too large to log"));
        }
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
        assert_eq!(
            records[1].params["tether_emulator_truncated"]["limit"],
            AUDIT_MAX_PARAMS_BYTES
        );
        assert_eq!(log.stats().truncated_params, 1);
    }
}

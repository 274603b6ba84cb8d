//! The call log behind `GET /_emulator/calls`.
//!
//! One entry per request that reached a cloud router, including rejected ones, so tests can assert
//! both "the detach API was called" and "the provider did not retry a non-retryable error".
//! Entries hold the request's API parameters only: never headers, keys, signatures or tokens.

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

#[derive(Debug, Default)]
pub struct AuditLog {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    next_seq: u64,
    records: Vec<CallRecord>,
}

impl AuditLog {
    pub fn record(&self, call: Call) {
        let mut inner = self.lock();
        inner.next_seq += 1;
        let record = CallRecord {
            seq: inner.next_seq,
            time: timefmt::rfc3339(OffsetDateTime::now_utc()),
            cloud: call.cloud.to_owned(),
            service: call.service.map(str::to_owned),
            action: call.action,
            params: call.params,
            status: if call.error_code.is_some() {
                CallStatus::Error
            } else {
                CallStatus::Ok
            },
            error_code: call.error_code,
            request_id: call.request_id,
            fault: call.fault.map(str::to_owned),
        };
        inner.records.push(record);
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

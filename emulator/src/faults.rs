//! Injected faults (`POST /_emulator/faults`): errors, throttling, latency, dropped connections and
//! failing or hanging asynchronous jobs, by cloud and action, so tests can exercise a provider's
//! retry, polling and ambiguity handling.
//!
//! Faults are checked in creation order after authentication and rate limiting, just before the
//! action would run. Latency from every matching fault adds up; the first matching fault of any
//! other kind decides the outcome and stops the search. The two asynchronous kinds (`async_fail`,
//! `async_hang`) only match actions that start an asynchronous job, and `session_expire` only
//! matches calls authenticated with a session (ZStack's `OAuth <session uuid>`); for any other call
//! they are skipped without being consumed.

use std::sync::Mutex;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Clouds a fault may name ("*" = any).
pub const CLOUDS: [&str; 3] = ["tencent", "huawei", "zstack"];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// Answer with `code`/`message` in the cloud's error envelope; nothing is applied.
    Error,
    /// Answer with the cloud's throttling error; nothing is applied.
    Throttle,
    /// Sleep `latency_ms`, then proceed normally.
    Latency,
    /// Close the connection without answering; nothing is applied.
    DropBefore,
    /// Apply the action, then close the connection without answering.
    DropAfter,
    /// Accept the call and start its asynchronous job, which then ends `FAILED` with `message`
    /// after its usual duration, leaving the resource as it was.
    AsyncFail,
    /// Accept the call and start its asynchronous job, which then stays in progress forever.
    AsyncHang,
    /// Invalidate the caller's session right before the call, so the call meets the cloud's
    /// invalid-session error (ZStack only: the only cloud with sessions).
    SessionExpire,
}

impl FaultKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FaultKind::Error => "error",
            FaultKind::Throttle => "throttle",
            FaultKind::Latency => "latency",
            FaultKind::DropBefore => "drop_before",
            FaultKind::DropAfter => "drop_after",
            FaultKind::AsyncFail => "async_fail",
            FaultKind::AsyncHang => "async_hang",
            FaultKind::SessionExpire => "session_expire",
        }
    }

    /// Whether a call of this shape can trigger the kind (otherwise it is skipped, not consumed).
    fn applies_to(self, call: CallShape) -> bool {
        match self {
            FaultKind::AsyncFail | FaultKind::AsyncHang => call.starts_job,
            FaultKind::SessionExpire => call.has_session,
            _ => true,
        }
    }
}

/// What kind of call is asking for its faults: decides which fault kinds can apply to it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CallShape {
    /// The action starts an asynchronous job (`async_fail` / `async_hang` can apply).
    pub starts_job: bool,
    /// The caller authenticated with a live session (`session_expire` can apply).
    pub has_session: bool,
}

/// Clouds whose callers have sessions that a `session_expire` fault can end.
const SESSION_CLOUDS: [&str; 1] = ["zstack"];

/// Body of `POST /_emulator/faults`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultSpec {
    pub cloud: String,
    #[serde(default = "any_action")]
    pub action: String,
    pub kind: FaultKind,
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
    /// HTTP status of an `error` fault, for clouds that answer errors with a status (Huawei,
    /// ZStack); default 500. Tencent answers every error with HTTP 200, so it is refused there.
    #[serde(default)]
    pub status: Option<u16>,
    /// How many times the fault fires; default 1, 0 = until deleted.
    #[serde(default)]
    pub count: Option<u32>,
    /// Chance (0..=1) that a matching call triggers it; default 1.
    #[serde(default)]
    pub probability: Option<f64>,
    /// Delay before the fault's effect; required for `latency`, optional for the others.
    #[serde(default)]
    pub latency_ms: Option<u64>,
}

fn any_action() -> String {
    "*".to_owned()
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Fault {
    pub id: String,
    pub cloud: String,
    pub action: String,
    pub kind: FaultKind,
    pub code: Option<String>,
    pub message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// As requested (0 = unlimited).
    pub count: u32,
    /// Firings left; null when unlimited. A spent fault stays listed with 0.
    pub remaining: Option<u32>,
    pub fired: u32,
    pub probability: Option<f64>,
    pub latency_ms: Option<u64>,
}

/// What the matching faults want done with one call.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FaultPlan {
    pub delay: Duration,
    pub outcome: Option<FaultOutcome>,
    /// The kind to record in the audit log (the deciding fault, else `latency` if one fired).
    pub fired: Option<FaultKind>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum FaultOutcome {
    Error {
        status: Option<u16>,
        code: Option<String>,
        message: Option<String>,
    },
    Throttle {
        code: Option<String>,
        message: Option<String>,
    },
    DropBefore,
    DropAfter,
    /// The job ends `FAILED` with this message (None: the cloud's default text) and, for clouds
    /// whose job errors carry one, this code (None: the cloud's default code).
    AsyncFail {
        code: Option<String>,
        message: Option<String>,
    },
    AsyncHang,
    /// End the caller's session now; the call then fails as with any invalid session.
    SessionExpire,
}

#[derive(Debug, Default)]
pub struct FaultSet {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    next_id: u64,
    faults: Vec<Fault>,
}

impl FaultSpec {
    fn validate(&self) -> Result<(), String> {
        if self.cloud != "*" && !CLOUDS.contains(&self.cloud.as_str()) {
            return Err(format!("cloud must be one of {CLOUDS:?} or \"*\", got {:?}", self.cloud));
        }
        if self.action.is_empty() {
            return Err("action must be an API action name or \"*\"".into());
        }
        if let Some(p) = self.probability {
            if !(0.0..=1.0).contains(&p) {
                return Err(format!("probability must be within 0..=1, got {p}"));
            }
        }
        if self.kind == FaultKind::SessionExpire && self.cloud != "*" && !SESSION_CLOUDS.contains(&self.cloud.as_str())
        {
            return Err(format!(
                "session_expire applies only to clouds with sessions ({SESSION_CLOUDS:?}), not {:?}",
                self.cloud
            ));
        }
        if self.kind == FaultKind::Latency && self.latency_ms.is_none() {
            return Err("a latency fault needs latency_ms".into());
        }
        if let Some(status) = self.status {
            if self.kind != FaultKind::Error {
                return Err("status applies only to faults of kind error".into());
            }
            if !(400..=599).contains(&status) {
                return Err(format!("status must be an HTTP error status (400..=599), got {status}"));
            }
            if self.cloud == "tencent" {
                return Err("tencent answers every error with HTTP 200: status is not allowed".into());
            }
        }
        Ok(())
    }
}

impl FaultSet {
    pub fn add(&self, spec: FaultSpec) -> Result<Fault, String> {
        spec.validate()?;
        let mut inner = self.lock();
        inner.next_id += 1;
        let count = spec.count.unwrap_or(1);
        let fault = Fault {
            id: format!("fault-{}", inner.next_id),
            cloud: spec.cloud,
            action: spec.action,
            kind: spec.kind,
            code: spec.code,
            message: spec.message,
            status: spec.status,
            count,
            remaining: (count > 0).then_some(count),
            fired: 0,
            probability: spec.probability,
            latency_ms: spec.latency_ms,
        };
        inner.faults.push(fault.clone());
        Ok(fault)
    }

    pub fn list(&self) -> Vec<Fault> {
        self.lock().faults.clone()
    }

    pub fn remove(&self, id: &str) -> bool {
        let mut inner = self.lock();
        let before = inner.faults.len();
        inner.faults.retain(|f| f.id != id);
        inner.faults.len() != before
    }

    pub fn clear(&self) -> usize {
        let mut inner = self.lock();
        let count = inner.faults.len();
        inner.faults.clear();
        count
    }

    /// Decides, and consumes, the faults for one call of `cloud`/`action`. `starts_job` says whether
    /// the action starts an asynchronous job (only then can `async_fail`/`async_hang` match).
    pub fn plan(&self, cloud: &str, action: &str, starts_job: bool) -> FaultPlan {
        self.plan_call(cloud, action, CallShape { starts_job, has_session: false })
    }

    /// [`FaultSet::plan`] for a call of the given shape (see [`CallShape`]).
    pub fn plan_call(&self, cloud: &str, action: &str, call: CallShape) -> FaultPlan {
        let mut inner = self.lock();
        let mut plan = FaultPlan::default();
        for fault in inner.faults.iter_mut() {
            let matches = (fault.cloud == "*" || fault.cloud == cloud)
                && (fault.action == "*" || fault.action == action)
                && fault.remaining != Some(0)
                && fault.kind.applies_to(call);
            if !matches || !fault.probability.is_none_or(|p| rand::random::<f64>() < p) {
                continue;
            }
            if let Some(remaining) = fault.remaining.as_mut() {
                *remaining -= 1;
            }
            fault.fired += 1;
            plan.delay += Duration::from_millis(fault.latency_ms.unwrap_or(0));
            plan.fired = Some(fault.kind);
            let outcome = match fault.kind {
                FaultKind::Latency => continue,
                FaultKind::Error => FaultOutcome::Error {
                    status: fault.status,
                    code: fault.code.clone(),
                    message: fault.message.clone(),
                },
                FaultKind::Throttle => {
                    FaultOutcome::Throttle { code: fault.code.clone(), message: fault.message.clone() }
                }
                FaultKind::DropBefore => FaultOutcome::DropBefore,
                FaultKind::DropAfter => FaultOutcome::DropAfter,
                FaultKind::AsyncFail => {
                    FaultOutcome::AsyncFail { code: fault.code.clone(), message: fault.message.clone() }
                }
                FaultKind::AsyncHang => FaultOutcome::AsyncHang,
                FaultKind::SessionExpire => FaultOutcome::SessionExpire,
            };
            plan.outcome = Some(outcome);
            break;
        }
        plan
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(kind: FaultKind, action: &str, count: Option<u32>) -> FaultSpec {
        FaultSpec {
            cloud: "tencent".into(),
            action: action.into(),
            kind,
            code: None,
            message: None,
            status: None,
            count,
            probability: None,
            latency_ms: (kind == FaultKind::Latency).then_some(5),
        }
    }

    #[test]
    fn count_limits_firings_and_actions_must_match() {
        let set = FaultSet::default();
        set.add(spec(FaultKind::Error, "Bind", Some(2))).unwrap();
        assert_eq!(set.plan("tencent", "Cancel", false), FaultPlan::default());
        assert_eq!(set.plan("huawei", "Bind", false), FaultPlan::default());
        assert!(set.plan("tencent", "Bind", false).outcome.is_some());
        assert_eq!(set.list()[0].remaining, Some(1));
        assert!(set.plan("tencent", "Bind", false).outcome.is_some());
        assert_eq!(set.plan("tencent", "Bind", false).outcome, None);
        assert_eq!(set.list()[0].fired, 2);
    }

    #[test]
    fn latency_adds_up_until_a_deciding_fault() {
        let set = FaultSet::default();
        set.add(spec(FaultKind::Latency, "*", Some(0))).unwrap();
        set.add(spec(FaultKind::DropAfter, "*", None)).unwrap();
        let plan = set.plan("tencent", "X", false);
        assert_eq!(plan.delay, Duration::from_millis(5));
        assert_eq!(plan.outcome, Some(FaultOutcome::DropAfter));
        assert_eq!(plan.fired, Some(FaultKind::DropAfter));
        let plan = set.plan("tencent", "X", false);
        assert_eq!((plan.outcome, plan.fired), (None, Some(FaultKind::Latency)));
        assert_eq!(set.list()[0].remaining, None, "count 0 never runs out");
    }

    #[test]
    fn validation() {
        let set = FaultSet::default();
        let mut bad = spec(FaultKind::Error, "*", None);
        bad.cloud = "aws".into();
        assert!(set.add(bad).is_err());
        let mut bad = spec(FaultKind::Latency, "*", None);
        bad.latency_ms = None;
        assert!(set.add(bad).is_err());
        let mut bad = spec(FaultKind::Error, "*", None);
        bad.probability = Some(1.5);
        assert!(set.add(bad).is_err());
        let mut never = spec(FaultKind::Error, "*", None);
        never.probability = Some(0.0);
        set.add(never).unwrap();
        assert_eq!(set.plan("tencent", "X", false).outcome, None);

        let mut status = spec(FaultKind::Error, "*", None);
        status.status = Some(503);
        assert!(set.add(status.clone()).is_err(), "tencent has no error statuses");
        status.cloud = "huawei".into();
        set.add(status.clone()).unwrap();
        status.status = Some(200);
        assert!(set.add(status.clone()).is_err());
        status.status = Some(429);
        status.kind = FaultKind::Throttle;
        assert!(set.add(status).is_err(), "status is for error faults");
    }

    #[test]
    fn async_faults_only_match_actions_that_start_jobs() {
        let set = FaultSet::default();
        let mut fail = spec(FaultKind::AsyncFail, "*", Some(1));
        fail.cloud = "huawei".into();
        fail.message = Some("quota exceeded".into());
        set.add(fail).unwrap();
        assert_eq!(set.plan("huawei", "ShowOperation", false), FaultPlan::default());
        assert_eq!(set.list()[0].remaining, Some(1), "skipped, not consumed");
        let plan = set.plan("huawei", "EnrollAccount", true);
        assert_eq!(plan.outcome, Some(FaultOutcome::AsyncFail { code: None, message: Some("quota exceeded".into()) }));
        assert_eq!(plan.fired, Some(FaultKind::AsyncFail));
        assert_eq!(set.plan("huawei", "EnrollAccount", true).outcome, None);
    }

    #[test]
    fn session_expire_only_matches_session_calls_of_session_clouds() {
        let set = FaultSet::default();
        let mut tencent = spec(FaultKind::SessionExpire, "*", None);
        assert!(set.add(tencent.clone()).is_err(), "tencent has no sessions");
        tencent.cloud = "huawei".into();
        assert!(set.add(tencent.clone()).is_err(), "huawei has no sessions");
        tencent.cloud = "zstack".into();
        set.add(tencent).unwrap();
        let keyed = CallShape { starts_job: true, has_session: false };
        assert_eq!(
            set.plan_call("zstack", "X", keyed),
            FaultPlan::default(),
            "an AccessKey call has no session to end"
        );
        assert_eq!(set.list()[0].remaining, Some(1), "skipped, not consumed");
        let session = CallShape { starts_job: false, has_session: true };
        let plan = set.plan_call("zstack", "X", session);
        assert_eq!((plan.outcome, plan.fired), (Some(FaultOutcome::SessionExpire), Some(FaultKind::SessionExpire)));
        assert_eq!(set.list()[0].remaining, Some(0));
    }
}

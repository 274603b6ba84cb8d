//! Asynchronous jobs (RGC operations, Identity Center assignment requests) and applying their
//! ends to the world.
//!
//! A job is in progress from its start until `started_at + duration_ms`; then it succeeds, or
//! fails when an `async_fail` fault shaped it; an `async_hang` job never ends. Nothing runs in the
//! background: before every Huawei call (and `GET /_emulator/state`) [`settle`] applies the end of
//! every job that is due, so the world only changes once a job has finished, and a job that was
//! in flight when the emulator stopped finishes after a restart as if it had kept running.

use super::model::{Assignment, AssignmentRequestKind, HuaweiWorld, JobClock, JobEnd, JobFault, OperationKind};

pub const IN_PROGRESS: &str = "IN_PROGRESS";
pub const SUCCEEDED: &str = "SUCCEEDED";
pub const FAILED: &str = "FAILED";

/// Managed-account states (the real enum is unpublished; see the README).
pub mod states {
    pub const ENROLLING: &str = "ENROLLING";
    pub const ENROLLED: &str = "ENROLLED";
    pub const UPDATING: &str = "UPDATING";
    pub const UN_ENROLLING: &str = "UN_ENROLLING";
}

/// What a client sees of a job at some instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobView {
    /// Percentage 0..=99.
    InProgress(u8),
    Succeeded,
    Failed(String),
}

impl JobClock {
    pub fn start(now: i64, duration_ms: u64, fault: Option<JobFault>) -> Self {
        JobClock { started_at: now, duration_ms, fault, finished: None }
    }

    /// When the job ends; `None` for a hanging job.
    pub fn due_at(&self) -> Option<i64> {
        match self.fault {
            Some(JobFault::Hang) => None,
            _ => Some(self.started_at.saturating_add(i64::try_from(self.duration_ms).unwrap_or(i64::MAX))),
        }
    }

    fn is_due(&self, now: i64) -> bool {
        self.finished.is_none() && self.due_at().is_some_and(|due| due <= now)
    }

    /// The job's status at `now` (normally [`settle`] has already recorded a due job's end).
    pub fn view(&self, now: i64) -> JobView {
        if let Some(end) = &self.finished {
            return end_view(end);
        }
        if self.is_due(now) {
            return match &self.fault {
                Some(JobFault::Fail { message }) => JobView::Failed(message.clone()),
                _ => JobView::Succeeded,
            };
        }
        let elapsed = u64::try_from(now.saturating_sub(self.started_at)).unwrap_or(0);
        let percent = elapsed.saturating_mul(100).checked_div(self.duration_ms).unwrap_or(99).min(99);
        JobView::InProgress(u8::try_from(percent).unwrap_or(99))
    }

    /// Records the job's end; returns whether it succeeded.
    fn finish(&mut self) -> bool {
        let at = self.due_at().unwrap_or(self.started_at);
        let (status, message) = match &self.fault {
            Some(JobFault::Fail { message }) => (FAILED, Some(message.clone())),
            _ => (SUCCEEDED, None),
        };
        self.finished = Some(JobEnd { status: status.to_owned(), message, at });
        status == SUCCEEDED
    }

    /// Ends the job now with `status`, regardless of its timing (e.g. DisassociateProfile
    /// overtaking an assignment request).
    pub fn finish_now(&mut self, status: &str, message: Option<String>, now: i64) {
        self.finished = Some(JobEnd { status: status.to_owned(), message, at: now });
    }
}

fn end_view(end: &JobEnd) -> JobView {
    if end.status == SUCCEEDED { JobView::Succeeded } else { JobView::Failed(end.message.clone().unwrap_or_default()) }
}

/// Applies everything that became due by `now`: expired invitations, finished RGC operations and
/// finished assignment requests. Returns whether the world changed.
pub fn settle(world: &mut HuaweiWorld, now: i64) -> bool {
    let mut changed = false;

    for handshake in &mut world.organizations.handshakes {
        if handshake.status == "pending" && handshake.expired_at <= now {
            handshake.status = "expired".into();
            handshake.updated_at = handshake.expired_at;
            changed = true;
        }
    }

    let rgc = &mut world.rgc;
    for index in 0..rgc.operations.len() {
        if !rgc.operations[index].clock.is_due(now) {
            continue;
        }
        changed = true;
        let succeeded = rgc.operations[index].clock.finish();
        let op = rgc.operations[index].clone();
        let at = op.clock.due_at().unwrap_or(now);
        match (op.kind, succeeded) {
            (OperationKind::Enroll, true) | (OperationKind::Update, true) => {
                if let Some(account) = rgc.managed_mut(&op.account_id) {
                    account.state = states::ENROLLED.into();
                    if let Some(ou) = op.target_organizational_unit_id {
                        account.parent_organizational_unit_id = ou;
                    }
                    if op.blueprint.is_some() {
                        account.blueprint = op.blueprint;
                    }
                    account.updated_at = at;
                }
            }
            // A failed enrollment leaves the account as it was: not managed.
            (OperationKind::Enroll, false) | (OperationKind::UnEnroll, true) => {
                rgc.managed_accounts.retain(|m| m.account_id != op.account_id);
            }
            (OperationKind::Update, false) | (OperationKind::UnEnroll, false) => {
                if let Some(account) = rgc.managed_mut(&op.account_id) {
                    account.state = states::ENROLLED.into();
                }
            }
        }
    }

    let ic = &mut world.identity_center;
    for index in 0..ic.assignment_requests.len() {
        if !ic.assignment_requests[index].clock.is_due(now) {
            continue;
        }
        changed = true;
        let succeeded = ic.assignment_requests[index].clock.finish();
        if !succeeded {
            continue;
        }
        let request = ic.assignment_requests[index].clone();
        let existing = ic.assignment_index(&request.key);
        match (request.kind, existing) {
            (AssignmentRequestKind::Create, None) => {
                let seq = ic.next_assignment_seq;
                ic.next_assignment_seq += 1;
                ic.assignments.push(Assignment {
                    key: request.key,
                    seq,
                    created_at: request.clock.due_at().unwrap_or(now),
                });
            }
            (AssignmentRequestKind::Delete, Some(index)) => {
                ic.assignments.remove(index);
            }
            _ => {}
        }
    }
    changed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_job_progresses_then_ends() {
        let clock = JobClock::start(1_000, 1_000, None);
        assert_eq!(clock.view(1_000), JobView::InProgress(0));
        assert_eq!(clock.view(1_500), JobView::InProgress(50));
        assert_eq!(clock.view(1_999), JobView::InProgress(99));
        assert_eq!(clock.view(2_000), JobView::Succeeded);

        let failing = JobClock::start(0, 10, Some(JobFault::Fail { message: "no quota".into() }));
        assert_eq!(failing.view(5), JobView::InProgress(50));
        assert_eq!(failing.view(10), JobView::Failed("no quota".into()));

        let hanging = JobClock::start(0, 10, Some(JobFault::Hang));
        assert_eq!(hanging.due_at(), None);
        assert_eq!(hanging.view(i64::MAX), JobView::InProgress(99));

        let instant = JobClock::start(0, 0, None);
        assert_eq!(instant.view(0), JobView::Succeeded);
    }

    #[test]
    fn settle_expires_invitations_and_applies_due_operations_once() {
        use crate::fixtures;
        use crate::huawei::model::Operation;

        let seeded_at = 1_000_000;
        let mut world = fixtures::seed_at(seeded_at).huawei;
        assert!(!settle(&mut world, seeded_at), "nothing is due at seeding");
        let ttl = crate::huawei::organizations::HANDSHAKE_TTL_MS;
        assert!(settle(&mut world, seeded_at + ttl));
        let handshake = &world.organizations.handshakes[0];
        assert_eq!((handshake.status.as_str(), handshake.updated_at), ("expired", seeded_at + ttl));

        let finance = fixtures::HUAWEI_FINANCE_PROD.id;
        world.rgc.managed_mut(finance).unwrap().state = states::UPDATING.into();
        world.rgc.operations.push(Operation {
            operation_id: "op-1".into(),
            kind: OperationKind::Update,
            account_id: finance.into(),
            target_organizational_unit_id: Some("ou-tether-sandbox".into()),
            blueprint: None,
            clock: JobClock::start(10, 100, None),
        });
        assert!(!settle(&mut world, 109));
        let account = world.rgc.managed(finance).unwrap();
        assert_eq!(account.state, states::UPDATING);
        assert!(settle(&mut world, 110));
        let account = world.rgc.managed(finance).unwrap();
        assert_eq!(
            (account.state.as_str(), account.parent_organizational_unit_id.as_str()),
            (states::ENROLLED, "ou-tether-sandbox")
        );
        assert_eq!(account.updated_at, 110);
        assert!(!settle(&mut world, 10_000), "an end is applied once");
    }

    #[test]
    fn finishing_records_the_end_at_the_due_time() {
        let mut clock = JobClock::start(100, 50, None);
        assert!(clock.finish());
        assert_eq!(clock.finished.as_ref().unwrap().at, 150);
        assert_eq!(clock.view(0), JobView::Succeeded, "an end is final");
    }
}

//! Asynchronous API jobs (`202` + `location` → `GET /zstack/v1/api-jobs/{uuid}`).
//!
//! A job runs from its start for its duration, then finishes: [`settle`] (called before every
//! ZStack call and `GET /_emulator/state`) decides and applies the end of every job that is due,
//! in the order they became due, so the world only changes once a job has finished, and a job
//! that was running when the emulator stopped finishes after a restart as if it had kept running.
//! A hanging job (`async_hang`) never finishes. Finished jobs are kept with their result.

use serde_json::Value;

use super::error::ErrorObject;
use super::iam2;
use super::model::{Job, JobEnd, JobFault, ZStackWorld};

/// What `GET` on a job's location answers.
#[derive(Debug, Clone, PartialEq)]
pub enum JobView<'a> {
    /// 202 `{}`.
    Running,
    /// 200 with the API result.
    Succeeded(&'a Value),
    /// 503 with the error.
    Failed(&'a ErrorObject),
}

impl Job {
    /// When the job finishes; `None` for a hanging job.
    pub fn due_at(&self) -> Option<i64> {
        match self.fault {
            Some(JobFault::Hang) => None,
            _ => Some(self.started_at.saturating_add(i64::try_from(self.duration_ms).unwrap_or(i64::MAX))),
        }
    }

    fn is_due(&self, now: i64) -> bool {
        self.finished.is_none() && self.due_at().is_some_and(|due| due <= now)
    }

    /// The job as a client sees it (after [`settle`]).
    pub fn view(&self) -> JobView<'_> {
        match &self.finished {
            None => JobView::Running,
            Some(JobEnd { error: Some(error), .. }) => JobView::Failed(error),
            Some(JobEnd { result, .. }) => JobView::Succeeded(result.as_ref().unwrap_or(&Value::Null)),
        }
    }
}

/// Applies everything that became due by `now`: finished jobs (in due order, then start order)
/// and expired sessions. Returns whether the world changed.
pub fn settle(world: &mut ZStackWorld, now: i64) -> bool {
    let sessions = world.sessions.len();
    world.sessions.retain(|s| s.expires_at > now);
    let mut changed = world.sessions.len() != sessions;

    let mut due: Vec<(i64, usize)> = world
        .jobs
        .iter()
        .enumerate()
        .filter(|(_, job)| job.is_due(now))
        .filter_map(|(index, job)| job.due_at().map(|at| (at, index)))
        .collect();
    due.sort_unstable();
    for (at, index) in due {
        let job = world.jobs[index].clone();
        let end = iam2::finish(world, &job, at);
        world.jobs[index].finished = Some(end);
        changed = true;
    }
    changed
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures;
    use crate::zstack::model::JobKind;

    fn job(uuid: char, started_at: i64, duration_ms: u64, organization: &str) -> Job {
        Job {
            uuid: uuid.to_string().repeat(32),
            kind: JobKind::AttachIAM2ProjectToIAM2Organization,
            project_uuid: fixtures::ZSTACK_PROJECTS[0].0.into(),
            organization_uuid: Some(organization.into()),
            started_at,
            duration_ms,
            fault: None,
            finished: None,
        }
    }

    #[test]
    fn jobs_finish_once_in_due_order() {
        let mut world = fixtures::seed_at(0).zstack;
        let finance = fixtures::ZSTACK_ORGANIZATIONS[1].0;
        let engineering = fixtures::ZSTACK_ORGANIZATIONS[2].0;
        // Started first but due last: the Engineering attach wins, Finance then fails.
        world.jobs.push(job('a', 0, 300, finance));
        world.jobs.push(job('b', 100, 100, engineering));
        let mut hanging = job('c', 0, 0, finance);
        hanging.fault = Some(JobFault::Hang);
        world.jobs.push(hanging);

        assert!(!settle(&mut world, 199));
        assert_eq!(world.jobs[0].view(), JobView::Running);
        assert!(settle(&mut world, 1_000));
        assert!(matches!(world.jobs[1].view(), JobView::Succeeded(_)));
        let JobView::Failed(error) = world.jobs[0].view() else {
            panic!("{:?}", world.jobs[0]);
        };
        assert_eq!(error.code, "SYS.1007");
        assert_eq!(world.jobs[0].finished.as_ref().unwrap().at, 300);
        assert_eq!(world.jobs[2].view(), JobView::Running, "hangs forever");
        assert!(!settle(&mut world, i64::MAX), "an end is applied once");
    }
}

//! `tether_iam2_detach_project`: a ZStack IAM2 project leaves its organization
//! (DetachIAM2ProjectFromIAM2Organization, then its job waited on), as destroying a
//! `tether_iam2_project_organization` does. The configuration names the organization: the detach
//! API takes only the project, so it is sent only while the project is still in that one, never
//! taking a project out of an organization the reviewer did not see.
//!
//! plan   = the project's organization and both names: what will end, or that nothing will
//! invoke = the same read, then the detach and its job (`clients::zstack::detach_project`, the
//!          resource's own procedure)

use std::time::Duration;

use async_trait::async_trait;

use crate::clients::zstack::{self, ProjectDetached, attached_organization};
use crate::clients::{Clients, OperationClients, ReportCloud, Service};
use crate::clouds::CloudError;
use crate::clouds::zstack::ZStackClient;
use crate::framework::action::{self, Action, Progress};
use crate::framework::args::require_string;
use crate::framework::model::Model;
use crate::framework::operation::Limits;
use crate::framework::{AttributePath, Ctx, Diagnostic, Diagnostics, Outcome, Report, Schema, Value};

use super::MANAGED_ELSEWHERE;

pub const TYPE_NAME: &str = "tether_iam2_detach_project";

const API: &str = "ZStack DetachIAM2ProjectFromIAM2Organization";

/// The same default as `tether_iam2_project_organization`'s `timeouts.delete`: the job ends in
/// seconds, and the rest is room for a busy management node.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10 * 60);

pub struct Iam2DetachProject;

/// The arguments of the action's `config` block.
#[derive(Model)]
struct Config {
    /// UUID of the IAM2 project (32 hexadecimal characters).
    #[tf(required)]
    project_uuid: String,
    /// UUID of the organization to detach it from. The project is detached only while it is in this organization; in another one (or none), the action calls nothing.
    #[tf(required)]
    organization_uuid: String,
}

/// "name (uuid)", or the UUID alone when the name is unknown.
fn named(name: Option<String>, uuid: &str) -> String {
    match name.filter(|n| !n.is_empty()) {
        Some(name) => format!("{name} ({uuid})"),
        None => uuid.to_string(),
    }
}

/// What detaching takes away, with the names ZStack has.
async fn effect(client: &ZStackClient, project: &str, organization: &str) -> Result<String, CloudError> {
    let (found_project, found_organization) =
        tokio::try_join!(client.get_project_shared(project), client.get_organization_shared(organization))?;
    Ok(format!(
        "project {} leaves organization {}; the project itself is not deleted.",
        named(found_project.map(|p| p.name), project),
        named(found_organization.map(|o| o.name), organization)
    ))
}

fn check_uuid(config: &Value, name: &str, diags: &mut Diagnostics) {
    if let Some(value) = config.attr(name).and_then(Value::as_str) {
        if !(value.len() == 32 && value.chars().all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))) {
            diags.push(
                Diagnostic::error(
                    format!("Invalid {name}"),
                    format!("{value:?} is not a ZStack UUID: expected 32 lower-case hexadecimal characters without dashes, such as \"6a1f0c2b3d4e4f5a8b9c0d1e2f3a4b01\"."),
                )
                .at(AttributePath::root(name)),
            );
        }
    }
}

#[async_trait]
impl Action<Clients> for Iam2DetachProject {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn service(&self) -> Service {
        Service::ZStackIam2
    }

    fn default_timeout(&self, _limits: Limits) -> Duration {
        DEFAULT_TIMEOUT
    }

    fn schema(&self) -> Schema {
        action::with_timeout(
            Config::schema(
                "Detaches a ZStack IAM2 project from its organization: calls **DetachIAM2ProjectFromIAM2Organization** (`DELETE /zstack/v1/iam2/projects/{projectUuid}/iam2/organizations`) and waits for the job. The project is not deleted. It is sent only while the project is in `organization_uuid`; `terraform plan -invoke` shows what will end, or that the project is not there, which counts as done. Changes no Terraform state.",
            ),
            "`10m`, as `tether_iam2_project_organization`'s `timeouts.delete`",
        )
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        check_uuid(config, Config::PROJECT_UUID, diags);
        check_uuid(config, Config::ORGANIZATION_UUID, diags);
    }

    async fn plan(&self, ctx: &Ctx<'_, Clients>, config: &Value, diags: &mut Diagnostics) -> Outcome<()> {
        let project = require_string(config, Config::PROJECT_UUID).report(diags)?;
        let organization = require_string(config, Config::ORGANIZATION_UUID).report(diags)?;
        let client = ctx.zstack().report(diags)?;
        let current = attached_organization(&client, project)
            .await
            .report_as("Could not read the project's organization", diags)?;
        if current.as_deref() == Some(organization) {
            let effect = effect(&client, project, organization).await.report_as("Could not read the names", diags)?;
            diags.warning(
                format!("Invoking calls {API} for {project}"),
                format!(
                    "{API} (DELETE /zstack/v1/iam2/projects/{project}/iam2/organizations), then a wait for its job: {effect} {MANAGED_ELSEWHERE}"
                ),
            );
        } else {
            let where_ =
                current.map(|other| format!("in organization {other}")).unwrap_or_else(|| "in no organization".into());
            diags.warning(
                format!("Nothing to detach for {project}"),
                format!("Project {project} is {where_}, not in {organization}, so invoking the action calls nothing."),
            );
        }
        Ok(())
    }

    async fn invoke(
        &self,
        ctx: &Ctx<'_, Clients>,
        config: &Value,
        progress: &Progress,
        diags: &mut Diagnostics,
    ) -> Outcome<()> {
        let project = require_string(config, Config::PROJECT_UUID).report(diags)?;
        let organization = require_string(config, Config::ORGANIZATION_UUID).report(diags)?;
        let client = ctx.zstack().report(diags)?;
        let current = attached_organization(&client, project)
            .await
            .report_as("Could not read the project's organization", diags)?;
        if current.as_deref() != Some(organization) {
            let where_ =
                current.map(|other| format!("in organization {other}")).unwrap_or_else(|| "in no organization".into());
            progress.send(format!(
                "Already detached: project {project} is {where_}, not in {organization}; nothing to call."
            ));
            return Ok(());
        }
        let effect = effect(&client, project, organization).await.report_as("Could not read the names", diags)?;
        progress.send(format!("Calling {API} for {project}"));
        let keep = format!(
            "Invoke the action again: it reads the project first and detaches it only while it is still in organization {organization}."
        );
        let waiting = || progress.send("Waiting for the DetachIAM2ProjectFromIAM2Organization job");
        let ended = zstack::detach_project(ctx, &client, project, organization, &keep, waiting, diags).await?;
        progress.send(match ended {
            ProjectDetached::Now => format!("Done: {effect}"),
            ProjectDetached::Already | ProjectDetached::Elsewhere(_) => {
                format!(
                    "Already detached: project {project} had left organization {organization} when the call reached it."
                )
            }
        });
        Ok(())
    }
}

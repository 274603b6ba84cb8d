//! `tether_iam2_project_organization`: the link between a ZStack IAM2 project and the
//! organization (company or department) it belongs to. A project belongs to at most one.
//!
//! create = AttachIAM2ProjectToIAM2Organization (`POST /zstack/v1/iam2/projects/{p}/iam2/organizations/{o}`), wait for the job
//! read   = QueryIAM2OrganizationProjectRef (`GET /zstack/v1/iam2/projects/organizations/refs?q=projectUuid=…`)
//! delete = DetachIAM2ProjectFromIAM2Organization (`DELETE /zstack/v1/iam2/projects/{p}/iam2/organizations`, the detach API), wait for the job
//! list   = QueryIAM2OrganizationProjectRef (all links, or one organization's), names from
//!          QueryIAM2Project / QueryIAM2Organization

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;

use crate::clients::{Clients, OperationClients, ReportCloud, Service, import_hint};
use crate::clouds::waiter::WaitError;
use crate::clouds::zstack::iam2::ATTACH_PROJECT_ACTION;
use crate::clouds::zstack::{Condition, QueryOp, ZStackClient};
use crate::clouds::{CloudError, ErrorKind};
use crate::framework::identity::IdentityAttribute;
use crate::framework::model::Model;
use crate::framework::timeouts::{self, Defaults};
use crate::framework::{
    AttributePath, Ctx, DetachCall, Diagnostic, Diagnostics, Found, Outcome, Plan, Report, Reported, Resource, Schema,
    Value,
};

use crate::clients::zstack::{
    self, ProjectDetached, attached_organization, may_have_happened, read_back, settle_client, wait_for_job,
    why_unknown, write_failed,
};

pub const TYPE_NAME: &str = "tether_iam2_project_organization";

/// UUIDs per `uuid?=` condition when looking up names, to keep query strings short.
const UUIDS_PER_QUERY: usize = 50;

const TIMEOUTS: Defaults =
    Defaults { create: Duration::from_secs(10 * 60), update: None, delete: Duration::from_secs(10 * 60) };

/// ZStack jobs finish in about a second.
pub struct Iam2ProjectOrganization;

/// The arguments of a `list` block's `config`.
#[derive(Model)]
struct ListConfig {
    /// Only projects attached to this organization. Leave it out to list every project-organization link.
    #[tf(optional)]
    organization_uuid: Option<String>,
}

/// The state of a link: every attribute, declared once.
#[derive(Model)]
struct State {
    /// The project UUID, also the import ID.
    #[tf(computed, import)]
    id: String,
    /// UUID of the IAM2 project (32 hexadecimal characters).
    #[tf(required, force_new, identity)]
    project_uuid: String,
    /// UUID of the IAM2 organization to attach the project to.
    #[tf(required, force_new)]
    organization_uuid: String,
    /// Name of the project.
    #[tf(computed)]
    project_name: String,
    /// Name of the organization.
    #[tf(computed)]
    organization_name: String,
    /// The organization Terraform attached the project to (at create; at import, the one it was in). A refresh never changes it: when `organization_uuid` shows the project in another organization (moved outside Terraform), destroy calls nothing and leaves it there. Setting `organization_uuid` to the project's current organization adopts the move (the plan shows this attribute changing, and no cloud call is made).
    #[tf(computed)]
    attached_organization_uuid: String,
    #[tf(block = timeouts::block(TIMEOUTS))]
    timeouts: Value,
}

fn check_uuid(value: &str, name: &str) -> Result<(), Diagnostic> {
    if value.len() == 32 && value.chars().all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c)) {
        Ok(())
    } else {
        Err(Diagnostic::error(
            format!("Invalid {name}"),
            format!("{value:?} is not a ZStack UUID: expected 32 lower-case hexadecimal characters without dashes, such as \"6a1f0c2b3d4e4f5a8b9c0d1e2f3a4b01\"."),
        )
        .at(AttributePath::root(name)))
    }
}

fn text<'a>(value: &'a Value, name: &str) -> &'a str {
    value.attr(name).and_then(Value::as_str).unwrap_or_default()
}

/// The names of projects or organizations by UUID, a few queries for many UUIDs.
async fn names_of<'a>(
    client: &ZStackClient,
    kind: &str,
    uuids: impl Iterator<Item = &'a str>,
) -> Result<HashMap<String, String>, crate::clouds::CloudError> {
    let mut uuids: Vec<&str> = uuids.collect();
    uuids.sort_unstable();
    uuids.dedup();
    let mut names = HashMap::new();
    for chunk in uuids.chunks(UUIDS_PER_QUERY) {
        let condition = [Condition::new("uuid", QueryOp::In, chunk.join(","))];
        if kind == "project" {
            names.extend(client.query_projects(&condition).await?.into_iter().map(|p| (p.uuid, p.name)));
        } else {
            names.extend(client.query_organizations(&condition).await?.into_iter().map(|o| (o.uuid, o.name)));
        }
    }
    Ok(names)
}

/// The organization Terraform attached the project to: recorded at create (or at import, and
/// for states from before it was recorded, the organization the last apply or refresh saw).
/// A refresh never overwrites it, so a project moved elsewhere is told apart from ours.
fn attached(state: &Value) -> Option<&str> {
    [ATTACHED, State::ORGANIZATION_UUID]
        .into_iter()
        .find_map(|name| state.attr(name).and_then(Value::as_str).filter(|s| !s.is_empty()))
}

const ATTACHED: &str = State::ATTACHED_ORGANIZATION_UUID;

/// The state of a project attached to `organization`, `attached` being the organization
/// Terraform attached it to; the names are empty until a read fills them in.
fn link_state(project: &str, organization: &str, attached: &str, names: (String, String), known: &Value) -> Value {
    State {
        id: project.to_string(),
        project_uuid: project.to_string(),
        organization_uuid: organization.to_string(),
        project_name: names.0,
        organization_name: names.1,
        attached_organization_uuid: attached.to_string(),
        timeouts: known.attr(timeouts::BLOCK).cloned().unwrap_or(Value::Null),
    }
    .to_value()
}

/// The state `import` returns: the project alone, for the refresh that follows to fill in.
fn import_state(project: &str) -> Value {
    State::import_state_of(link_state(project, "", "", Default::default(), &Value::Null))
}

/// The state for a project attached to `organization`, with both names; `attached` is the
/// organization Terraform attached it to.
async fn state(
    client: &ZStackClient,
    project: &str,
    organization: &str,
    attached: &str,
    known: &Value,
) -> Result<Value, CloudError> {
    // Both names at once: each lookup waits a moment for company (see `ZStackClient::get_project_shared`).
    let (found_project, found_organization) =
        tokio::try_join!(client.get_project_shared(project), client.get_organization_shared(organization))?;
    let project_name = found_project.map(|p| p.name).unwrap_or_default();
    let organization_name = found_organization.map(|o| o.name).unwrap_or_default();
    Ok(link_state(project, organization, attached, (project_name, organization_name), known))
}

const ATTACH_REFUSED: &str = "Could not attach the project to the organization";
const ATTACH_FAILED: &str = "Attaching the project did not succeed";

/// After an attach whose outcome stays unknown (`why` says what the read-back found): records
/// the link, marked unconfirmed, so that the next refresh settles it ([`Resource::confirm`])
/// instead of the next apply attaching it a second time or reporting it as already there. After
/// Ctrl-C that is a warning: the record is as good as the object, and Terraform keeps it as it
/// is. At the deadline it is an error, so Terraform marks it tainted, as for any create that
/// failed: the message says how to keep it.
fn record_unconfirmed(
    ctx: &Ctx<'_, Clients>,
    planned: &Value,
    sent: SystemTime,
    error: &WaitError,
    why: &str,
    diags: &mut Diagnostics,
) -> Value {
    let (project, organization) = (text(planned, State::PROJECT_UUID), text(planned, State::ORGANIZATION_UUID));
    ctx.op.record_unconfirmed(sent);
    let stop = why_unknown(error);
    if ctx.interrupted() {
        diags.warning(
            format!("Recorded project {project} in organization {organization} unconfirmed"),
            format!(
                "{stop} Reading the project afterwards could not tell whether ZStack attached it ({why}). The link is in the Terraform state, marked unconfirmed: the next terraform plan or apply reads the project first, keeps the link if ZStack attached it, and attaches it again if it did not."
            ),
        );
    } else {
        diags.error(
            format!("Outcome of ZStack {ATTACH_PROJECT_ACTION} unknown"),
            format!(
                "{stop} Reading the project afterwards could not tell whether ZStack attached it ({why}). The link of project {project} to organization {organization} is recorded in the Terraform state, marked unconfirmed, and Terraform marks it tainted. The next terraform apply reads the project first. If ZStack attached it, that apply replaces it (detaching it and attaching it again) unless you keep it as it is with `terraform untaint {TYPE_NAME}.<name>`; if ZStack did not, the apply attaches it."
            ),
        );
    }
    link_state(project, organization, organization, Default::default(), planned)
}

#[async_trait]
impl Resource<Clients> for Iam2ProjectOrganization {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn service(&self) -> Service {
        Service::ZStackIam2
    }

    fn timeouts(&self) -> Option<Defaults> {
        Some(TIMEOUTS)
    }

    fn identity(&self) -> &'static [IdentityAttribute] {
        State::IDENTITY
    }

    fn schema(&self) -> Schema {
        State::schema(
            "Attaches a ZStack IAM2 project to an organization (a company or department); a project belongs to at most one organization. Creating it calls **AttachIAM2ProjectToIAM2Organization** and waits for the job. Destroying it calls **DetachIAM2ProjectFromIAM2Organization** (`DELETE /zstack/v1/iam2/projects/{projectUuid}/iam2/organizations`) and waits: the project leaves the organization (it is not deleted). A project moved to another organization outside Terraform shows as drift on `organization_uuid`, while `attached_organization_uuid` keeps the organization Terraform attached it to: destroy then calls nothing and leaves the project in the other organization, and a plan to move it back is refused rather than detaching it from an organization Terraform never attached it to.",
        )
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        for name in [State::PROJECT_UUID, State::ORGANIZATION_UUID] {
            if let Some(uuid) = config.attr(name).and_then(Value::as_str) {
                if let Err(d) = check_uuid(uuid, name) {
                    diags.push(d);
                }
            }
        }
        for d in timeouts::validate(config) {
            diags.push(d);
        }
    }

    async fn modify_plan(&self, _ctx: &Ctx<'_, Clients>, plan: &mut Plan, diags: &mut Diagnostics) -> Outcome<()> {
        if let Some(project) = plan.planned.attr(State::PROJECT_UUID).filter(|v| v.is_known()).cloned() {
            if let Some(slot) = plan.planned.attr_mut(State::ID) {
                *slot = project;
            }
        }
        if plan.is_create() {
            let organization = plan.planned.attr(State::ORGANIZATION_UUID).cloned().unwrap_or(Value::Null);
            if let Some(slot) = plan.planned.attr_mut(ATTACHED) {
                *slot = if organization.is_known() { organization } else { Value::unknown() };
            }
            return Ok(());
        }
        let (Some(current), Some(ours)) =
            (plan.prior.attr(State::ORGANIZATION_UUID).and_then(Value::as_str), attached(&plan.prior))
        else {
            return Ok(());
        };
        if current == ours {
            return Ok(());
        }
        let wanted = plan.planned.attr(State::ORGANIZATION_UUID).and_then(Value::as_str);
        if wanted == Some(current) {
            // The configuration names the organization the project was moved to: adopt it.
            if let Some(slot) = plan.planned.attr_mut(ATTACHED) {
                *slot = Value::from(current);
            }
        } else if plan.is_replace() {
            // A warning, not an error: `terraform destroy` runs a normal plan first to refresh,
            // and an error there would make the project impossible to destroy.
            let project = text(&plan.prior, State::PROJECT_UUID);
            diags.push(
                Diagnostic::warning(
                    format!("Project {project} was moved to another organization outside Terraform"),
                    format!(
                        "Project {project} is now in organization {current}, not in {ours}, where Terraform attached it. This replacement will not detach it from {current}, an organization Terraform never attached it to, so attaching it to {ours} will fail while it is there. Either move the project back outside Terraform, set organization_uuid = \"{current}\" to adopt the move, or stop managing it with `terraform state rm`."
                    ),
                )
                .at(AttributePath::root(State::ORGANIZATION_UUID)),
            );
        }
        Ok(())
    }

    async fn update(
        &self,
        _ctx: &Ctx<'_, Clients>,
        _prior: &Value,
        planned: &Value,
        _diags: &mut Diagnostics,
    ) -> Outcome<Value> {
        // Only adopting a move gets here (every argument forces replacement): nothing changes in
        // the cloud.
        Ok(planned.clone())
    }

    async fn create(&self, ctx: &Ctx<'_, Clients>, planned: &Value, diags: &mut Diagnostics) -> Outcome<Value> {
        let client = ctx.zstack().report(diags)?;
        let (project, organization) = (text(planned, State::PROJECT_UUID), text(planned, State::ORGANIZATION_UUID));
        // One query first: after a failed or lost attach, `reconcile` records a link it finds,
        // which is right only if the link did not exist before this attach. A link already there
        // is not this configuration's (or it is the one a create_before_destroy replacement is
        // about to destroy, which this create cannot tell apart), and a project
        // in another organization must not be touched; both are said plainly here, before
        // anything is sent.
        let before = attached_organization(&client, project)
            .await
            .report_as("Could not check the project's organization before attaching it", diags)?;
        match before {
            None => {}
            Some(current) if current == organization => {
                diags.error(
                    "The project is already attached to this organization",
                    format!("Project {project} is already in organization {organization}, so this configuration did not attach it. {}", import_hint(TYPE_NAME, project)),
                );
                return Err(Reported);
            }
            Some(other) => {
                diags.error(
                    "The project is in another organization",
                    format!("Project {project} is in organization {other}; ZStack attaches a project to one organization at a time, and this provider does not detach it from an organization it did not attach it to. Detach it there first, or set organization_uuid = \"{other}\" and import it: terraform import {TYPE_NAME}.<name> {project}"),
                );
                return Err(Reported);
            }
        }
        let sent = SystemTime::now();
        let submitted = client.attach_project_to_organization(project, organization).await;
        if let Err(error) = wait_for_job(&client, submitted, ctx).await {
            if !may_have_happened(&error) {
                return Err(write_failed(ATTACH_REFUSED, ATTACH_FAILED, &error)).report(diags);
            }
            // Stopped (Ctrl-C or the deadline) while the attach was on the wire or its job ran,
            // or the job could not be followed: only the project's organization can tell.
            return match read_back(&client, ctx, project).await {
                Ok(Some(current)) if current == organization => {
                    // The check above found it in no organization: this attach made the link.
                    let named = state(&settle_client(&client, ctx), project, organization, organization, planned).await;
                    Ok(named.unwrap_or_else(|_| {
                        link_state(project, organization, organization, Default::default(), planned)
                    }))
                }
                Ok(Some(other)) => {
                    diags.push(write_failed(ATTACH_REFUSED, ATTACH_FAILED, &error));
                    diags.warning(
                        format!("Project {project} is in organization {other}"),
                        format!("Reading the project after the attach was stopped found it in organization {other}, so it was not attached to {organization}; nothing is recorded."),
                    );
                    Err(Reported)
                }
                Ok(None) => Ok(record_unconfirmed(
                    ctx,
                    planned,
                    sent,
                    &error,
                    "it is in no organization yet, and the attach may still be on its way",
                    diags,
                )),
                Err(why) => Ok(record_unconfirmed(ctx, planned, sent, &error, &why, diags)),
            };
        }
        // Attached. Its names are read within the settle grace, so that Ctrl-C right now still
        // records the link; the next refresh fills in names that could not be read.
        match state(&settle_client(&client, ctx), project, organization, organization, planned).await {
            Ok(state) => Ok(state),
            Err(e) => {
                diags.warning(
                    "Attached, but could not read the names",
                    format!("Project {project} was attached to organization {organization}, and is recorded so; reading the names of the project and the organization failed ({}). The next refresh fills them in.", if e.kind == ErrorKind::Cancelled { "the read was stopped".to_string() } else { e.to_string() }),
                );
                Ok(link_state(project, organization, organization, Default::default(), planned))
            }
        }
    }

    /// The refresh of a link whose attach could not be confirmed (see `record_unconfirmed`).
    async fn confirm(
        &self,
        ctx: &Ctx<'_, Clients>,
        current: &Value,
        _since: SystemTime,
        diags: &mut Diagnostics,
    ) -> Outcome<Option<Value>> {
        // The create checked that the project was in no organization before it sent the attach,
        // so the project found in that organization now is the link it made. Anywhere else (or
        // nowhere) the attach did not take: drop the record, so the next plan attaches it again
        // and its check reports a project another organization holds, rather than a plan to
        // move it that could never be applied.
        let found = self.read(ctx, current, diags).await?;
        Ok(found.filter(|found| found.attr(State::ORGANIZATION_UUID).and_then(Value::as_str) == attached(current)))
    }

    async fn read(&self, ctx: &Ctx<'_, Clients>, current: &Value, diags: &mut Diagnostics) -> Outcome<Option<Value>> {
        let client = ctx.zstack().report(diags)?;
        let project = text(current, State::PROJECT_UUID);
        let read = async {
            match attached_organization(&client, project).await? {
                // Attached elsewhere is drift on organization_uuid: the plan shows the move back.
                Some(organization) => {
                    let ours = attached(current).unwrap_or(&organization).to_string();
                    state(&client, project, &organization, &ours, current).await.map(Some)
                }
                None => Ok(None),
            }
        };
        match read.await {
            Ok(found) => Ok(found),
            Err(e) if e.kind == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e).report_as("Could not read the project's organization", diags),
        }
    }

    async fn delete(&self, ctx: &Ctx<'_, Clients>, prior: &Value, diags: &mut Diagnostics) -> Outcome<()> {
        let client = ctx.zstack().report(diags)?;
        let project = text(prior, State::PROJECT_UUID);
        // The detach API takes only the project and detaches it from whatever organization it is
        // in. The client sends it only while the project is still in the organization Terraform
        // attached it to, checked right before each send (a resend after a new login included);
        // anywhere else, ours is already detached and the other is not ours to touch.
        let Some(ours) = attached(prior) else { return Ok(()) };
        let keep = format!(
            "It stays in the Terraform state; the next terraform apply or destroy reads the project first and detaches it only while it is still in organization {ours}."
        );
        match zstack::detach_project(ctx, &client, project, ours, &keep, || {}, diags).await? {
            ProjectDetached::Elsewhere(message) => diags.warning(
                format!("Left project {project} where it is"),
                format!("DetachIAM2ProjectFromIAM2Organization was {message}; the project left organization {ours} outside Terraform, so destroying this resource calls nothing."),
            ),
            ProjectDetached::Now | ProjectDetached::Already => {}
        }
        Ok(())
    }

    fn detach_call(&self, state: &Value) -> Result<DetachCall, String> {
        let (project, current) = (text(state, State::PROJECT_UUID), text(state, State::ORGANIZATION_UUID));
        match attached(state) {
            Some(ours) if ours != current => Err(format!(
                "project {project} is in organization {current}, which Terraform did not attach it to (it attached it to {ours}), so destroy leaves it there"
            )),
            _ => Ok(DetachCall {
                api: "ZStack DetachIAM2ProjectFromIAM2Organization".into(),
                parameters: format!(
                    "(DELETE /zstack/v1/iam2/projects/{project}/iam2/organizations, sent only while the project is in {current})"
                ),
            }),
        }
    }

    async fn destroy_effect(&self, _ctx: &Ctx<'_, Clients>, prior: &Value) -> String {
        let named = |name: &str, uuid: &str| match text(prior, name) {
            "" => uuid.to_string(),
            label => format!("{label} ({uuid})"),
        };
        let (project, organization) = (text(prior, State::PROJECT_UUID), text(prior, State::ORGANIZATION_UUID));
        format!(
            "project {} leaves organization {}; the project itself is not deleted.",
            named(State::PROJECT_NAME, project),
            named(State::ORGANIZATION_NAME, organization)
        )
    }

    fn list_schema(&self) -> Option<Schema> {
        Some(ListConfig::schema(
            "Finds the projects attached to organizations: all of them, or those of one organization.",
        ))
    }

    fn validate_list(&self, config: &Value, diags: &mut Diagnostics) {
        if let Some(uuid) = config.attr(ListConfig::ORGANIZATION_UUID).and_then(Value::as_str) {
            if let Err(d) = check_uuid(uuid, ListConfig::ORGANIZATION_UUID) {
                diags.push(d);
            }
        }
    }

    async fn list(
        &self,
        ctx: &Ctx<'_, Clients>,
        config: &Value,
        found: &mut Found,
        diags: &mut Diagnostics,
    ) -> Outcome<()> {
        let client = ctx.zstack().report(diags)?;
        let organization = config.attr(ListConfig::ORGANIZATION_UUID).and_then(Value::as_str);
        let mut refs = client
            .list_organization_project_refs(organization)
            .await
            .report_as("Could not list the project-organization links", diags)?;
        refs.sort_by(|a, b| a.project_uuid.cmp(&b.project_uuid));
        let names = async {
            let projects = names_of(&client, "project", refs.iter().map(|r| r.project_uuid.as_str())).await?;
            let organizations =
                names_of(&client, "organization", refs.iter().map(|r| r.organization_uuid.as_str())).await?;
            Ok::<_, crate::clouds::CloudError>((projects, organizations))
        };
        let (projects, organizations) =
            names.await.report_as("Could not look up project and organization names", diags)?;
        for link in refs {
            let project_name = projects.get(&link.project_uuid).cloned().unwrap_or_default();
            let organization_name = organizations.get(&link.organization_uuid).cloned().unwrap_or_default();
            let label =
                format!("{project_name} ({}) in {organization_name} ({})", link.project_uuid, link.organization_uuid);
            let (project, organization) = (&link.project_uuid, &link.organization_uuid);
            let state =
                link_state(project, organization, organization, (project_name, organization_name), &Value::Null);
            if !found.push(label, state).await {
                return Ok(());
            }
        }
        Ok(())
    }

    async fn import(&self, _ctx: &Ctx<'_, Clients>, id: &str, diags: &mut Diagnostics) -> Outcome<Value> {
        if check_uuid(id, State::PROJECT_UUID).is_err() {
            diags.error(
                "Invalid import ID",
                format!("{id:?} is not a project UUID. Expected `<project_uuid>`: 32 lower-case hexadecimal characters without dashes, such as `6a1f0c2b3d4e4f5a8b9c0d1e2f3a4b01`."),
            );
            return Err(Reported);
        }
        Ok(import_state(id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_conform_to_the_schema_and_import_keeps_only_the_project() {
        let ty = Iam2ProjectOrganization.schema().implied_type();
        let (project, organization) = ("6a1f0c2b3d4e4f5a8b9c0d1e2f3a4b01", "0f0f0c2b3d4e4f5a8b9c0d1e2f3a4b02");
        let linked = link_state(project, organization, organization, ("p".into(), "o".into()), &Value::Null);
        linked.conforms_to(&ty).unwrap();
        assert_eq!(attached(&linked), Some(organization));
        let imported = import_state(project);
        imported.conforms_to(&ty).unwrap();
        assert_eq!(imported.attr(State::ID), Some(&Value::from(project)));
        assert_eq!(imported.attr(State::PROJECT_UUID), Some(&Value::from(project)));
        for name in [State::ORGANIZATION_UUID, State::PROJECT_NAME, State::ORGANIZATION_NAME, ATTACHED] {
            assert_eq!(imported.attr(name), Some(&Value::Null), "{name}");
        }
    }
}

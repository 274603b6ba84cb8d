//! IAM2: the three query APIs (projects, organizations, project↔organization refs) and what the
//! attach / detach jobs do when they finish.

use serde_json::{Map, Value, json};

use super::error::{ErrorObject, ZsError, codes};
use super::model::{Job, JobEnd, JobFault, JobKind, Organization, Project, ProjectOrganizationRef, ZStackWorld};
use super::query::{FieldType, FieldValue, Query, Queryable, run};
use super::routes::Action;
use crate::timefmt::zstack_datetime;

impl Queryable for Project {
    const INVENTORY_CLASS: &'static str = "org.zstack.iam2.entity.IAM2ProjectInventory";
    const FIELDS: &'static [(&'static str, FieldType)] = &[
        ("uuid", FieldType::Text),
        ("name", FieldType::Text),
        ("description", FieldType::Text),
        ("state", FieldType::Text),
        ("linkedAccountUuid", FieldType::Text),
        ("createDate", FieldType::Time),
        ("lastOpDate", FieldType::Time),
        ("attributes", FieldType::List),
    ];

    fn field(&self, name: &str) -> FieldValue<'_> {
        match name {
            "uuid" => FieldValue::Text(Some(&self.uuid)),
            "name" => FieldValue::Text(Some(&self.name)),
            "description" => FieldValue::Text(Some(&self.description)),
            "state" => FieldValue::Text(Some(&self.state)),
            "linkedAccountUuid" => FieldValue::Text(Some(&self.linked_account_uuid)),
            "createDate" => FieldValue::Time(self.created_at),
            "lastOpDate" => FieldValue::Time(self.last_op_at),
            _ => FieldValue::List,
        }
    }

    fn inventory(&self) -> Map<String, Value> {
        object(json!({
            "uuid": self.uuid,
            "name": self.name,
            "description": self.description,
            "state": self.state,
            "linkedAccountUuid": self.linked_account_uuid,
            "createDate": zstack_datetime(self.created_at),
            "lastOpDate": zstack_datetime(self.last_op_at),
            "attributes": [],
        }))
    }
}

impl Queryable for Organization {
    const INVENTORY_CLASS: &'static str = "org.zstack.iam2.entity.IAM2OrganizationInventory";
    const FIELDS: &'static [(&'static str, FieldType)] = &[
        ("uuid", FieldType::Text),
        ("name", FieldType::Text),
        ("description", FieldType::Text),
        ("state", FieldType::Text),
        ("type", FieldType::Text),
        ("parentUuid", FieldType::Text),
        ("createDate", FieldType::Time),
        ("lastOpDate", FieldType::Time),
        ("attributes", FieldType::List),
    ];

    fn field(&self, name: &str) -> FieldValue<'_> {
        match name {
            "uuid" => FieldValue::Text(Some(&self.uuid)),
            "name" => FieldValue::Text(Some(&self.name)),
            "description" => FieldValue::Text(Some(&self.description)),
            "state" => FieldValue::Text(Some(&self.state)),
            "type" => FieldValue::Text(Some(&self.kind)),
            "parentUuid" => FieldValue::Text(self.parent_uuid.as_deref()),
            "createDate" => FieldValue::Time(self.created_at),
            "lastOpDate" => FieldValue::Time(self.last_op_at),
            _ => FieldValue::List,
        }
    }

    fn inventory(&self) -> Map<String, Value> {
        object(json!({
            "uuid": self.uuid,
            "name": self.name,
            "description": self.description,
            "state": self.state,
            "type": self.kind,
            "parentUuid": self.parent_uuid,
            "createDate": zstack_datetime(self.created_at),
            "lastOpDate": zstack_datetime(self.last_op_at),
            "attributes": [],
        }))
    }
}

impl Queryable for ProjectOrganizationRef {
    const INVENTORY_CLASS: &'static str = "org.zstack.iam2.entity.IAM2OrganizationProjectRefInventory";
    const FIELDS: &'static [(&'static str, FieldType)] = &[
        ("id", FieldType::Number),
        ("projectUuid", FieldType::Text),
        ("organizationUuid", FieldType::Text),
        ("createDate", FieldType::Time),
        ("lastOpDate", FieldType::Time),
    ];

    fn field(&self, name: &str) -> FieldValue<'_> {
        match name {
            "id" => FieldValue::Number(i64::try_from(self.id).unwrap_or(i64::MAX)),
            "projectUuid" => FieldValue::Text(Some(&self.project_uuid)),
            "organizationUuid" => FieldValue::Text(Some(&self.organization_uuid)),
            "createDate" => FieldValue::Time(self.created_at),
            _ => FieldValue::Time(self.last_op_at),
        }
    }

    fn inventory(&self) -> Map<String, Value> {
        object(json!({
            "id": self.id,
            "projectUuid": self.project_uuid,
            "organizationUuid": self.organization_uuid,
            "createDate": zstack_datetime(self.created_at),
            "lastOpDate": zstack_datetime(self.last_op_at),
        }))
    }
}

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => unreachable!("built from an object literal"),
    }
}

/// Runs one of the three query APIs.
pub fn query(action: Action, query: &Query, world: &ZStackWorld) -> Result<Value, ZsError> {
    match action {
        Action::QueryIAM2Project => run(query, &world.projects),
        Action::QueryIAM2Organization => run(query, &world.organizations),
        Action::QueryIAM2OrganizationProjectRef => run(query, &world.project_organization_refs),
        other => unreachable!("{} is not a query", other.name()),
    }
}

fn not_found(field: &str, uuid: &str, vo: &str) -> ErrorObject {
    ErrorObject::new(
        codes::RESOURCE_NOT_FOUND,
        format!("invalid field[{field}], resource[uuid:{uuid}, type:{vo}] not found"),
    )
}

/// Decides and applies the end of `job` at instant `at`: an injected failure, or the attach /
/// detach itself (validated against the world as it is now).
pub fn finish(world: &mut ZStackWorld, job: &Job, at: i64) -> JobEnd {
    let outcome = match &job.fault {
        Some(JobFault::Fail { code, message }) => Err(ErrorObject::injected(code.clone(), message.clone())),
        Some(JobFault::Hang) => unreachable!("a hanging job never finishes"),
        None => match job.kind {
            JobKind::AttachIAM2ProjectToIAM2Organization => {
                attach(world, &job.project_uuid, job.organization_uuid.as_deref().unwrap_or_default(), at)
            }
            JobKind::DetachIAM2ProjectFromIAM2Organization => detach(world, &job.project_uuid),
        },
    };
    match outcome {
        Ok(result) => JobEnd { at, result: Some(result), error: None },
        Err(error) => JobEnd { at, result: None, error: Some(error) },
    }
}

fn project_result(world: &ZStackWorld, project_uuid: &str) -> Value {
    let project = world.project(project_uuid).expect("checked by the caller");
    json!({ "inventory": project.inventory() })
}

/// A project belongs to at most one organization: attaching it to the organization it is already
/// in succeeds without a change; attaching it to another one fails (it is never moved silently).
fn attach(world: &mut ZStackWorld, project_uuid: &str, organization_uuid: &str, at: i64) -> Result<Value, ErrorObject> {
    if world.project(project_uuid).is_none() {
        return Err(not_found("projectUuid", project_uuid, "IAM2ProjectVO"));
    }
    if world.organization(organization_uuid).is_none() {
        return Err(not_found("organizationUuid", organization_uuid, "IAM2OrganizationVO"));
    }
    match world.project_ref(project_uuid) {
        Some(existing) if existing.organization_uuid == organization_uuid => {}
        Some(existing) => {
            return Err(ErrorObject::new(
                codes::INVALID_ARGUMENT,
                format!(
                    "project[uuid:{project_uuid}] is already attached to organization[uuid:{}], detach it first",
                    existing.organization_uuid
                ),
            ));
        }
        None => {
            let id = world.next_ref_id;
            world.next_ref_id += 1;
            world.project_organization_refs.push(ProjectOrganizationRef {
                id,
                project_uuid: project_uuid.to_owned(),
                organization_uuid: organization_uuid.to_owned(),
                created_at: at,
                last_op_at: at,
            });
        }
    }
    Ok(project_result(world, project_uuid))
}

/// Removes the project from whichever organization it is in; a project in none is fine.
fn detach(world: &mut ZStackWorld, project_uuid: &str) -> Result<Value, ErrorObject> {
    if world.project(project_uuid).is_none() {
        return Err(not_found("projectUuid", project_uuid, "IAM2ProjectVO"));
    }
    world.project_organization_refs.retain(|r| r.project_uuid != project_uuid);
    Ok(project_result(world, project_uuid))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures;

    const PAYMENTS: &str = fixtures::ZSTACK_PROJECTS[0].0;
    const LEGACY_ERP: &str = fixtures::ZSTACK_PROJECTS[3].0;
    const FINANCE: &str = fixtures::ZSTACK_ORGANIZATIONS[1].0;
    const ENGINEERING: &str = fixtures::ZSTACK_ORGANIZATIONS[2].0;

    fn job(kind: JobKind, project: &str, organization: Option<&str>) -> Job {
        Job {
            uuid: "0".repeat(32),
            kind,
            project_uuid: project.into(),
            organization_uuid: organization.map(Into::into),
            started_at: 0,
            duration_ms: 0,
            fault: None,
            finished: None,
        }
    }

    #[test]
    fn attach_and_detach_decisions() {
        let mut world = fixtures::seed().zstack;
        let attach = |world: &mut ZStackWorld, p: &str, o: &str| {
            finish(world, &job(JobKind::AttachIAM2ProjectToIAM2Organization, p, Some(o)), 5)
        };
        let end = attach(&mut world, PAYMENTS, FINANCE);
        assert_eq!(end.result.unwrap()["inventory"]["name"], "payments");
        let created = world.project_ref(PAYMENTS).unwrap().clone();
        assert_eq!((created.id, created.created_at), (2, 5));

        let again = attach(&mut world, PAYMENTS, FINANCE);
        assert!(again.error.is_none(), "idempotent");
        assert_eq!(world.project_ref(PAYMENTS), Some(&created), "unchanged");

        let moved = attach(&mut world, LEGACY_ERP, ENGINEERING);
        assert_eq!(moved.error.unwrap().code, "SYS.1007");
        assert_eq!(world.project_ref(LEGACY_ERP).unwrap().organization_uuid, FINANCE, "never moved silently");
        assert_eq!(attach(&mut world, "nope", FINANCE).error.unwrap().code, "SYS.1003");
        assert_eq!(attach(&mut world, PAYMENTS, "nope").error.unwrap().code, "SYS.1003");

        let detach = |world: &mut ZStackWorld, p: &str| {
            finish(world, &job(JobKind::DetachIAM2ProjectFromIAM2Organization, p, None), 9)
        };
        assert!(detach(&mut world, PAYMENTS).error.is_none());
        assert!(world.project_ref(PAYMENTS).is_none());
        assert!(detach(&mut world, PAYMENTS).error.is_none(), "idempotent");
        assert_eq!(detach(&mut world, "nope").error.unwrap().code, "SYS.1003");

        let mut failing = job(JobKind::DetachIAM2ProjectFromIAM2Organization, LEGACY_ERP, None);
        failing.fault = Some(JobFault::Fail { code: "SYS.1006".into(), message: "boom".into() });
        let end = finish(&mut world, &failing, 10);
        assert_eq!(end.error.unwrap().description, "boom");
        assert!(world.project_ref(LEGACY_ERP).is_some(), "nothing applied");
    }
}

//! ZStack IAM2: attach a project to an organization, detach it, and read projects,
//! organizations and the project–organization links.
//!
//! Paths come from the ZStack API manual, not from a generated SDK (one generated Go SDK builds
//! the detach URL as the *delete project* path):
//!
//! | API | Request |
//! |---|---|
//! | AttachIAM2ProjectToIAM2Organization | `POST /zstack/v1/iam2/projects/{projectUuid}/iam2/organizations/{organizationUuid}` |
//! | DetachIAM2ProjectFromIAM2Organization | `DELETE /zstack/v1/iam2/projects/{projectUuid}/iam2/organizations` |
//! | QueryIAM2OrganizationProjectRef | `GET /zstack/v1/iam2/projects/organizations/refs?q=…` |
//! | QueryIAM2Project | `GET /zstack/v1/iam2/projects[/{uuid}][?q=…]` |
//! | QueryIAM2Organization | `GET /zstack/v1/iam2/organizations[/{uuid}][?q=…]` |
//!
//! A project belongs to at most one organization; detaching names only the project.

use std::collections::HashMap;
use std::time::Duration;

use reqwest::Method;
use serde::Deserialize;

use super::jobs::Guard;
use super::query::{Condition, Inventories, QueryOp};
use super::{Job, ZStackClient, de, normalize_uuid};
use crate::clouds::batch::KeyBatcher;
use crate::clouds::error::{Cloud, CloudError};

pub const ATTACH_PROJECT_ACTION: &str = "AttachIAM2ProjectToIAM2Organization";
pub const DETACH_PROJECT_ACTION: &str = "DetachIAM2ProjectFromIAM2Organization";
pub const QUERY_ORGANIZATION_PROJECT_REF_ACTION: &str = "QueryIAM2OrganizationProjectRef";
pub const QUERY_PROJECT_ACTION: &str = "QueryIAM2Project";
pub const QUERY_ORGANIZATION_ACTION: &str = "QueryIAM2Organization";

/// The code of the error [`ZStackClient::detach_project_from_organization`] returns, sending
/// nothing, when the project is not in the organization it was asked to leave.
pub const NOT_IN_ORGANIZATION: &str = "tether.ProjectNotInOrganization";

/// One attribute of a project (`{uuid, name, value, type}`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ProjectAttribute {
    #[serde(deserialize_with = "de::string")]
    pub uuid: String,
    #[serde(deserialize_with = "de::string")]
    pub name: String,
    #[serde(deserialize_with = "de::opt_string")]
    pub value: Option<String>,
    #[serde(rename = "type", deserialize_with = "de::string")]
    pub attribute_type: String,
}

/// An IAM2 project (`IAM2ProjectInventory`). Text the API omits is empty / `None`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Iam2Project {
    #[serde(deserialize_with = "de::string")]
    pub uuid: String,
    #[serde(deserialize_with = "de::string")]
    pub name: String,
    #[serde(deserialize_with = "de::opt_string")]
    pub description: Option<String>,
    /// As ZStack renders it, e.g. `Nov 14, 2017 10:20:57 PM`.
    #[serde(deserialize_with = "de::opt_string")]
    pub create_date: Option<String>,
    #[serde(deserialize_with = "de::opt_string")]
    pub last_op_date: Option<String>,
    #[serde(deserialize_with = "de::opt_string")]
    pub linked_account_uuid: Option<String>,
    /// `Enabled` or `Disabled`.
    #[serde(deserialize_with = "de::string")]
    pub state: String,
    #[serde(deserialize_with = "de::vec")]
    pub attributes: Vec<ProjectAttribute>,
}

/// An IAM2 organization (`IAM2OrganizationInventory`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Iam2Organization {
    #[serde(deserialize_with = "de::string")]
    pub uuid: String,
    #[serde(deserialize_with = "de::string")]
    pub name: String,
    #[serde(deserialize_with = "de::opt_string")]
    pub description: Option<String>,
    #[serde(deserialize_with = "de::opt_string")]
    pub create_date: Option<String>,
    #[serde(deserialize_with = "de::opt_string")]
    pub last_op_date: Option<String>,
    #[serde(deserialize_with = "de::opt_string")]
    pub parent_uuid: Option<String>,
    #[serde(deserialize_with = "de::string")]
    pub state: String,
    /// `Company` or `Department` (JSON `type`; some versions leave it empty).
    #[serde(rename = "type", deserialize_with = "de::string")]
    pub organization_type: String,
}

/// A project's membership in an organization (`IAM2OrganizationProjectRefInventory`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct OrganizationProjectRef {
    #[serde(deserialize_with = "de::string")]
    pub project_uuid: String,
    #[serde(deserialize_with = "de::string")]
    pub organization_uuid: String,
    #[serde(deserialize_with = "de::opt_string")]
    pub create_date: Option<String>,
    #[serde(deserialize_with = "de::opt_string")]
    pub last_op_date: Option<String>,
}

impl ZStackClient {
    /// Attaches a project to an organization
    /// (`POST /zstack/v1/iam2/projects/{projectUuid}/iam2/organizations/{organizationUuid}`,
    /// body `{"params":{},"systemTags":[],"userTags":[]}`). Returns the job; wait for it with
    /// [`wait_job`](Self::wait_job). Not repeated after a failure that may have reached the
    /// server — see [`ambiguous_job`](Self::ambiguous_job).
    pub async fn attach_project_to_organization(
        &self,
        project_uuid: &str,
        organization_uuid: &str,
    ) -> Result<Job, CloudError> {
        let action = ATTACH_PROJECT_ACTION;
        let project = normalize_uuid(action, "project_uuid", project_uuid)?;
        let organization = normalize_uuid(action, "organization_uuid", organization_uuid)?;
        let body = br#"{"params":{},"systemTags":[],"userTags":[]}"#.to_vec();
        self.submit(
            action,
            Method::POST,
            &["iam2", "projects", &project, "iam2", "organizations", &organization],
            Some(body),
            None,
        )
        .await
    }

    /// Detaches a project from whichever organization it is in
    /// (`DELETE /zstack/v1/iam2/projects/{projectUuid}/iam2/organizations`, no body — not the
    /// delete-project path). Returns the job.
    pub async fn detach_project_from_organization(
        &self,
        project_uuid: &str,
        organization_uuid: &str,
    ) -> Result<Job, CloudError> {
        let action = DETACH_PROJECT_ACTION;
        let project = normalize_uuid(action, "project_uuid", project_uuid)?;
        let organization = normalize_uuid(action, "organization_uuid", organization_uuid)?;
        let guard = Guard::ProjectIn { project: project.clone(), organization };
        self.detach_project(&project, Some(guard)).await
    }

    async fn detach_project(&self, project: &str, guard: Option<Guard>) -> Result<Job, CloudError> {
        let path = ["iam2", "projects", project, "iam2", "organizations"];
        self.submit(DETACH_PROJECT_ACTION, Method::DELETE, &path, None, guard).await
    }

    /// The detach without its guard, for the tests of how submissions are sent.
    #[cfg(test)]
    pub(crate) async fn detach_project_unguarded(&self, project_uuid: &str) -> Result<Job, CloudError> {
        let project = normalize_uuid(DETACH_PROJECT_ACTION, "project_uuid", project_uuid)?;
        self.detach_project(&project, None).await
    }

    /// The organization links of a project
    /// (`GET /zstack/v1/iam2/projects/organizations/refs?q=projectUuid=<uuid>`); empty when the
    /// project is in no organization.
    pub async fn query_organization_project_refs(
        &self,
        project_uuid: &str,
    ) -> Result<Vec<OrganizationProjectRef>, CloudError> {
        let action = QUERY_ORGANIZATION_PROJECT_REF_ACTION;
        let project = normalize_uuid(action, "project_uuid", project_uuid)?;
        self.query_all(action, REFS_PATH, &[Condition::eq("projectUuid", project)]).await
    }

    /// The project links of one organization, or all links.
    pub async fn list_organization_project_refs(
        &self,
        organization_uuid: Option<&str>,
    ) -> Result<Vec<OrganizationProjectRef>, CloudError> {
        let action = QUERY_ORGANIZATION_PROJECT_REF_ACTION;
        let conditions = match organization_uuid {
            Some(uuid) => vec![Condition::eq("organizationUuid", normalize_uuid(action, "organization_uuid", uuid)?)],
            None => Vec::new(),
        };
        self.query_all(action, REFS_PATH, &conditions).await
    }

    /// One project (`GET /zstack/v1/iam2/projects/{uuid}`); `None` when there is none.
    pub async fn get_project(&self, uuid: &str) -> Result<Option<Iam2Project>, CloudError> {
        let action = QUERY_PROJECT_ACTION;
        let uuid = normalize_uuid(action, "project_uuid", uuid)?;
        let page: Inventories<Iam2Project> = self.get_json(action, &["iam2", "projects", &uuid], &[]).await?;
        Ok(pick(page.inventories, &uuid, |p| &p.uuid))
    }

    /// One organization (`GET /zstack/v1/iam2/organizations/{uuid}`); `None` when there is none.
    pub async fn get_organization(&self, uuid: &str) -> Result<Option<Iam2Organization>, CloudError> {
        let action = QUERY_ORGANIZATION_ACTION;
        let uuid = normalize_uuid(action, "organization_uuid", uuid)?;
        let page: Inventories<Iam2Organization> = self.get_json(action, &["iam2", "organizations", &uuid], &[]).await?;
        Ok(pick(page.inventories, &uuid, |o| &o.uuid))
    }

    /// Projects matching all `conditions` (`GET /zstack/v1/iam2/projects?q=…`); all projects
    /// for none.
    pub async fn query_projects(&self, conditions: &[Condition]) -> Result<Vec<Iam2Project>, CloudError> {
        self.query_all(QUERY_PROJECT_ACTION, &["iam2", "projects"], conditions).await
    }

    /// Organizations matching all `conditions` (`GET /zstack/v1/iam2/organizations?q=…`).
    pub async fn query_organizations(&self, conditions: &[Condition]) -> Result<Vec<Iam2Organization>, CloudError> {
        self.query_all(QUERY_ORGANIZATION_ACTION, &["iam2", "organizations"], conditions).await
    }
}

const REFS_PATH: &[&str] = &["iam2", "projects", "organizations", "refs"];

/// How long a shared lookup waits for company, and how many uuids one `?=` condition carries
/// (keeping query strings short).
const LOOKUP_WINDOW: Duration = Duration::from_millis(20);
const UUIDS_PER_LOOKUP: usize = 50;

/// The lookups by uuid that concurrent reads share: one `projectUuid?=…` or `uuid?=…` query
/// answers every read that arrives within [`LOOKUP_WINDOW`], where each would otherwise make
/// its own. Each read waits under its own token (its operation's stop or deadline); the shared
/// query, its login included, runs until every read of its round has its answer or has given
/// up (see [`crate::clouds::batch`]). At Terraform's default parallelism up to 10 reads share a query: a refresh of N
/// links can cost as few as 3N/10 queries instead of 3N.
#[derive(Debug)]
pub(super) struct SharedLookups {
    refs_by_project: KeyBatcher<Vec<OrganizationProjectRef>>,
    projects: KeyBatcher<Iam2Project>,
    organizations: KeyBatcher<Iam2Organization>,
}

impl Default for SharedLookups {
    fn default() -> Self {
        Self {
            refs_by_project: KeyBatcher::new(LOOKUP_WINDOW, UUIDS_PER_LOOKUP),
            projects: KeyBatcher::new(LOOKUP_WINDOW, UUIDS_PER_LOOKUP),
            organizations: KeyBatcher::new(LOOKUP_WINDOW, UUIDS_PER_LOOKUP),
        }
    }
}

/// `items` by the lowercase uuid `key_of` gives.
fn by_uuid<T>(items: Vec<T>, key_of: impl Fn(&T) -> &String) -> HashMap<String, T> {
    items.into_iter().map(|item| (key_of(&item).to_ascii_lowercase(), item)).collect()
}

impl ZStackClient {
    /// Like [`query_organization_project_refs`](Self::query_organization_project_refs), from
    /// one `projectUuid?=…` query shared with concurrent lookups.
    pub async fn query_organization_project_refs_shared(
        &self,
        project_uuid: &str,
    ) -> Result<Vec<OrganizationProjectRef>, CloudError> {
        let action = QUERY_ORGANIZATION_PROJECT_REF_ACTION;
        let project = normalize_uuid(action, "project_uuid", project_uuid)?;
        let client = self.without_cancellation();
        let refs = self.inner.lookups.refs_by_project.get(
            Cloud::ZStack,
            action,
            project,
            self.cancel.as_ref(),
            move |projects, abandoned| async move {
                let client = client.with_cancellation(abandoned);
                let condition = [Condition::new("projectUuid", QueryOp::In, projects.join(","))];
                let refs: Vec<OrganizationProjectRef> = client.query_all(action, REFS_PATH, &condition).await?;
                let mut grouped: HashMap<String, Vec<OrganizationProjectRef>> = HashMap::new();
                for r in refs {
                    grouped.entry(r.project_uuid.to_ascii_lowercase()).or_default().push(r);
                }
                Ok(grouped)
            },
        );
        Ok(refs.await?.unwrap_or_default())
    }

    /// Like [`get_project`](Self::get_project), from one `uuid?=…` query shared with
    /// concurrent lookups.
    pub async fn get_project_shared(&self, uuid: &str) -> Result<Option<Iam2Project>, CloudError> {
        let action = QUERY_PROJECT_ACTION;
        let uuid = normalize_uuid(action, "project_uuid", uuid)?;
        let client = self.without_cancellation();
        self.inner
            .lookups
            .projects
            .get(Cloud::ZStack, action, uuid, self.cancel.as_ref(), move |uuids, abandoned| async move {
                let client = client.with_cancellation(abandoned);
                let condition = [Condition::new("uuid", QueryOp::In, uuids.join(","))];
                Ok(by_uuid(client.query_projects(&condition).await?, |p| &p.uuid))
            })
            .await
    }

    /// Like [`get_organization`](Self::get_organization), from one `uuid?=…` query shared with
    /// concurrent lookups.
    pub async fn get_organization_shared(&self, uuid: &str) -> Result<Option<Iam2Organization>, CloudError> {
        let action = QUERY_ORGANIZATION_ACTION;
        let uuid = normalize_uuid(action, "organization_uuid", uuid)?;
        let client = self.without_cancellation();
        self.inner
            .lookups
            .organizations
            .get(Cloud::ZStack, action, uuid, self.cancel.as_ref(), move |uuids, abandoned| async move {
                let client = client.with_cancellation(abandoned);
                let condition = [Condition::new("uuid", QueryOp::In, uuids.join(","))];
                Ok(by_uuid(client.query_organizations(&condition).await?, |o| &o.uuid))
            })
            .await
    }
}

/// The inventory with `uuid` (ZStack answers a by-uuid query with a list).
fn pick<T>(items: Vec<T>, uuid: &str, uuid_of: impl Fn(&T) -> &String) -> Option<T> {
    items.into_iter().find(|item| uuid_of(item).eq_ignore_ascii_case(uuid))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use serde_json::json;

    use super::super::test_support::*;
    use super::*;
    use crate::clouds::error::ErrorKind;

    #[tokio::test]
    async fn attach_and_detach_paths_methods_and_bodies() {
        let server = Server::start(|req, _| accepted(internal_location(req.header("x-job-uuid").unwrap()))).await;
        let client = access_key_client(&server.url);
        let job = client.attach_project_to_organization(&PROJECT.to_uppercase(), ORG).await.unwrap();
        client.detach_project_unguarded(PROJECT).await.unwrap();
        let seen = server.seen();
        assert_eq!(seen[0].line(), format!("POST /zstack/v1/iam2/projects/{PROJECT}/iam2/organizations/{ORG}"));
        assert_eq!(seen[0].body, json!({"params": {}, "systemTags": [], "userTags": []}));
        assert_eq!(seen[0].header("content-type"), Some("application/json"));
        let job_uuid = seen[0].header("x-job-uuid").unwrap();
        assert_eq!(job.uuid, job_uuid);
        assert_eq!(job_uuid.len(), 32);
        assert_eq!(seen[1].line(), format!("DELETE /zstack/v1/iam2/projects/{PROJECT}/iam2/organizations"));
        assert_eq!(seen[1].query, None);
        assert_eq!(seen[1].header("content-type"), None);
        assert_ne!(seen[1].header("x-job-uuid"), Some(job_uuid));
        // The AccessKey signature covers the path after /zstack.
        let date = seen[1].header("date").unwrap();
        let expected = crate::clouds::zstack::auth::access_key_signature(
            AK_SECRET,
            &format!("DELETE\n{date}\n/v1/iam2/projects/{PROJECT}/iam2/organizations"),
        );
        assert_eq!(seen[1].header("authorization").unwrap(), format!("ZStack {AK_ID}:{expected}"));
    }

    #[tokio::test]
    async fn the_detach_goes_out_only_while_the_project_is_in_the_organization() {
        const ELSEWHERE: &str = "0b0b0b0b0b0b4b0b8b0b0b0b0b0b0b0b";
        for (current, sent) in [(Some(ORG), true), (Some(ELSEWHERE), false), (None, false)] {
            let server = Server::start(move |req, _| {
                if req.method == "GET" {
                    let refs: Vec<_> =
                        current.iter().map(|o| json!({"projectUuid": PROJECT, "organizationUuid": o})).collect();
                    ok(json!({"inventories": refs}))
                } else {
                    accepted(internal_location(req.header("x-job-uuid").unwrap()))
                }
            })
            .await;
            let client = access_key_client(&server.url);
            let result = client.detach_project_from_organization(PROJECT, ORG).await;
            let lines = server.lines();
            assert_eq!(lines[0], format!("GET /zstack/v1/iam2/projects/organizations/refs"), "the check comes first");
            let deletes = lines.iter().filter(|l| l.starts_with("DELETE")).count();
            if sent {
                result.unwrap();
                assert_eq!(deletes, 1);
            } else {
                let e = result.unwrap_err();
                assert_eq!(e.kind, ErrorKind::NotFound);
                assert_eq!(e.code.as_deref(), Some(NOT_IN_ORGANIZATION));
                assert!(e.message.starts_with("not sent: project"), "{e}");
                assert_eq!(deletes, 0, "{lines:?}");
            }
        }
    }

    #[tokio::test]
    async fn uuids_are_checked_before_sending() {
        let server = Server::start(|_, _| ok(json!({"inventories": []}))).await;
        let client = access_key_client(&server.url);
        let e = client.attach_project_to_organization("not-a-uuid", ORG).await.unwrap_err();
        assert_eq!(e.kind, ErrorKind::Invalid);
        assert!(e.message.contains("project_uuid"), "{e}");
        let e =
            client.attach_project_to_organization(PROJECT, "6a1f0c2b-3d4e-4f5a-8b9c-0d1e2f3a4b01").await.unwrap_err();
        assert!(e.message.contains("organization_uuid"), "{e}");
        assert!(client.detach_project_from_organization("", ORG).await.is_err());
        assert!(client.query_organization_project_refs("x").await.is_err());
        assert!(client.list_organization_project_refs(Some("x")).await.is_err());
        assert!(client.get_project("x").await.is_err());
        assert!(client.get_organization("x").await.is_err());
        assert!(server.seen().is_empty());
    }

    #[tokio::test]
    async fn concurrent_lookups_share_one_in_list_query_per_kind() {
        const OTHER: &str = "00000000000000000000000000000abc";
        let server = Server::start(|req, _| {
            let q = req.query_pairs().into_iter().find(|(k, _)| k == "q").map(|(_, v)| v).unwrap_or_default();
            let path = req.line();
            if path.ends_with("/organizations/refs") {
                // Only PROJECT is in an organization.
                ok(json!({"inventories": [{"projectUuid": PROJECT, "organizationUuid": ORG}], "q": q}))
            } else if path.ends_with("/iam2/projects") {
                ok(json!({"inventories": [{"uuid": PROJECT, "name": "payments"}, {"uuid": OTHER, "name": "other"}]}))
            } else {
                ok(json!({"inventories": [{"uuid": ORG, "name": "Finance Dept"}]}))
            }
        })
        .await;
        let client = access_key_client(&server.url);
        let upper = PROJECT.to_uppercase();
        let (refs_a, refs_b, project_a, project_b, org_a, org_b) = tokio::join!(
            client.query_organization_project_refs_shared(PROJECT),
            client.query_organization_project_refs_shared(OTHER),
            client.get_project_shared(&upper),
            client.get_project_shared(OTHER),
            client.get_organization_shared(ORG),
            client.get_organization_shared(ORG),
        );
        assert_eq!(refs_a.unwrap().iter().map(|r| r.organization_uuid.as_str()).collect::<Vec<_>>(), [ORG]);
        assert!(refs_b.unwrap().is_empty(), "a project in no organization has no refs");
        assert_eq!(project_a.unwrap().unwrap().name, "payments");
        assert_eq!(project_b.unwrap().unwrap().name, "other");
        assert_eq!(org_a.unwrap().unwrap().name, "Finance Dept");
        assert_eq!(org_b.unwrap().unwrap().name, "Finance Dept");
        // Six lookups, three queries: one `?=` list per kind, each uuid once.
        let mut queries: Vec<(String, String)> = server
            .seen()
            .iter()
            .map(|req| {
                (req.line(), req.query_pairs().into_iter().find(|(k, _)| k == "q").map(|(_, v)| v).unwrap_or_default())
            })
            .collect();
        queries.sort();
        assert_eq!(queries.len(), 3, "{queries:?}");
        assert_eq!(queries[0].0, "GET /zstack/v1/iam2/organizations");
        assert_eq!(queries[0].1, format!("uuid?={ORG}"));
        assert_eq!(queries[1].0, "GET /zstack/v1/iam2/projects");
        assert!(
            [format!("uuid?={PROJECT},{OTHER}"), format!("uuid?={OTHER},{PROJECT}")].contains(&queries[1].1),
            "{queries:?}"
        );
        assert_eq!(queries[2].0, "GET /zstack/v1/iam2/projects/organizations/refs");
        assert!(
            [format!("projectUuid?={PROJECT},{OTHER}"), format!("projectUuid?={OTHER},{PROJECT}")]
                .contains(&queries[2].1),
            "{queries:?}"
        );
    }

    #[tokio::test]
    async fn refs_query_path_and_encoding() {
        let server = Server::start(|req, _| {
            assert_eq!(req.line(), "GET /zstack/v1/iam2/projects/organizations/refs");
            ok(json!({"inventories": [
                {"id": 1.0, "projectUuid": PROJECT, "organizationUuid": ORG,
                 "createDate": "Nov 14, 2017 10:20:57 PM", "lastOpDate": "Nov 14, 2017 10:20:57 PM"}
            ], "schema": {}}))
        })
        .await;
        let client = access_key_client(&server.url);
        let refs = client.query_organization_project_refs(&PROJECT.to_uppercase()).await.unwrap();
        assert_eq!(
            refs,
            vec![OrganizationProjectRef {
                project_uuid: PROJECT.into(),
                organization_uuid: ORG.into(),
                create_date: Some("Nov 14, 2017 10:20:57 PM".into()),
                last_op_date: Some("Nov 14, 2017 10:20:57 PM".into()),
            }]
        );
        client.list_organization_project_refs(Some(ORG)).await.unwrap();
        client.list_organization_project_refs(None).await.unwrap();
        let seen = server.seen();
        // The whole condition is the value of `q`, its `=` percent-encoded.
        assert_eq!(seen[0].query.as_deref(), Some(format!("q=projectUuid%3D{PROJECT}&limit=1000&start=0").as_str()));
        assert_eq!(
            seen[0].query_pairs(),
            vec![
                ("q".to_owned(), format!("projectUuid={PROJECT}")),
                ("limit".to_owned(), "1000".to_owned()),
                ("start".to_owned(), "0".to_owned()),
            ]
        );
        assert_eq!(seen[1].query_pairs()[0], ("q".to_owned(), format!("organizationUuid={ORG}")));
        assert_eq!(seen[2].query.as_deref(), Some("limit=1000&start=0"));
    }

    #[tokio::test]
    async fn queries_encode_conditions_and_page() {
        let server = Server::start(|req, i| {
            assert_eq!(req.line(), "GET /zstack/v1/iam2/projects");
            if i == 0 {
                let items: Vec<_> = (0..PAGE).map(|n| json!({"uuid": format!("{n:032x}")})).collect();
                ok(json!({ "inventories": items }))
            } else {
                ok(json!({"inventories": [{"uuid": "ff", "name": "last"}]}))
            }
        })
        .await;
        let client = access_key_client(&server.url);
        let all = client
            .query_projects(&[
                Condition::like("name", "pay%ments 1"),
                Condition::in_list("state", ["Enabled", "Disabled"]),
                Condition::is_null("linkedAccountUuid"),
            ])
            .await
            .unwrap();
        assert_eq!(all.len(), PAGE + 1);
        assert_eq!(all[PAGE].name, "last");
        let seen = server.seen();
        assert_eq!(seen.len(), 2);
        assert_eq!(
            seen[0].query.as_deref(),
            Some(
                "q=name%7E%3Dpay%25ments+1&q=state%3F%3DEnabled%2CDisabled&q=linkedAccountUuid+is+null\
                 &limit=1000&start=0"
            )
        );
        let pairs = seen[1].query_pairs();
        assert_eq!(pairs[0], ("q".to_owned(), "name~=pay%ments 1".to_owned()));
        assert_eq!(pairs[1], ("q".to_owned(), "state?=Enabled,Disabled".to_owned()));
        assert_eq!(pairs[2], ("q".to_owned(), "linkedAccountUuid is null".to_owned()));
        assert_eq!(pairs[4], ("start".to_owned(), PAGE.to_string()));
    }

    const PAGE: usize = super::super::query::PAGE_LIMIT;

    #[tokio::test]
    async fn get_parses_inventories_and_maps_empty_to_none() {
        let server = Server::start(|req, _| {
            if req.path.ends_with(PROJECT) {
                assert_eq!(req.line(), format!("GET /zstack/v1/iam2/projects/{PROJECT}"));
                assert_eq!(req.query, None);
                ok(json!({"inventories": [{
                    "uuid": PROJECT, "name": "payments", "description": null,
                    "createDate": "Nov 14, 2017 10:20:57 PM", "lastOpDate": "Nov 14, 2017 10:20:57 PM",
                    "linkedAccountUuid": "36c27e8ff05c4780bf6d2fa65700f22e", "state": "Enabled",
                    "attributes": [{"uuid": "a1", "name": "__ProjectRelatedZone__", "value": "z1", "type": "Customized"}],
                    "unknownField": {"x": 1}}]}))
            } else if req.path.ends_with(ORG) {
                assert_eq!(req.line(), format!("GET /zstack/v1/iam2/organizations/{ORG}"));
                ok(json!({"inventories": [{
                    "uuid": ORG, "name": "Finance Dept", "description": "money",
                    "parentUuid": null, "state": "Enabled", "type": "Department",
                    "createDate": "Nov 14, 2017 10:20:57 PM", "lastOpDate": null}]}))
            } else {
                ok(json!({"inventories": []}))
            }
        })
        .await;
        let client = access_key_client(&server.url);
        let project = client.get_project(PROJECT).await.unwrap().unwrap();
        assert_eq!(project.name, "payments");
        assert_eq!(project.description, None);
        assert_eq!(project.state, "Enabled");
        assert_eq!(project.linked_account_uuid.as_deref(), Some("36c27e8ff05c4780bf6d2fa65700f22e"));
        assert_eq!(
            project.attributes,
            vec![ProjectAttribute {
                uuid: "a1".into(),
                name: "__ProjectRelatedZone__".into(),
                value: Some("z1".into()),
                attribute_type: "Customized".into(),
            }]
        );
        let org = client.get_organization(ORG).await.unwrap().unwrap();
        assert_eq!(org.name, "Finance Dept");
        assert_eq!(org.organization_type, "Department");
        assert_eq!(org.parent_uuid, None);
        assert_eq!(org.last_op_date, None);
        let other = "0123456789abcdef0123456789abcdef";
        assert_eq!(client.get_project(other).await.unwrap(), None);
        assert_eq!(client.get_organization(other).await.unwrap(), None);
    }

    #[tokio::test]
    async fn query_errors_are_mapped() {
        let server = Server::start(|_, i| match i {
            0 => zs_error(503, "SYS.1007", "Invalid argument", "unknown field"),
            _ => Reply::Raw(404, "no api mapping to /v1/iam2/projects"),
        })
        .await;
        let client = access_key_client(&server.url);
        let e = client.query_projects(&[]).await.unwrap_err();
        assert_eq!(e.kind, ErrorKind::Invalid);
        assert_eq!(e.action, QUERY_PROJECT_ACTION);
        assert_eq!(e.to_string(), "ZStack QueryIAM2Project failed: SYS.1007: Invalid argument: unknown field");
        let e = client.query_projects(&[]).await.unwrap_err();
        assert_eq!(e.kind, ErrorKind::Invalid);
        assert!(e.message.contains("base URL"), "{e}");
    }

    #[tokio::test]
    async fn invalid_conditions_are_not_sent() {
        let server = Server::start(|_, _| ok(json!({"inventories": []}))).await;
        let client = access_key_client(&server.url);
        let e = client.query_organizations(&[Condition::eq("name", "x!=y")]).await.unwrap_err();
        assert_eq!(e.kind, ErrorKind::Invalid);
        assert_eq!(e.action, QUERY_ORGANIZATION_ACTION);
        assert!(server.seen().is_empty());
        client.query_organizations(&[Condition::eq("type", "Department")]).await.unwrap();
        assert_eq!(server.seen()[0].query_pairs()[0], ("q".to_owned(), "type=Department".to_owned()));
    }

    #[tokio::test]
    async fn attach_then_wait_with_an_account() {
        let server = Server::start(|req, _| {
            if req.is_login() {
                return session_reply("s1");
            }
            assert_eq!(req.header("authorization"), Some("OAuth s1"));
            if req.method == "POST" {
                return accepted(internal_location(req.header("x-job-uuid").unwrap()));
            }
            ok(json!({"inventory": {"uuid": PROJECT, "name": "payments"}}))
        })
        .await;
        let client = account_client(&server.url);
        let job = client.attach_project_to_organization(PROJECT, ORG).await.unwrap();
        let out = client.wait_job(&job, Duration::from_secs(5), &fast_poll(), None).await.unwrap();
        assert_eq!(out["inventory"]["uuid"], PROJECT);
        assert_eq!(client.login_count(), 1);
        assert_eq!(
            server.lines(),
            vec![
                "PUT /zstack/v1/accounts/login".to_owned(),
                format!("POST /zstack/v1/iam2/projects/{PROJECT}/iam2/organizations/{ORG}"),
                format!("GET /zstack/v1/api-jobs/{}", job.uuid),
            ]
        );
    }

    #[test]
    fn tolerant_types() {
        let p: Iam2Project = serde_json::from_str(r#"{"uuid":null,"name":12,"attributes":null}"#).unwrap();
        assert_eq!((p.uuid.as_str(), p.name.as_str()), ("", "12"));
        assert!(p.attributes.is_empty());
        let o: Iam2Organization = serde_json::from_str("{}").unwrap();
        assert_eq!(o, Iam2Organization::default());
        let r: OrganizationProjectRef =
            serde_json::from_str(r#"{"projectUuid":"p","organizationUuid":"o","id":3}"#).unwrap();
        assert_eq!((r.project_uuid.as_str(), r.organization_uuid.as_str()), ("p", "o"));
        let page: Inventories<Iam2Project> = serde_json::from_str(r#"{"inventories":null}"#).unwrap();
        assert!(page.inventories.is_empty());
        let page: Inventories<Iam2Project> = serde_json::from_str(r#"{}"#).unwrap();
        assert!(page.inventories.is_empty());
    }

    #[test]
    fn pick_takes_the_matching_uuid() {
        let items = vec!["a".to_owned(), "b".to_owned()];
        assert_eq!(pick(items.clone(), "B", |s| s), Some("b".to_owned()));
        assert_eq!(pick(items, "c", |s| s), None);
        assert_eq!(pick(vec!["x".to_owned()], "c", |s| s), None);
        assert_eq!(pick(Vec::<String>::new(), "c", |s| s), None);
    }
}

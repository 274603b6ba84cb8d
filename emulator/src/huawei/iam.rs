//! The two IAM (Keystone) lookups the SDKs make when a credential has no domain or project id:
//! `GET /v3/auth/domains` (GlobalCredentials) and `GET /v3/projects?name=<region>`
//! (BasicCredentials). Both answer for the calling account only.

use serde_json::{Value, json};

use super::error::HwError;
use super::model::{Account, HuaweiWorld};
use super::request::{Ctx, Executed};
use super::routes::Action;

pub fn execute(ctx: &Ctx<'_>, world: &mut HuaweiWorld) -> Result<Executed, HwError> {
    let account = world.account(ctx.caller).expect("every credential belongs to a known account");
    match ctx.route.action {
        Action::KeystoneListAuthDomains => Ok(Executed::read(json!({
            "domains": [{
                "id": account.id,
                "name": account.name,
                "enabled": true,
                "description": "",
                "links": {"self": format!("/v3/domains/{}", account.id)},
            }],
            "links": {"self": "/v3/auth/domains"},
        }))),
        Action::KeystoneListProjects => Ok(Executed::read(projects(ctx, world, account))),
        other => unreachable!("{} is not an IAM action", other.name()),
    }
}

fn projects(ctx: &Ctx<'_>, world: &HuaweiWorld, account: &Account) -> Value {
    let project = json!({
        "id": account.project_id,
        "name": world.region,
        "domain_id": account.id,
        "parent_id": account.id,
        "enabled": true,
        "is_domain": false,
        "description": "",
        "links": {"self": format!("/v3/projects/{}", account.project_id)},
    });
    let wanted = ctx.query("name").is_none_or(|name| name.is_empty() || name == world.region);
    let projects = if wanted { vec![project] } else { Vec::new() };
    json!({
        "projects": projects,
        "links": {"self": "/v3/projects", "previous": null, "next": null},
    })
}

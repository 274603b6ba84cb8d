//! Huawei Cloud Organizations over HTTP: membership, leaving, invitations (handshakes), accounts.

mod common;

use common::*;
use serde_json::{Value, json};

const ACCOUNT_FIELDS: [&str; 6] = ["id", "join_method", "joined_at", "name", "status", "urn"];
const HANDSHAKE_FIELDS: [&str; 11] = [
    "created_at",
    "expired_at",
    "id",
    "management_account_id",
    "management_account_name",
    "notes",
    "organization_id",
    "status",
    "target",
    "updated_at",
    "urn",
];

fn keys(value: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = value.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    keys
}

#[tokio::test]
async fn accounts_outside_the_organization_get_1015() {
    let emu = start().await;
    for account in [HW_NEWACQ, HW_LONE] {
        let client = emu.hw(account);
        let answer = client.get("/v1/organizations").await;
        answer.assert_error(401, "Organizations.1015");
        assert_eq!(answer.message(), "The organization is not found");
        client.post_empty("/v1/organizations/leave").await.assert_error(401, "Organizations.1015");
    }
    // Any account can list the invitations it received: the lone wolf has none.
    let none = emu.hw(HW_LONE).get("/v1/received-handshakes").await;
    assert_eq!(none.ok(), &json!({"handshakes": [], "page_info": {"next_marker": null, "current_count": 0}}));
}

#[tokio::test]
async fn the_management_account_cannot_leave() {
    let emu = start().await;
    let answer = emu.hw(HW_MGMT).post_empty("/v1/organizations/leave").await;
    answer.assert_error(403, "Organizations.1007");
    assert!(answer.message().contains("management account cannot leave"));
    emu.hw(HW_MGMT).get("/v1/organizations").await.ok();
}

#[tokio::test]
async fn a_member_leaves() {
    let emu = start().await;
    let member = emu.hw(HW_DATA);
    assert_eq!(member.get("/v1/organizations").await.ok()["organization"]["id"], HW_ORG);
    let left = member.post_empty("/v1/organizations/leave").await;
    assert_eq!((left.status, &left.body), (200, &Value::Null), "empty body");
    member.get("/v1/organizations").await.assert_error(401, "Organizations.1015");
    // Leaving again: the account is in no organization.
    member.post_empty("/v1/organizations/leave").await.assert_error(401, "Organizations.1015");
    let log = emu.hw_calls("LeaveOrganization").await;
    assert_eq!(log.len(), 2);
    assert_eq!(log[0]["status"], "ok");
    assert_eq!(log[0]["service"], "organizations");
    assert_eq!(log[0]["params"], json!({}));
    assert_eq!(log[1]["error_code"], "Organizations.1015");
}

#[tokio::test]
async fn accepting_the_invitation_makes_the_invitee_a_member() {
    let emu = start().await;
    let invitee = emu.hw(HW_NEWACQ);
    let received = invitee.get("/v1/received-handshakes").await;
    let handshakes = received.ok()["handshakes"].as_array().unwrap().clone();
    assert_eq!(handshakes.len(), 1);
    let handshake = &handshakes[0];
    assert_eq!(keys(handshake), HANDSHAKE_FIELDS);
    assert_eq!(handshake["id"], HW_HANDSHAKE);
    assert_eq!(handshake["status"], "pending");
    assert_eq!(handshake["organization_id"], HW_ORG);
    assert_eq!(handshake["management_account_id"], HW_MGMT);
    assert_eq!(handshake["management_account_name"], "tether-management");
    assert_eq!(handshake["target"], json!({"type": "account", "entity": HW_NEWACQ}));
    assert_eq!(handshake["urn"], format!("organizations::{HW_MGMT}:handshake:{HW_ORG}/{HW_HANDSHAKE}"));
    let created = time::OffsetDateTime::parse(
        handshake["created_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let expires = time::OffsetDateTime::parse(
        handshake["expired_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    assert_eq!(expires - created, time::Duration::days(14));

    // Only the invitee can accept.
    emu.hw(HW_LONE)
        .post_empty(&format!("/v1/received-handshakes/{HW_HANDSHAKE}/accept"))
        .await
        .assert_error(404, "Organizations.404");
    invitee
        .post_empty("/v1/received-handshakes/h-0000000000000000/accept")
        .await
        .assert_error(404, "Organizations.404");

    let accepted = invitee.post_empty(&format!("/v1/received-handshakes/{HW_HANDSHAKE}/accept")).await;
    assert_eq!(accepted.ok()["handshake"]["status"], "accepted");
    let org = invitee.get("/v1/organizations").await;
    assert_eq!(org.ok()["organization"]["id"], HW_ORG);

    // Accepting twice is refused; the member shows up in the management account's listing.
    invitee
        .post_empty(&format!("/v1/received-handshakes/{HW_HANDSHAKE}/accept"))
        .await
        .assert_error(400, "Organizations.400");
    let account = emu.hw(HW_MGMT).get(&format!("/v1/organizations/accounts/{HW_NEWACQ}")).await;
    let account = &account.ok()["account"];
    assert_eq!(keys(account), ACCOUNT_FIELDS);
    assert_eq!(account["join_method"], "invited");
    assert_eq!(account["status"], "active");
    assert_eq!(account["name"], "new-acquisition");

    // The handshake stays readable (by the invitee, now in the org, and the management account).
    let shown = invitee.get(&format!("/v1/organizations/handshakes/{HW_HANDSHAKE}")).await;
    assert_eq!(shown.ok()["handshake"]["status"], "accepted");

    // And the new member can leave again.
    invitee.post_empty("/v1/organizations/leave").await.ok();
    invitee.get("/v1/organizations").await.assert_error(401, "Organizations.1015");
}

#[tokio::test]
async fn invite_decline_cancel() {
    let emu = start().await;
    let management = emu.hw(HW_MGMT);
    emu.hw(HW_FINANCE)
        .post(
            "/v1/organizations/accounts/invite",
            json!({"target": {"type": "account", "entity": HW_LONE}, "notes": "hi"}),
        )
        .await
        .assert_error(401, "Organizations.1001");
    emu.hw(HW_LONE)
        .post("/v1/organizations/accounts/invite", json!({"target": {"type": "account", "entity": HW_LONE}}))
        .await
        .assert_error(401, "Organizations.1015");
    for (body, status, code) in [
        (json!({}), 400, "Organizations.400"),
        (json!({"target": {"type": "email", "entity": "x"}}), 400, "Organizations.400"),
        (json!({"target": {"type": "name", "entity": "nobody"}}), 404, "Organizations.404"),
        (json!({"target": {"type": "account", "entity": HW_FINANCE}}), 400, "Organizations.400"),
        (json!({"target": {"type": "account", "entity": HW_NEWACQ}}), 400, "Organizations.400"),
    ] {
        management.post("/v1/organizations/accounts/invite", body.clone()).await.assert_error(status, code);
    }

    let invited = management
        .post(
            "/v1/organizations/accounts/invite",
            json!({"target": {"type": "name", "entity": "lone-wolf"}, "notes": "join us",
                   "tags": [{"key": "team", "value": "ops"}]}),
        )
        .await;
    let handshake = invited.ok()["handshake"].clone();
    let id = handshake["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("h-") && id.len() == 18, "{id}");
    assert_eq!(handshake["status"], "pending");
    assert_eq!(handshake["notes"], "join us");
    assert_eq!(handshake["target"], json!({"type": "name", "entity": "lone-wolf"}));

    let lone = emu.hw(HW_LONE);
    let declined = lone.post_empty(&format!("/v1/received-handshakes/{id}/decline")).await;
    assert_eq!(declined.ok()["handshake"]["status"], "declined");
    lone.post_empty(&format!("/v1/received-handshakes/{id}/accept")).await.assert_error(400, "Organizations.400");

    // The management account cancels the other pending invitation; the invitee can no longer accept.
    emu.hw(HW_DATA)
        .post_empty(&format!("/v1/organizations/handshakes/{HW_HANDSHAKE}/cancel"))
        .await
        .assert_error(401, "Organizations.1001");
    let cancelled = management.post_empty(&format!("/v1/organizations/handshakes/{HW_HANDSHAKE}/cancel")).await;
    assert_eq!(cancelled.ok()["handshake"]["status"], "cancelled");
    emu.hw(HW_NEWACQ)
        .post_empty(&format!("/v1/received-handshakes/{HW_HANDSHAKE}/accept"))
        .await
        .assert_error(400, "Organizations.400");
    management.get("/v1/organizations/handshakes/h-ffffffffffffffff").await.assert_error(404, "Organizations.404");

    let log = emu.hw_calls("InviteAccount").await;
    assert_eq!(log.last().unwrap()["params"]["target"], json!({"type": "name", "entity": "lone-wolf"}));
}

#[tokio::test]
async fn listing_accounts_pages_by_marker() {
    let emu = start().await;
    let management = emu.hw(HW_MGMT);
    emu.hw(HW_FINANCE).get("/v1/organizations/accounts").await.assert_error(401, "Organizations.1002");

    let mut ids = Vec::new();
    let mut path = "/v1/organizations/accounts?limit=2".to_owned();
    let mut pages = 0;
    loop {
        let page = management.get(&path).await;
        let body = page.ok();
        pages += 1;
        let accounts = body["accounts"].as_array().unwrap();
        assert_eq!(body["page_info"]["current_count"], accounts.len());
        for account in accounts {
            assert_eq!(keys(account), ACCOUNT_FIELDS);
            ids.push(account["id"].as_str().unwrap().to_owned());
        }
        match body["page_info"]["next_marker"].as_str() {
            Some(marker) => path = format!("/v1/organizations/accounts?limit=2&marker={marker}"),
            None => break,
        }
    }
    assert_eq!(pages, 2);
    assert_eq!(ids, [HW_MGMT, HW_FINANCE, HW_DATA]);

    let management_entry =
        management.get(&format!("/v1/organizations/accounts/{HW_MGMT}?with_register_contact_info=true")).await;
    let entry = &management_entry.ok()["account"];
    assert_eq!(entry["join_method"], "created");
    assert_eq!(entry["email"], "tether-management@tether.example");
    for bad in ["limit=0", "limit=2001", "limit=x", "marker="] {
        management.get(&format!("/v1/organizations/accounts?{bad}")).await.assert_error(400, "Organizations.400");
    }
    management.get(&format!("/v1/organizations/accounts/{HW_LONE}")).await.assert_error(404, "Organizations.404");
}

#[tokio::test]
async fn the_management_account_removes_a_member() {
    let emu = start().await;
    let management = emu.hw(HW_MGMT);
    emu.hw(HW_FINANCE)
        .post_empty(&format!("/v1/organizations/accounts/{HW_DATA}/remove"))
        .await
        .assert_error(401, "Organizations.1001");
    management
        .post_empty(&format!("/v1/organizations/accounts/{HW_MGMT}/remove"))
        .await
        .assert_error(400, "Organizations.400");
    let removed = management.post_empty(&format!("/v1/organizations/accounts/{HW_DATA}/remove")).await;
    assert_eq!((removed.status, &removed.body), (200, &Value::Null));
    emu.hw(HW_DATA).get("/v1/organizations").await.assert_error(401, "Organizations.1015");
    management
        .post_empty(&format!("/v1/organizations/accounts/{HW_DATA}/remove"))
        .await
        .assert_error(404, "Organizations.404");
}

//! Tencent Cloud Organization over HTTP: authentication, routing, the four actions, paging, GET.

mod common;

use common::*;
use serde_json::json;

const BIND: &str = "BindOrganizationMemberAuthAccount";
const CANCEL: &str = "CancelOrganizationMemberAuthAccount";
const DESCRIBE: &str = "DescribeOrganizationMemberAuthAccounts";
const POLICIES: &str = "DescribeOrganizationMemberPolicies";

#[tokio::test]
async fn bind_describe_cancel_round_trip() {
    let emu = start().await;
    let tc = emu.client();

    let bound = tc.call(BIND, bind_params(MEMBER, ADMIN_POLICY, &[SUB, SUB + 1])).await;
    assert_ok(&bound);
    assert_eq!(bound.as_object().unwrap().len(), 1, "Bind answers only RequestId: {bound}");

    let listed = tc.call(DESCRIBE, describe_params(MEMBER, ADMIN_POLICY, 0, 10)).await;
    assert_ok(&listed);
    assert_eq!(listed["Total"], 2);
    let item = &listed["Items"][0];
    let mut fields: Vec<&str> = item.as_object().unwrap().keys().map(String::as_str).collect();
    fields.sort_unstable();
    assert_eq!(
        fields,
        [
            "CreateTime",
            "IdentityId",
            "IdentityRoleAliasName",
            "IdentityRoleName",
            "OrgSubAccountName",
            "OrgSubAccountUin",
            "PolicyId",
            "PolicyName",
            "UpdateTime"
        ]
    );
    assert_eq!(item["OrgSubAccountUin"], SUB);
    assert_eq!(item["OrgSubAccountName"], "ops-alice");
    assert_eq!(item["PolicyId"], 1001);
    assert_eq!(item["PolicyName"], "admin-access");
    assert_eq!(item["IdentityId"], 1);
    assert_eq!(item["IdentityRoleName"], "OrganizationAccessControlRole");
    assert_eq!(item["IdentityRoleAliasName"], "admin");
    let created = item["CreateTime"].as_str().unwrap();
    assert!(
        time::PrimitiveDateTime::parse(
            created,
            time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]")
        )
        .is_ok()
    );
    assert_eq!(item["UpdateTime"], item["CreateTime"]);

    // The same binding again: rejected, and the other policy is untouched.
    assert_error(
        &tc.call(BIND, bind_params(MEMBER, ADMIN_POLICY, &[SUB + 1])).await,
        "FailedOperation.SubAccountIdentityExist",
    );
    let other_policy = tc.call(DESCRIBE, describe_params(MEMBER, 1002, 0, 10)).await;
    assert_eq!(other_policy["Total"], 0);

    // Numbers as strings, like Tencent's own Cancel example.
    let cancelled = tc
        .call(CANCEL, json!({"MemberUin": MEMBER.to_string(), "PolicyId": "1001", "OrgSubAccountUin": SUB.to_string()}))
        .await;
    assert_ok(&cancelled);
    let listed = tc.call(DESCRIBE, describe_params(MEMBER, ADMIN_POLICY, 0, 10)).await;
    assert_eq!(item_uins(&listed), [SUB + 1]);

    // Cancelling again: the documented choice is FailedOperation.SubAccountNotExist, "not bound".
    let again = tc.call(CANCEL, cancel_params(MEMBER, ADMIN_POLICY, SUB)).await;
    assert_error(&again, "FailedOperation.SubAccountNotExist");
    assert!(again["Error"]["Message"].as_str().unwrap().contains("not bound"));

    let calls = emu.calls(CANCEL).await;
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0]["status"], "ok");
    assert_eq!(calls[0]["params"]["OrgSubAccountUin"], SUB.to_string());
    assert_eq!(calls[1]["status"], "error");
    assert_eq!(calls[1]["error_code"], "FailedOperation.SubAccountNotExist");
}

#[tokio::test]
async fn documented_resource_errors() {
    let emu = start().await;
    let tc = emu.client();
    let cases = [
        (BIND, bind_params(100_000_000_999, ADMIN_POLICY, &[SUB]), "ResourceNotFound.MemberNotExist"),
        (BIND, bind_params(MEMBER, 1003, &[SUB]), "ResourceNotFound.MemberPolicyNotExist"),
        (BIND, bind_params(MEMBER, ADMIN_POLICY, &[SUB, 299_999_999_999]), "FailedOperation.SubAccountNotExist"),
        (BIND, bind_params(MEMBER, ADMIN_POLICY, &[1, 2, 3, 4, 5, 6]), "InvalidParameter"),
        (BIND, bind_params(MEMBER, ADMIN_POLICY, &[]), "InvalidParameter"),
        (BIND, json!({"MemberUin": MEMBER, "PolicyId": ADMIN_POLICY}), "MissingParameter"),
        (BIND, json!({"MemberUin": "abc", "PolicyId": ADMIN_POLICY, "OrgSubAccountUins": [SUB]}), "InvalidParameter"),
        (
            BIND,
            json!({"MemberUin": MEMBER, "PolicyId": ADMIN_POLICY, "OrgSubAccountUins": [SUB], "Foo": 1}),
            "UnknownParameter",
        ),
        (CANCEL, cancel_params(100_000_000_999, ADMIN_POLICY, SUB), "ResourceNotFound.MemberNotExist"),
        (CANCEL, cancel_params(MEMBER, 9999, SUB), "ResourceNotFound.MemberPolicyNotExist"),
        (CANCEL, cancel_params(MEMBER, ADMIN_POLICY, 299_999_999_999), "FailedOperation.SubAccountNotExist"),
        (DESCRIBE, describe_params(100_000_000_999, ADMIN_POLICY, 0, 10), "ResourceNotFound.MemberNotExist"),
        (DESCRIBE, describe_params(MEMBER, 1003, 0, 10), "ResourceNotFound.MemberPolicyNotExist"),
        (DESCRIBE, describe_params(MEMBER, ADMIN_POLICY, 0, 51), "InvalidParameter"),
        (DESCRIBE, describe_params(MEMBER, ADMIN_POLICY, 0, 0), "InvalidParameter"),
        (DESCRIBE, describe_params(MEMBER, ADMIN_POLICY, -10, 10), "InvalidParameter"),
        (
            POLICIES,
            json!({"MemberUin": 100_000_000_999_i64, "Offset": 0, "Limit": 10}),
            "ResourceNotFound.MemberNotExist",
        ),
        (POLICIES, json!({"Offset": 0, "Limit": 10}), "MissingParameter"),
    ];
    for (action, params, code) in cases {
        let response = tc.call(action, params.clone()).await;
        assert_eq!(error_code(&response), Some(code), "{action} {params}: {response}");
    }
    let message = tc.call(BIND, json!({"MemberUin": [1], "PolicyId": 1, "OrgSubAccountUins": [1]})).await;
    assert!(message["Error"]["Message"].as_str().unwrap().contains("MemberUin"), "{message}");
    // Nothing was bound by any of that.
    assert!(emu.emulator.world().tencent.organization.bindings.is_empty());
}

#[tokio::test]
async fn paging_through_twelve_bindings() {
    let emu = start().await;
    let tc = emu.client();
    let subs: Vec<i64> = (0..12).map(|i| SUB + i).collect();
    // Bound in three calls, in an order that differs from UIN order within a call.
    for chunk in [&[SUB + 4, SUB + 3, SUB + 2, SUB + 1, SUB][..], &subs[5..10], &subs[10..]] {
        assert_ok(&tc.call(BIND, bind_params(MEMBER2, 1003, chunk)).await);
    }
    let mut seen = Vec::new();
    let mut offset = 0;
    loop {
        let page = tc.call(DESCRIBE, describe_params(MEMBER2, 1003, offset, 5)).await;
        assert_ok(&page);
        assert_eq!(page["Total"], 12);
        let uins = item_uins(&page);
        if uins.is_empty() {
            break;
        }
        assert!(uins.len() <= 5);
        seen.extend(uins);
        offset += 5;
    }
    assert_eq!(seen, subs, "creation order, then UIN");
    // Offset must be a multiple of Limit.
    assert_error(&tc.call(DESCRIBE, describe_params(MEMBER2, 1003, 3, 5)).await, "InvalidParameter");
    let page = tc.call(DESCRIBE, describe_params(MEMBER2, 1003, 10, 5)).await;
    assert_eq!(page["Items"][1]["OrgSubAccountName"], "ops-niaj");
}

#[tokio::test]
async fn member_policies() {
    let emu = start().await;
    let tc = emu.client();
    let all = tc.call(POLICIES, json!({"MemberUin": MEMBER2, "Offset": 0, "Limit": 10})).await;
    assert_ok(&all);
    assert_eq!(all["Total"], 3);
    let ids: Vec<i64> = all["Items"].as_array().unwrap().iter().map(|p| p["PolicyId"].as_i64().unwrap()).collect();
    assert_eq!(ids, [1001, 1002, 1003]);
    let readonly = &all["Items"][1];
    assert_eq!(readonly["PolicyName"], "readonly-access");
    assert_eq!(readonly["IdentityId"], 2);
    assert_eq!(readonly["IdentityRoleName"], "OrganizationReadOnlyRole");
    assert_eq!(readonly["IdentityRoleAliasName"], "readonly");
    for field in ["Description", "CreateTime", "UpdateTime"] {
        assert!(readonly[field].is_string(), "{field}");
    }
    let second_page = tc.call(POLICIES, json!({"MemberUin": MEMBER2, "Offset": 2, "Limit": 2})).await;
    assert_eq!(second_page["Items"].as_array().unwrap().len(), 1);
    let searched = tc.call(POLICIES, json!({"MemberUin": MEMBER2, "SearchKey": "billing"})).await;
    assert_eq!(searched["Total"], 1);
    assert_eq!(searched["Items"][0]["PolicyId"], 1003);
    let defaults = tc.call(POLICIES, json!({"MemberUin": MEMBER})).await;
    assert_eq!(defaults["Total"], 2, "Offset and Limit default to 0 and 10");
}

#[tokio::test]
async fn authentication_failures() {
    let emu = start().await;
    let body = serde_json::to_vec(&describe_params(MEMBER, ADMIN_POLICY, 0, 10)).unwrap();

    // No Authorization at all.
    let resp = http()
        .post(format!("{}/", emu.base))
        .header("Content-Type", "application/json")
        .header("X-TC-Action", DESCRIBE)
        .header("X-TC-Version", "2021-03-31")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_error(&response_object(resp).await, "AuthFailure.InvalidAuthorization");

    let good = emu.client();
    let mut unknown_id = good.clone();
    unknown_id.secret_id = "AKIDnotaknownkey000000000000000000".into();
    let mut wrong_key = good.clone();
    wrong_key.secret_key = "not-the-key".into();
    let mut expired = good.clone();
    expired.skew_secs = -400;
    let mut future = good.clone();
    future.skew_secs = 400;
    let mut wrong_service = good.clone();
    wrong_service.service = "cvm".into();
    let temp_ok = TcClient::new(emu.addr, TEMP_SECRET_ID, TEMP_SECRET_KEY, Some(TEMP_TOKEN));
    let temp_wrong_token = TcClient::new(emu.addr, TEMP_SECRET_ID, TEMP_SECRET_KEY, Some("stolen"));
    let temp_no_token = TcClient::new(emu.addr, TEMP_SECRET_ID, TEMP_SECRET_KEY, None);

    let cases = [
        (&unknown_id, Some("AuthFailure.SecretIdNotFound")),
        (&wrong_key, Some("AuthFailure.SignatureFailure")),
        (&expired, Some("AuthFailure.SignatureExpire")),
        (&future, Some("AuthFailure.SignatureExpire")),
        (&wrong_service, Some("AuthFailure.SignatureFailure")),
        (&temp_wrong_token, Some("AuthFailure.TokenFailure")),
        (&temp_no_token, Some("AuthFailure.TokenFailure")),
        (&temp_ok, None),
        (&good, None),
    ];
    for (client, expected) in cases {
        let response = client.call(DESCRIBE, describe_params(MEMBER, ADMIN_POLICY, 0, 10)).await;
        assert_eq!(error_code(&response), expected, "{}: {response}", client.secret_id);
    }

    // A body changed after signing.
    let mut request = http().post(format!("{}/", emu.base));
    for (name, value) in good.signed_headers("POST", DESCRIBE, "", &body) {
        request = request.header(name, value);
    }
    let tampered = serde_json::to_vec(&describe_params(MEMBER2, ADMIN_POLICY, 0, 10)).unwrap();
    let resp = request.body(tampered).send().await.unwrap();
    assert_error(&response_object(resp).await, "AuthFailure.SignatureFailure");

    // Auth failures are logged too, with the params but never a secret.
    let log = emu.admin_get("calls").await.to_string();
    assert!(log.contains("AuthFailure.TokenFailure"));
    for secret in [SECRET_KEY, TEMP_SECRET_KEY, TEMP_TOKEN, "stolen", "TC3-HMAC-SHA256"] {
        assert!(!log.contains(secret), "the call log leaks {secret}");
    }
}

#[tokio::test]
async fn signing_styles() {
    let emu = start().await;
    // The current documentation signs x-tc-action too; the server accepts any declared set.
    let mut with_action = emu.client();
    with_action.sign_action = true;
    assert_ok(&with_action.call(DESCRIBE, describe_params(MEMBER, ADMIN_POLICY, 0, 10)).await);

    let mut unsigned = emu.client();
    unsigned.unsigned_payload = true;
    assert_ok(&unsigned.call(BIND, bind_params(MEMBER, ADMIN_POLICY, &[SUB])).await);

    // GET with the SDK's flattened query parameters.
    let tc = emu.client();
    let query =
        format!("MemberUin={MEMBER}&PolicyId=1002&OrgSubAccountUins.0={}&OrgSubAccountUins.1={}", SUB + 5, SUB + 6);
    assert_ok(&tc.call_get(BIND, &query).await);
    let listed = tc.call_get(DESCRIBE, &format!("Limit=10&MemberUin={MEMBER}&Offset=0&PolicyId=1002")).await;
    assert_eq!(item_uins(&listed), [SUB + 5, SUB + 6]);
    let calls = emu.calls(BIND).await;
    assert_eq!(calls[1]["params"]["OrgSubAccountUins"], json!([(SUB + 5).to_string(), (SUB + 6).to_string()]));
}

#[tokio::test]
async fn version_and_action_routing() {
    let emu = start().await;
    let mut old_version = emu.client();
    old_version.version = Some("2018-12-25".into());
    assert_error(&old_version.call(DESCRIBE, describe_params(MEMBER, ADMIN_POLICY, 0, 10)).await, "NoSuchVersion");
    let mut no_version = emu.client();
    no_version.version = None;
    assert_error(&no_version.call(DESCRIBE, describe_params(MEMBER, ADMIN_POLICY, 0, 10)).await, "NoSuchVersion");

    let tc = emu.client();
    assert_error(&tc.call("DescribeOrganization", json!({})).await, "InvalidAction");
    assert_error(&tc.call("describeOrganizationMemberAuthAccounts", json!({})).await, "InvalidAction");

    // Authentication comes first: a bad signature on an unknown action is an auth failure.
    let mut wrong_key = emu.client();
    wrong_key.secret_key = "nope".into();
    assert_error(&wrong_key.call("NoSuchAction", json!({})).await, "AuthFailure.SignatureFailure");

    // A body that is not JSON (but correctly signed) is a parameter error.
    let resp = tc.post_raw(DESCRIBE, b"not json".to_vec()).await.unwrap();
    assert_error(&response_object(resp).await, "InvalidParameter");
    let logged = emu.calls(DESCRIBE).await;
    assert_eq!(logged.last().unwrap()["params"], "not json");
}

//! ZStack queries over HTTP: the IAM2 fixture, the query language (operators, paging, sorting,
//! counting, field selection), query errors, and unknown APIs.

mod common;

use common::*;
use serde_json::{Value, json};

fn uuids(answer: &ZsAnswer) -> Vec<String> {
    answer.ok()["inventories"].as_array().unwrap().iter().map(|i| i["uuid"].as_str().unwrap().to_owned()).collect()
}

fn names(answer: &ZsAnswer) -> Vec<String> {
    answer.ok()["inventories"].as_array().unwrap().iter().map(|i| i["name"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn the_iam2_fixture() {
    let emu = start_with(zs_config()).await;
    let key = emu.zs_key();
    let projects = key.get("/v1/iam2/projects").await;
    assert_eq!(uuids(&projects), [ZS_PAYMENTS, ZS_ANALYTICS, ZS_SANDBOX, ZS_LEGACY_ERP]);
    assert_eq!(names(&projects), ["payments", "analytics", "sandbox", "legacy-erp"]);
    let payments = &projects.ok()["inventories"][0];
    let mut fields: Vec<&str> = payments.as_object().unwrap().keys().map(String::as_str).collect();
    fields.sort_unstable();
    assert_eq!(
        fields,
        ["attributes", "createDate", "description", "lastOpDate", "linkedAccountUuid", "name", "state", "uuid"]
    );
    assert_eq!(payments["state"], "Enabled");
    assert_eq!(payments["createDate"], "Jan 15, 2024 2:00:00 AM");
    assert_eq!(payments["linkedAccountUuid"].as_str().unwrap().len(), 32);

    let organizations = key.get("/v1/iam2/organizations").await;
    assert_eq!(names(&organizations), ["Tether Corp", "Finance Dept", "Engineering Dept"]);
    let inventories = &organizations.ok()["inventories"];
    assert_eq!(inventories[0]["type"], "Company");
    assert_eq!(inventories[0]["parentUuid"], Value::Null);
    assert_eq!(inventories[1]["type"], "Department");
    assert_eq!(inventories[1]["parentUuid"], ZS_TETHER_CORP);
    assert_eq!(inventories[2]["parentUuid"], ZS_TETHER_CORP);
    assert_eq!(inventories[2]["state"], "Enabled");
    assert_eq!(inventories[2]["attributes"], json!([]));

    let refs = key.get("/v1/iam2/projects/organizations/refs").await;
    assert_eq!(
        refs.ok(),
        &json!({"inventories": [{
            "id": 1,
            "projectUuid": ZS_LEGACY_ERP,
            "organizationUuid": ZS_FINANCE,
            "createDate": "Jan 15, 2024 2:00:00 AM",
            "lastOpDate": "Jan 15, 2024 2:00:00 AM",
        }]})
    );

    // GET …/{uuid} answers the one resource (an empty list for an unknown uuid).
    let one = key.get(&format!("/v1/iam2/organizations/{ZS_FINANCE}")).await;
    assert_eq!(names(&one), ["Finance Dept"]);
    let one = key.get(&format!("/v1/iam2/projects/{ZS_SANDBOX}")).await;
    assert_eq!(names(&one), ["sandbox"]);
    let none = key.get("/v1/iam2/projects/0123456789abcdef0123456789abcdef").await;
    assert_eq!(none.ok(), &json!({"inventories": []}));
}

#[tokio::test]
async fn query_operators() {
    let emu = start_with(zs_config()).await;
    let key = emu.zs_key();
    let projects = |q: &str| {
        let key = key.clone();
        let q = q.to_owned();
        async move { names(&key.get(&format!("/v1/iam2/projects?{q}")).await) }
    };
    assert_eq!(projects("q=name=sandbox").await, ["sandbox"]);
    assert_eq!(projects("q=name!=sandbox").await, ["payments", "analytics", "legacy-erp"]);
    assert_eq!(projects(&format!("q=uuid?={ZS_PAYMENTS},{ZS_LEGACY_ERP}")).await, ["payments", "legacy-erp"]);
    assert_eq!(projects(&format!("q=uuid!?={ZS_PAYMENTS},{ZS_LEGACY_ERP}")).await, ["analytics", "sandbox"]);
    assert_eq!(projects("q=name~=%25an%25").await, ["analytics", "sandbox"]);
    assert_eq!(projects("q=name~=pay%25").await, ["payments"]);
    assert_eq!(projects("q=name~=_egacy-erp").await, ["legacy-erp"]);
    assert_eq!(projects("q=name!~=%25an%25").await, ["payments", "legacy-erp"]);
    assert_eq!(projects("q=state=Enabled&q=name>l").await, ["payments", "sandbox", "legacy-erp"]);
    assert_eq!(projects("q=name<=legacy-erp").await, ["analytics", "legacy-erp"]);
    assert_eq!(projects("q=state=Disabled").await, Vec::<String>::new());

    let organizations = |q: &str| {
        let key = key.clone();
        let q = q.to_owned();
        async move { names(&key.get(&format!("/v1/iam2/organizations?{q}")).await) }
    };
    assert_eq!(organizations("q=parentUuid%20is%20null").await, ["Tether Corp"]);
    assert_eq!(organizations("q=parentUuid+not+null").await, ["Finance Dept", "Engineering Dept"]);
    assert_eq!(organizations("q=type=Department&q=name~=Eng%25").await, ["Engineering Dept"]);
    // SQL semantics: a condition on a NULL field is false.
    assert_eq!(organizations(&format!("q=parentUuid!={ZS_FINANCE}")).await, ["Finance Dept", "Engineering Dept"]);

    let refs = key.get(&format!("/v1/iam2/projects/organizations/refs?q=organizationUuid={ZS_FINANCE}&q=id>=1")).await;
    assert_eq!(refs.ok()["inventories"][0]["projectUuid"], ZS_LEGACY_ERP);
    let refs = key.get(&format!("/v1/iam2/projects/organizations/refs?q=projectUuid={ZS_PAYMENTS}")).await;
    assert_eq!(refs.ok(), &json!({"inventories": []}));
}

#[tokio::test]
async fn paging_sorting_counting_and_fields() {
    let emu = start_with(zs_config()).await;
    let key = emu.zs_key();
    let get = |q: &str| {
        let key = key.clone();
        let q = q.to_owned();
        async move { key.get(&format!("/v1/iam2/projects?{q}")).await }
    };
    assert_eq!(names(&get("limit=2").await), ["payments", "analytics"]);
    assert_eq!(names(&get("limit=2&start=2").await), ["sandbox", "legacy-erp"]);
    assert_eq!(names(&get("start=4").await), Vec::<String>::new());
    assert_eq!(names(&get("sort=name").await), ["analytics", "legacy-erp", "payments", "sandbox"]);
    assert_eq!(names(&get("sort=-name&limit=2").await), ["sandbox", "payments"]);
    assert_eq!(names(&get("sort=%2Bname&start=1&limit=1").await), ["legacy-erp"]);
    assert_eq!(get("count=true").await.ok(), &json!({"total": 4}));
    assert_eq!(get("count=true&q=name~=%25a%25").await.ok(), &json!({"total": 4}));
    let with_total = get("replyWithCount=true&limit=1&q=name!=payments").await;
    assert_eq!(with_total.ok()["total"], 3);
    assert_eq!(names(&with_total), ["analytics"]);
    let picked = get("fields=uuid,name&limit=1").await;
    assert_eq!(picked.ok(), &json!({"inventories": [{"uuid": ZS_PAYMENTS, "name": "payments"}]}));
    assert_eq!(names(&get("sort=createDate").await).len(), 4, "dates sort");
    let organizations = key.get("/v1/iam2/organizations?sort=-parentUuid&fields=name").await;
    assert_eq!(
        organizations.ok()["inventories"][2],
        json!({"name": "Tether Corp"}),
        "NULL sorts first ascending, last descending"
    );

    // The query parameters are the audit params; auth headers never are.
    let logged = emu.zs_calls("QueryIAM2Project").await;
    assert_eq!(logged[0]["params"], json!({"limit": "2"}));
    let repeated = key.get("/v1/iam2/projects?q=state=Enabled&q=name=sandbox").await;
    assert_eq!(names(&repeated), ["sandbox"]);
    let logged = emu.zs_calls("QueryIAM2Project").await;
    assert_eq!(logged.last().unwrap()["params"], json!({"q": ["state=Enabled", "name=sandbox"]}));
    let log = emu.admin_get("calls?cloud=zstack").await.to_string();
    assert!(!log.contains(ZS_ACCESS_KEY_ID) && !log.contains("Authorization"));
}

#[tokio::test]
async fn query_errors() {
    let emu = start_with(zs_config()).await;
    let key = emu.zs_key();
    // REST-layer syntax errors: 400.
    for q in ["q=name", "q=name=", "limit=ten", "start=-1", "fields=,"] {
        key.get(&format!("/v1/iam2/projects?{q}")).await.assert_error(400, "SYS.1007");
    }
    // Unknown fields are the query API's own error: 503 SYS.1007.
    for q in ["q=colour=red", "sort=colour", "fields=uuid,colour"] {
        let answer = key.get(&format!("/v1/iam2/organizations?{q}")).await;
        answer.assert_error(503, "SYS.1007");
        assert!(answer.details().contains("colour"), "{answer:?}");
        assert!(answer.details().contains("IAM2OrganizationInventory"), "{answer:?}");
    }
    key.get("/v1/iam2/projects/organizations/refs?q=id=one").await.assert_error(503, "SYS.1007");
    // Not emulated: conditions on dates and joined fields.
    for q in ["q=createDate>2024", "q=attributes.name=x"] {
        key.get(&format!("/v1/iam2/projects?{q}")).await.assert_error(503, "SYS.1014");
    }
}

#[tokio::test]
async fn unknown_apis_and_methods() {
    let emu = start_with(zs_config()).await;
    let key = emu.zs_key();
    let unknown = key.get("/v1/vm-instances").await;
    unknown.assert_error(404, "SYS.1008");
    assert_eq!(unknown.details(), "no api mapping to /v1/vm-instances");
    // Unknown paths are answered before authentication, like the REST server.
    for path in ["/v2/iam2/projects", "/", ""] {
        emu.zs(ZsAuth::None).get(path).await.assert_error(404, "SYS.1008");
    }
    key.call("PUT", "/v1/iam2/projects", Some(json!({}))).await.assert_error(405, "SYS.1008");
    key.call("POST", &format!("/v1/iam2/projects/{ZS_PAYMENTS}/iam2/organizations"), None)
        .await
        .assert_error(405, "SYS.1008");
    let logged = emu.admin_get("calls?cloud=zstack").await;
    let actions: Vec<&Value> = logged.as_array().unwrap().iter().map(|c| &c["action"]).collect();
    assert!(actions.iter().all(|a| a.is_null()), "{actions:?}");
    // Tencent and Huawei are untouched by the /zstack prefix.
    let tencent = emu.client().call("DescribeOrganizationMemberPolicies", json!({"MemberUin": MEMBER})).await;
    assert_ok(&tencent);
}

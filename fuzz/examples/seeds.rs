//! Writes the seed corpora under `fuzz/corpus/<target>/`: a few small valid inputs per target,
//! built with the real types, encoders and signers so they stay valid as the code changes.
//!
//! ```sh
//! cargo run --manifest-path fuzz/Cargo.toml --example seeds
//! ```
//!
//! Seeds are named `seed-<what>`; the files a fuzz run adds (named by their SHA-1) are not
//! committed.

use std::fs;
use std::path::{Path, PathBuf};

use axum::http::{HeaderMap, Method};
use tether::clouds::huawei::sign::SdkSigner;
use tether::clouds::tencent::sign::{SignedHeaders, Tc3Signer};
use tether::clouds::zstack::auth::AccessKeySigner;
use tether::clouds::{Secret, SignableRequest};
use tether::framework::operation::{Limit, Limits, Operation};
use tether::framework::value::{Number, Refinements, Type, Value, encode_json, encode_msgpack};
use tether::framework::{Ctx, Diagnostics, identity};
use tether_emulator::fixtures;
use tether_fuzz::{TYPE_FROM_INPUT, ready, resources, sample, unconfigured_clients, wire_types};
use time::OffsetDateTime;
use tokio_util::sync::CancellationToken;
use url::Url;

/// The fixture's seed time, which the auth targets verify against.
const NOW: i64 = 1_705_284_000;

struct Corpus {
    dir: PathBuf,
}

impl Corpus {
    fn new(root: &Path, target: &str) -> Corpus {
        let dir = root.join(target);
        fs::create_dir_all(&dir).expect("create the corpus directory");
        for entry in fs::read_dir(&dir).expect("read the corpus directory").flatten() {
            if entry.file_name().to_string_lossy().starts_with("seed-") {
                fs::remove_file(entry.path()).expect("remove an old seed");
            }
        }
        Corpus { dir }
    }

    fn seed(&self, name: &str, bytes: impl AsRef<[u8]>) {
        let name: String = name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' }).collect();
        fs::write(self.dir.join(format!("seed-{name}")), bytes).expect("write a seed");
    }
}

fn join(fields: &[&[u8]]) -> Vec<u8> {
    fields.join(&0u8)
}

fn prefixed(first: u8, rest: &[u8]) -> Vec<u8> {
    let mut out = vec![first];
    out.extend_from_slice(rest);
    out
}

/// A few values whose type travels with the input (`0xff <type JSON> 0 <value>`), covering
/// numbers, unknowns and dynamic values the wire types' samples do not.
fn typed_values() -> Vec<(&'static str, Type, Value)> {
    let refined = Refinements { not_null: true, string_prefix: Some("ou-".into()), ..Refinements::default() };
    vec![
        ("big-number", Type::Number, Value::Number(Number::Decimal("123456789012345678901234567890.5".into()))),
        ("float", Type::list(Type::Number), Value::List(vec![Value::from(1.5f64), Value::from(-7i64)])),
        ("refined-unknown", Type::String, Value::Unknown(refined)),
        (
            "tuple",
            Type::Tuple(vec![Type::String, Type::Bool, Type::Dynamic]),
            Value::Tuple(vec![
                Value::from("a"),
                Value::Bool(false),
                Value::Dynamic(Type::list(Type::String), Box::new(Value::List(vec![Value::from("z")]))),
            ]),
        ),
        (
            "set-of-objects",
            Type::set(Type::object([("id", Type::String), ("n", Type::Number)])),
            sample(&Type::set(Type::object([("id", Type::String), ("n", Type::Number)]))),
        ),
    ]
}

fn values(root: &Path) {
    let msgpack = Corpus::new(root, "value_msgpack");
    let json = Corpus::new(root, "value_json");
    for (index, (name, ty)) in wire_types().iter().enumerate() {
        let index = u8::try_from(index).expect("fewer than 255 wire types");
        assert_ne!(index, TYPE_FROM_INPUT);
        let value = sample(ty);
        msgpack.seed(name, prefixed(index, &encode_msgpack(&value, ty).expect("a sample encodes")));
        let text = serde_json::to_vec(&encode_json(&value, ty).expect("a sample encodes")).expect("JSON");
        json.seed(name, prefixed(index, &text));
    }
    for (name, ty, value) in typed_values() {
        let type_json = ty.to_json_bytes();
        let mut input = prefixed(TYPE_FROM_INPUT, &type_json);
        input.push(0);
        let with = |corpus: &Corpus, bytes: Vec<u8>| {
            let mut seed = input.clone();
            seed.extend(bytes);
            corpus.seed(name, seed);
        };
        with(&msgpack, encode_msgpack(&value, &ty).expect("encodes"));
        if value.is_wholly_known() {
            with(&json, serde_json::to_vec(&encode_json(&value, &ty).expect("encodes")).expect("JSON"));
        }
    }
}

fn imports(root: &Path) {
    let corpus = Corpus::new(root, "import_ids");
    let ids = [
        ("member_auth_binding", "100000000101/1001/200000000001"),
        ("member_auth_binding-tencent-order", "1001#100000000101#200000000001"),
        ("organization_membership", "o-tether0001"),
        ("rgc_managed_account", "2c7f3e4a1d9f4a6b8c8e3d4f5a6b7c82"),
        ("identity_center_profile_association", "ins-tether00000001/GROUP/g-admins"),
        ("iam2_project_organization", "6a1f0c2b3d4e4f5a8b9c0d1e2f3a4b01"),
    ];
    for (name, id) in ids {
        corpus.seed(&format!("id-{name}"), prefixed(0, id.as_bytes()));
    }
    // Identities, as `import { identity = {...} }` sends them: from the states these IDs import.
    // No runtime here, so the operation's clock has no timer: import never waits anyway.
    let op = Operation::start(Limit::read(Limits::default()), CancellationToken::new());
    let ctx = Ctx::new(unconfigured_clients(), &op);
    for (index, entry) in resources().iter().enumerate() {
        for (_, id) in ids {
            let mut diags = Diagnostics::new();
            let Ok(state) = ready("import", entry.resource.import(&ctx, id, &mut diags)) else {
                continue;
            };
            let Some(identity) = identity::from_state(entry.identity, &state) else {
                continue;
            };
            let bytes = encode_msgpack(&identity, &entry.identity_type).expect("an identity encodes");
            let mode = 1 | u8::try_from(index).expect("few resources") << 1;
            corpus.seed(&format!("identity-{}", entry.resource.type_name()), prefixed(mode, &bytes));
        }
    }
}

fn routes(root: &Path) {
    let corpus = Corpus::new(root, "emulator_routes");
    // Method bytes: 0 GET, 1 POST, 2 PUT, 3 DELETE.
    let paths: [(u8, &str); 14] = [
        (0, "/v1/organizations"),
        (1, "/v1/organizations/leave"),
        (0, "/v1/organizations/accounts/acc%2D1"),
        (1, "/v1/received-handshakes/h-7c1e0a9b2d4f4e6a/accept"),
        (1, "/v1/managed-organization/accounts/2c7f3e4a1d9f4a6b8c8e3d4f5a6b7c82/enroll"),
        (1, "/v1/managed-organization/managed-accounts/2c7f3e4a1d9f4a6b8c8e3d4f5a6b7c82/un-enroll"),
        (0, "/v1/managed-organization/operations/op-1"),
        (1, "/v1/instances/ins-tether00000001/disassociate-profile"),
        (0, "/v1/instances/ins-tether00000001/account-assignments/principals/g-admins"),
        (2, "/v1/accounts/login"),
        (0, "/v1/api-jobs/0123456789abcdef0123456789abcdef"),
        (1, "/v1/iam2/projects/6a1f0c2b3d4e4f5a8b9c0d1e2f3a4b01/iam2/organizations/7b2e1d3c4f5a4b6c9d0e1f2a3b4c5d02"),
        (3, "/v1/iam2/projects/6a1f0c2b3d4e4f5a8b9c0d1e2f3a4b01/iam2/organizations"),
        (0, "/v1/iam2/projects/organizations/refs"),
    ];
    for (method, path) in paths {
        corpus.seed(path.trim_start_matches('/'), prefixed(method, path.as_bytes()));
    }
}

fn tencent_params(root: &Path) {
    let corpus = Corpus::new(root, "emulator_tencent_params");
    let get = [
        (
            "get-bind",
            "MemberUin=100000000101&PolicyId=1001&OrgSubAccountUins.0=200000000001&OrgSubAccountUins.1=200000000002",
        ),
        ("get-describe", "MemberUin=100000000101&PolicyId=1001&Offset=0&Limit=50"),
        ("get-nested", "Filters.0.Name=a+b&Filters.0.Values.0=x%2Cy"),
    ];
    for (name, query) in get {
        corpus.seed(name, prefixed(0, query.as_bytes()));
    }
    let post = [
        ("post-bind", r#"{"MemberUin":100000000101,"PolicyId":1001,"OrgSubAccountUins":[200000000003]}"#),
        ("post-cancel", r#"{"MemberUin":"100000000101","PolicyId":"1001","OrgSubAccountUin":200000000001}"#),
        ("post-policies", r#"{"MemberUin":100000000101,"Offset":0,"Limit":10,"SearchKey":"admin"}"#),
    ];
    for (name, body) in post {
        corpus.seed(name, prefixed(1, body.as_bytes()));
    }
}

fn zstack_query(root: &Path) {
    let corpus = Corpus::new(root, "emulator_zstack_query");
    let queries = [
        ("like-sort-page", "q=name~=%25e%25&sort=-name&limit=2&start=1&fields=uuid,name&replyWithCount=true"),
        ("in-count", "q=uuid?=6a1f0c2b3d4e4f5a8b9c0d1e2f3a4b01,x&count=true"),
        ("null", "q=parentUuid is null&q=state=Enabled"),
        ("ref", "q=projectUuid!=x&q=id>=1&sort=id"),
    ];
    for (name, query) in queries {
        corpus.seed(name, prefixed(0, query.as_bytes()));
    }
    corpus.seed("like", prefixed(1, &join(&[b"payments-prod", b"pay%\\_prod"])));
}

/// A request signed by the provider, as `<method> 0 <path> 0 <query> 0 <header lines> 0 <body>`.
fn signed_request(request: &SignableRequest) -> Vec<u8> {
    let headers: String =
        request.headers.iter().map(|(name, value)| format!("{name}: {}\n", value.to_str().expect("ASCII"))).collect();
    join(&[
        request.method.as_str().as_bytes(),
        request.url.path().as_bytes(),
        request.url.query().unwrap_or("").as_bytes(),
        headers.as_bytes(),
        &request.body,
    ])
}

fn header_map(pairs: &[(&'static str, &str)]) -> HeaderMap {
    let mut headers = HeaderMap::new();
    for (name, value) in pairs {
        headers.insert(*name, value.parse().expect("a header value"));
    }
    headers
}

fn auth(root: &Path) {
    let corpus = Corpus::new(root, "emulator_auth_headers");
    let at = OffsetDateTime::from_unix_timestamp(NOW).expect("a time");

    let tencent = Tc3Signer {
        secret_id: fixtures::TENCENT_SECRET_ID.into(),
        secret_key: Secret::new(fixtures::TENCENT_SECRET_KEY),
        security_token: None,
        service: "organization".into(),
        signed_headers: SignedHeaders::ContentTypeHostAction,
    };
    let mut request = SignableRequest::new(Method::POST, Url::parse("http://127.0.0.1:8080/").expect("URL"));
    request.headers = header_map(&[
        ("content-type", "application/json"),
        ("x-tc-action", "DescribeOrganizationMemberPolicies"),
        ("x-tc-version", "2021-03-31"),
    ]);
    request.body = br#"{"MemberUin":100000000101}"#.to_vec();
    tencent.sign_at(&mut request, NOW).expect("signs");
    corpus.seed("tencent", prefixed(0, &signed_request(&request)));

    let huawei = SdkSigner {
        access_key: fixtures::HUAWEI_TEMP_ACCESS_KEY.into(),
        secret_key: Secret::new(fixtures::HUAWEI_TEMP_SECRET_KEY),
        security_token: Some(Secret::new(fixtures::HUAWEI_TEMP_TOKEN)),
    };
    let url = Url::parse(
        "http://127.0.0.1:8080/v1/managed-organization/managed-accounts?parent_organizational_unit_id=ou-1&limit=5",
    )
    .expect("URL");
    let mut request = SignableRequest::new(Method::GET, url);
    request.headers =
        header_map(&[("content-type", "application/json"), ("x-domain-id", fixtures::HUAWEI_MANAGEMENT.id)]);
    huawei.sign_at(&mut request, at).expect("signs");
    corpus.seed("huawei", prefixed(0, &signed_request(&request)));

    let zstack = AccessKeySigner::new(
        fixtures::ZSTACK_ACCESS_KEY_ID,
        Secret::new(fixtures::ZSTACK_ACCESS_KEY_SECRET),
        "/zstack",
    );
    let url =
        Url::parse("http://127.0.0.1:8080/zstack/v1/iam2/projects/6a1f0c2b3d4e4f5a8b9c0d1e2f3a4b01/iam2/organizations")
            .expect("URL");
    let mut request = SignableRequest::new(Method::DELETE, url);
    zstack.sign_at(&mut request, at).expect("signs");
    corpus.seed("zstack", prefixed(0, &signed_request(&request)));

    let session = join(&[
        b"GET",
        b"/zstack/v1/iam2/projects",
        b"q=name=x",
        b"authorization: OAuth 0123456789abcdef0123456789abcdef\ndate: Mon, 15 Jan 2024 10:00:00 CST",
        b"",
    ]);
    corpus.seed("zstack-session", prefixed(0, &session));
}

fn sign_verify(root: &Path) {
    let corpus = Corpus::new(root, "sign_verify");
    // flags % 3 picks the cloud: 0 Tencent, 1 Huawei, 2 ZStack.
    corpus.seed(
        "tencent",
        prefixed(
            0,
            &join(&[
                b"organization.tencentcloudapi.com",
                b"BindOrganizationMemberAuthAccount",
                b"application/json; charset=utf-8",
                b"\x80{\"MemberUin\":1}",
            ]),
        ),
    );
    corpus.seed(
        "tencent-temporary-host-port",
        prefixed(
            3 | 0x10,
            &join(&[b"127.0.0.1:8080", b"DescribeOrganizationMemberPolicies", b"application/json", b"\x10{}"]),
        ),
    );
    corpus.seed(
        "huawei",
        prefixed(
            1,
            &join(&[
                b"\x01",
                b"v1/instances/ins-1/disassociate-profile",
                b"marker=a b&limit=2",
                b"content-type: application/json\nx-domain-id: d-1\nx_ignored: 1",
                b"\x80{\"id\":\"g-1\"}",
            ]),
        ),
    );
    corpus.seed(
        "huawei-unsigned-payload",
        prefixed(
            1 | 0x10 | 0x20,
            &join(&[b"\x00", b"v1/managed-organization/accounts/%2F/enroll", b"", b"user-agent: tether", b"\x90"]),
        ),
    );
    corpus.seed(
        "zstack",
        prefixed(2, &join(&[b"\x03", b"v1/iam2/projects/6a1f/iam2/organizations", b"", b"\x00\x00\x80\x65"])),
    );
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    values(&root);
    imports(&root);
    routes(&root);
    tencent_params(&root);
    zstack_query(&root);
    auth(&root);
    sign_verify(&root);
    println!("seed corpora written under {}", root.display());
}

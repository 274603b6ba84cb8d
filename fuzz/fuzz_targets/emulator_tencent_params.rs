//! The emulator's Tencent Cloud parameter parsing: `tencent::params::from_request` (a POST's
//! JSON body, or a GET's flattened query string such as `Ids.0=1&Ids.1=2`), which runs on every
//! request before it is authenticated, and the four Organization actions on what it returns.
//!
//! Properties: parsing never panics; parameters are always a JSON object, nested at most 32
//! levels deep (deeper names once overflowed the stack); a GET query that parses, flattened
//! again the way the SDKs flatten, parses to the same parameters; an action
//! either succeeds or leaves the organization exactly as it was, and a read-only answer
//! (`mutated: false`) really changed nothing.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use tether_emulator::huawei::sign::uri_encode;
use tether_emulator::tencent::model::Organization;
use tether_emulator::tencent::organization::{Action, execute};
use tether_emulator::tencent::params::{Params, from_request};

fn organization() -> &'static Organization {
    static ORGANIZATION: OnceLock<Organization> = OnceLock::new();
    ORGANIZATION.get_or_init(|| tether_emulator::fixtures::seed_at(0).tencent.organization)
}

/// The SDKs' flattening of a parameter tree into `key.0.sub=value` pairs.
fn flatten(key: &str, value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Null => {}
        Value::String(text) => out.push(format!("{key}={}", uri_encode(text.as_bytes()))),
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                flatten(&format!("{key}.{index}"), item, out);
            }
        }
        Value::Object(fields) => {
            for (name, item) in fields {
                flatten(&format!("{key}.{}", uri_encode(name.as_bytes())), item, out);
            }
        }
        other => panic!("a GET query produced a non-string leaf {other:?}"),
    }
}

fn depth(value: &Value) -> usize {
    match value {
        Value::Array(items) => 1 + items.iter().map(depth).max().unwrap_or(0),
        Value::Object(fields) => 1 + fields.values().map(depth).max().unwrap_or(0),
        _ => 0,
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let get = mode & 1 == 0;
    let query = String::from_utf8_lossy(rest);
    let parsed = if get { from_request("GET", &query, b"") } else { from_request("POST", "", rest) };
    let Ok(value) = parsed else { return };
    let Value::Object(fields) = &value else {
        panic!("parameters are not an object: {value:?}");
    };

    if get {
        // Un-flattening recurses once per name segment; names are limited to 32 segments.
        assert!(depth(&value) <= 33, "{query:?} nests its parameters more than 32 levels deep");
        let mut pairs = Vec::new();
        for (name, item) in fields {
            flatten(&uri_encode(name.as_bytes()), item, &mut pairs);
        }
        let flattened = pairs.join("&");
        let again = from_request("GET", &flattened, b"")
            .unwrap_or_else(|e| panic!("re-flattened query {flattened:?} of {query:?} does not parse: {e:?}"));
        assert_eq!(again, value, "{query:?} and its re-flattening {flattened:?} differ");
    }

    let params = Params::new(value).expect("an object is valid parameters");
    for action in Action::ALL {
        let mut org = organization().clone();
        match execute(action, &params, &mut org, "2024-01-15 10:00:00") {
            Ok(executed) if !executed.mutated => {
                assert_eq!(&org, organization(), "{} changed the organization but said it did not", action.name());
            }
            Ok(_) => {}
            Err(err) => {
                assert_eq!(
                    &org,
                    organization(),
                    "{} failed ({}) after changing the organization",
                    action.name(),
                    err.code
                );
            }
        }
    }
});

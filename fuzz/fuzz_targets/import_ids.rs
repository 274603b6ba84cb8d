//! Every resource's import: `Resource::import` with an arbitrary import ID (what
//! `terraform import` passes), or with the ID an arbitrary msgpack identity stands for (what
//! `import { identity = {...} }` passes), through the same steps as the protocol layer.
//!
//! The provider data has no usable cloud client, so only the validation in front of the cloud
//! calls runs (for `tether_organization_membership`, the cloud call's place is taken by the
//! "missing credentials" diagnostic).
//!
//! Properties: import never panics and never waits; it returns a state or an error, never both
//! or neither; an imported state fits the resource's schema and holds a full identity; the
//! import ID that identity stands for (the canonical ID) is the state's `id`, and importing it
//! gives the same state again.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tether::framework::operation::{Limit, Limits, Operation};
use tether::framework::value::{Value, decode_msgpack, encode_msgpack};
use tether::framework::{Ctx, Diagnostics, detach, identity};
use tether_fuzz::{ResourceEntry, ready, resources, unconfigured_clients};
use tokio_util::sync::CancellationToken;

fn import(entry: &ResourceEntry, id: &str) -> Option<Value> {
    // No runtime here, so the operation's clock has no timer: import never waits anyway.
    let op = Operation::start(Limit::read(Limits::default()), CancellationToken::new());
    let ctx = Ctx::new(unconfigured_clients(), &op);
    let mut diags = Diagnostics::new();
    let name = entry.resource.type_name();
    let state = ready(name, entry.resource.import(&ctx, id, &mut diags)).ok();
    match &state {
        Some(_) => assert!(!diags.has_errors(), "{name}: import of {id:?} returned a state and errors"),
        None => assert!(diags.has_errors(), "{name}: import of {id:?} returned neither a state nor an error"),
    }
    state.map(|state| detach::carry(state, &Value::Null, |state| entry.resource.detach_call(state)))
}

fn check(entry: &ResourceEntry, id: &str) {
    let name = entry.resource.type_name();
    let Some(state) = import(entry, id) else {
        return;
    };
    if let Err(e) = state.conforms_to(&entry.state_type) {
        panic!("{name}: imported state of {id:?} does not fit the schema: {e}\n{state:?}");
    }
    if let Err(e) = encode_msgpack(&state, &entry.state_type) {
        panic!("{name}: imported state of {id:?} does not encode: {e}");
    }
    if entry.identity.is_empty() {
        return;
    }
    let Some(identity) = identity::from_state(entry.identity, &state) else {
        panic!("{name}: imported state of {id:?} has no full identity: {state:?}");
    };
    let canonical = identity::import_id(entry.identity, &identity)
        .unwrap_or_else(|e| panic!("{name}: identity of {id:?} has no import ID: {e}"));
    assert_eq!(
        state.attr("id").and_then(Value::as_str),
        Some(canonical.as_str()),
        "{name}: the id of the state imported from {id:?} is not its identity's import ID"
    );
    let again = import(entry, &canonical)
        .unwrap_or_else(|| panic!("{name}: the canonical ID {canonical:?} of {id:?} does not import"));
    assert_eq!(again, state, "{name}: {id:?} and its canonical ID {canonical:?} import differently");
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let resources = resources();
    if mode & 1 == 0 {
        // An import ID, tried on every resource.
        let id = String::from_utf8_lossy(rest);
        for entry in resources {
            check(entry, &id);
        }
    } else {
        // An identity of one resource, as Terraform sends it.
        let entry = &resources[usize::from(mode >> 1) % resources.len()];
        if entry.identity.is_empty() {
            return;
        }
        let Ok(identity) = decode_msgpack(rest, &entry.identity_type) else {
            return;
        };
        if let Ok(id) = identity::import_id(entry.identity, &identity) {
            check(entry, &id);
        }
    }
});

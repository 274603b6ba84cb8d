//! Every move source's conversion (`moved` blocks from the official providers, MoveResourceState)
//! with an arbitrary raw state: the JSON Terraform hands over from a state file that another
//! provider, a hand edit or an old version wrote.
//!
//! Input: one byte choosing the source (over every resource's `move_sources()`), then the state
//! JSON (anything: not JSON, not an object, wrong types, huge numbers).
//!
//! Properties: a conversion never panics; what it accepts fits the target's schema with the detach
//! guard added, encodes, holds a full identity, and keeps `detach_on_destroy` as it said; a
//! state it refuses says why in words (never an empty reason).
#![no_main]

use libfuzzer_sys::fuzz_target;
use tether::framework::moves::SourceState;
use tether::framework::value::{Value, encode_msgpack};
use tether::framework::{detach, identity};
use tether_fuzz::resources;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, json)) = data.split_first() else {
        return;
    };
    let sources: Vec<_> =
        resources().iter().flat_map(|entry| entry.resource.move_sources().iter().map(move |s| (entry, s))).collect();
    if sources.is_empty() {
        return;
    }
    let (entry, source) = sources[usize::from(selector) % sources.len()];
    let Ok(serde_json::Value::Object(attributes)) = serde_json::from_slice::<serde_json::Value>(json) else {
        return;
    };
    let name = entry.resource.type_name();
    let moved = match (source.convert)(&SourceState::new(&attributes, b"")) {
        Ok(moved) => moved,
        Err(why) => {
            assert!(!why.trim().is_empty(), "{name}: a refused move of {} says nothing", source.type_name);
            return;
        }
    };
    let guard = Value::Object([(detach::ATTRIBUTE.to_string(), Value::Bool(moved.detach_on_destroy))].into());
    let state = detach::carry(moved.state, &guard, |state| entry.resource.detach_call(state));
    if let Err(e) = state.conforms_to(&entry.state_type) {
        panic!("{name}: the state moved from {} does not fit the schema: {e}\n{state:?}", source.type_name);
    }
    if let Err(e) = encode_msgpack(&state, &entry.state_type) {
        panic!("{name}: the state moved from {} does not encode: {e}", source.type_name);
    }
    assert_eq!(detach::enabled(&state), moved.detach_on_destroy, "{name}: detach_on_destroy was not kept");
    if !entry.identity.is_empty() {
        assert!(
            identity::from_state(entry.identity, &state).is_some(),
            "{name}: the state moved from {} has no full identity: {state:?}",
            source.type_name
        );
    }
});

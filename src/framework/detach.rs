//! The detach guard every resource gets, and the rules that make every detach visible before it
//! happens:
//!
//! - `detach_on_destroy` (default true): `false` makes destroy only forget the object.
//! - `detach_call` (computed): the detach call destroying the object makes, in the state itself.
//!   Terraform plans `-replace` and tainted objects as creates (the provider never plans their
//!   destroy half, and drops a replacement's second-plan warnings), so a warning cannot reach the
//!   reviewer there; a state attribute can: every such plan shows
//!   `~ detach_call = "<the call>" -> (known after apply)`.
//! - A warning per planned destroy or replacement, whose summary names the object, so Terraform
//!   never folds one object's warning into another's ("and 99 more similar warnings").
//!
//! Resources only describe their detach call ([`DetachCall`]) and its effect; the rules live here.

use super::diag::Diagnostic;
use super::schema::{Attribute, Schema};
use super::value::{Type, Value};

pub const ATTRIBUTE: &str = "detach_on_destroy";
pub const CALL_ATTRIBUTE: &str = "detach_call";

/// The detach API a destroy calls for one object, as a reviewer reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DetachCall {
    /// The detach API with its cloud, e.g. `Tencent Cloud CancelOrganizationMemberAuthAccount`.
    pub api: String,
    /// The call's parameters as they will be sent, e.g. `{MemberUin: 1, PolicyId: 2, ...}`.
    pub parameters: String,
}

/// What destroying one object will do, shown in every plan that destroys or replaces it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DestroyPreview {
    /// The object's import ID, which names it in the warning's summary.
    pub object: String,
    /// The call, or why destroying it calls nothing.
    pub call: Result<DetachCall, String>,
    /// The blast radius in one plain sentence (empty when nothing is called).
    pub effect: String,
    /// Whether `detach_on_destroy` is true.
    pub enabled: bool,
}

/// The schema with the guard argument and the `detach_call` attribute added.
pub fn guarded(mut schema: Schema) -> Schema {
    schema.block.attributes.push(
        Attribute::optional(ATTRIBUTE, Type::Bool)
            .default(Value::Bool(true))
            .description("Whether destroying this resource calls the cloud's detach API. Set it to `false` to have destroy only remove the resource from Terraform state, leaving the binding in the cloud untouched; the plan says which will happen."),
    );
    schema.block.attributes.push(
        Attribute::computed(CALL_ATTRIBUTE, Type::String).description("What destroying this object calls: the detach API and its parameters, or `none: ...` with the reason when destroy calls nothing (`detach_on_destroy = false`, or the object is no longer the one Terraform made). Plans that replace the object show it, including `-replace` and tainted replacements, where Terraform lets a provider show no warning."),
    );
    schema
}

/// Whether destroying the object described by `state` calls the detach API.
pub fn enabled(state: &Value) -> bool {
    state.attr(ATTRIBUTE).and_then(Value::as_bool).unwrap_or(true)
}

/// The `detach_call` text for a state.
pub fn describe(call: &Result<DetachCall, String>, enabled: bool) -> String {
    match call {
        _ if !enabled => {
            "none: detach_on_destroy is false, so destroy only removes this object from the Terraform state".to_string()
        }
        Ok(call) => format!("{} {}", call.api, call.parameters),
        Err(reason) => format!("none: {reason}"),
    }
}

/// A state from a resource, with the guard argument carried over from `from` (the plan, or the
/// previous state), or its default, and `detach_call` set from `call` (what the resource says
/// destroying the finished state would call).
pub fn carry(mut state: Value, from: &Value, call: impl FnOnce(&Value) -> Result<DetachCall, String>) -> Value {
    if let Value::Object(fields) = &mut state {
        let value = from.attr(ATTRIBUTE).filter(|v| v.as_bool().is_some()).cloned().unwrap_or(Value::Bool(true));
        fields.insert(ATTRIBUTE.to_string(), value);
    }
    if !state.is_null() {
        let text = describe(&call(&state), enabled(&state));
        if let Some(slot) = state.attr_mut(CALL_ATTRIBUTE) {
            *slot = Value::from(text);
        } else if let Value::Object(fields) = &mut state {
            fields.insert(CALL_ATTRIBUTE.to_string(), Value::from(text));
        }
    }
    state
}

/// Arguments that only steer the provider (the guard and the `timeouts` block): changing them
/// needs no cloud call. `detach_call` follows from the guard.
const PROVIDER_SETTINGS: [&str; 3] = [ATTRIBUTE, CALL_ATTRIBUTE, super::timeouts::BLOCK];

/// When an update changes nothing but provider settings, the new state: `prior` with the
/// planned settings. `None` when anything the cloud holds changes.
pub fn settings_only_update(prior: &Value, planned: &Value) -> Option<Value> {
    let (Value::Object(before), Value::Object(after)) = (prior, planned) else {
        return None;
    };
    let cloud_side = |fields: &std::collections::BTreeMap<String, Value>| {
        fields
            .iter()
            .filter(|(name, _)| !PROVIDER_SETTINGS.contains(&name.as_str()))
            .map(|(n, v)| (n.clone(), v.clone()))
            .collect::<Vec<_>>()
    };
    if cloud_side(before) != cloud_side(after) {
        return None;
    }
    let mut state = before.clone();
    for name in PROVIDER_SETTINGS {
        if let Some(value) = after.get(name) {
            state.insert(name.to_string(), value.clone());
        }
    }
    Some(Value::Object(state))
}

/// The warning a plan shows for a destroy, or for the destroy half of a replacement. Its
/// summary names the object: Terraform folds warnings whose summaries are equal into the first
/// one, and a reviewer must see every object that will be detached.
pub fn preview_warning(preview: &DestroyPreview, replacing: bool) -> Diagnostic {
    let object = &preview.object;
    match &preview.call {
        _ if !preview.enabled => Diagnostic::warning(
            format!("Destroy only forgets {object}"),
            format!(
                "detach_on_destroy is false, so {} removes it from the Terraform state without calling {}; the binding stays in the cloud.",
                if replacing { "replacing it" } else { "destroy" },
                preview.call.as_ref().map(|c| c.api.as_str()).unwrap_or("any detach API"),
            ),
        ),
        Ok(call) => {
            let lead = if replacing {
                "This object is replaced, and the old one is destroyed (before the new one is created, or after it with create_before_destroy). "
            } else {
                ""
            };
            Diagnostic::warning(
                format!("Destroy calls {} for {object}", call.api),
                format!("{lead}{} {}: {}", call.api, call.parameters, preview.effect),
            )
        }
        Err(reason) => Diagnostic::warning(
            format!("Destroy calls nothing for {object}"),
            format!("Destroying {object} calls no detach API: {reason}."),
        ),
    }
}

/// What Terraform's private data for an object carries between a plan and its apply. Only plans
/// write it, and nothing is kept in state: apply answers with empty private data.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlanMark {
    /// The import ID of the prior object the plan had.
    pub prior: Option<String>,
    /// Whether that plan showed the prior object's destroy preview (a replacement the provider
    /// asked for). A create plan that finds `prior` set but not `previewed` is the second plan of
    /// a replacement Terraform forced with `-replace`.
    pub previewed: bool,
}

const MARK_PREFIX: &[u8] = b"tether-plan:";

impl PlanMark {
    pub fn encode(&self) -> Vec<u8> {
        match &self.prior {
            None => Vec::new(),
            Some(prior) => [MARK_PREFIX, if self.previewed { b"1:" } else { b"0:" }, prior.as_bytes()].concat(),
        }
    }

    /// Private data this provider did not write (another version's, or none) reads as no mark.
    pub fn decode(private: &[u8]) -> PlanMark {
        let Some(rest) = private.strip_prefix(MARK_PREFIX) else {
            return PlanMark::default();
        };
        let (previewed, prior) = match rest {
            [b'1', b':', prior @ ..] => (true, prior),
            [b'0', b':', prior @ ..] => (false, prior),
            _ => return PlanMark::default(),
        };
        match std::str::from_utf8(prior) {
            Ok(prior) if !prior.is_empty() => PlanMark { prior: Some(prior.to_string()), previewed },
            _ => PlanMark::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(fields: &[(&str, Value)]) -> Value {
        Value::Object(fields.iter().map(|(n, v)| (n.to_string(), v.clone())).collect())
    }

    #[test]
    fn only_provider_settings_changing_needs_no_update() {
        let prior = object(&[("id", Value::from("a")), (ATTRIBUTE, Value::Bool(true)), ("timeouts", Value::Null)]);
        let planned = object(&[("id", Value::from("a")), (ATTRIBUTE, Value::Bool(false)), ("timeouts", Value::Null)]);
        assert_eq!(settings_only_update(&prior, &planned), Some(planned.clone()));

        let moved = object(&[("id", Value::from("b")), (ATTRIBUTE, Value::Bool(false)), ("timeouts", Value::Null)]);
        assert_eq!(settings_only_update(&prior, &moved), None, "a cloud-side change needs the resource's update");
        assert_eq!(settings_only_update(&Value::Null, &planned), None);
    }

    #[test]
    fn carry_describes_the_call_and_the_guard() {
        let call = |_: &Value| Ok(DetachCall { api: "Cloud Detach".into(), parameters: "{Id: 1}".into() });
        let state = carry(object(&[("id", Value::from("1"))]), &Value::Null, call);
        assert_eq!(state.attr(CALL_ATTRIBUTE).and_then(Value::as_str), Some("Cloud Detach {Id: 1}"));
        let forgetting = carry(object(&[("id", Value::from("1"))]), &object(&[(ATTRIBUTE, Value::Bool(false))]), call);
        assert_eq!(
            forgetting.attr(CALL_ATTRIBUTE).and_then(Value::as_str),
            Some("none: detach_on_destroy is false, so destroy only removes this object from the Terraform state")
        );
        let moved = carry(object(&[("id", Value::from("1"))]), &Value::Null, |_| Err("it moved".to_string()));
        assert_eq!(moved.attr(CALL_ATTRIBUTE).and_then(Value::as_str), Some("none: it moved"));
        assert_eq!(carry(Value::Null, &Value::Null, call), Value::Null);
    }

    #[test]
    fn each_objects_warning_has_its_own_summary() {
        let preview = |object: &str| DestroyPreview {
            object: object.into(),
            call: Ok(DetachCall { api: "Cloud Detach".into(), parameters: "{}".into() }),
            effect: "gone.".into(),
            enabled: true,
        };
        let (a, b) = (preview_warning(&preview("1/2/3"), false), preview_warning(&preview("1/2/4"), false));
        assert_ne!(a.summary, b.summary);
        assert_eq!(a.summary, "Destroy calls Cloud Detach for 1/2/3");
    }

    #[test]
    fn plan_marks_round_trip_and_foreign_data_is_no_mark() {
        for mark in [
            PlanMark { prior: Some("1/2/3".into()), previewed: true },
            PlanMark { prior: Some("ins/USER/u".into()), previewed: false },
            PlanMark::default(),
        ] {
            assert_eq!(PlanMark::decode(&mark.encode()), mark);
        }
        for foreign in [&b""[..], b"{\"e2bfb730\":{}}", b"tether-plan:", b"tether-plan:2:x", b"tether-plan:1:"] {
            assert_eq!(PlanMark::decode(foreign), PlanMark::default(), "{foreign:?}");
        }
    }
}

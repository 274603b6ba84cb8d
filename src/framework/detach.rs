//! The detach guard every resource gets: a `detach_on_destroy` argument (default true), and the
//! destroy preview a plan shows for each destroy or replacement. Resources only describe their
//! detach call ([`DestroyPreview`]); the rules live here.

use super::diag::Diagnostic;
use super::resource::DestroyPreview;
use super::schema::{Attribute, Schema};
use super::value::{Type, Value};

pub const ATTRIBUTE: &str = "detach_on_destroy";

/// The schema with the guard argument added.
pub fn guarded(mut schema: Schema) -> Schema {
    schema.block.attributes.push(
        Attribute::optional(ATTRIBUTE, Type::Bool)
            .default(Value::Bool(true))
            .description("Whether destroying this resource calls the cloud's detach API. Set it to `false` to have destroy only remove the resource from Terraform state, leaving the binding in the cloud untouched; the plan says which will happen."),
    );
    schema
}

/// Whether destroying the object described by `state` calls the detach API.
pub fn enabled(state: &Value) -> bool {
    state.attr(ATTRIBUTE).and_then(Value::as_bool).unwrap_or(true)
}

/// A state from a resource, with the guard argument carried over from `from` (the plan, or the
/// previous state), or its default.
pub fn carry(mut state: Value, from: &Value) -> Value {
    if let Value::Object(fields) = &mut state {
        let value = from.attr(ATTRIBUTE).filter(|v| v.as_bool().is_some()).cloned().unwrap_or(Value::Bool(true));
        fields.insert(ATTRIBUTE.to_string(), value);
    }
    state
}

/// Arguments that only steer the provider (the guard and the `timeouts` block): changing them
/// needs no cloud call.
const PROVIDER_SETTINGS: [&str; 2] = [ATTRIBUTE, super::timeouts::BLOCK];

/// When an update changes nothing but provider settings, the new state: `prior` with the
/// planned settings. `None` when anything the cloud holds changes.
pub fn settings_only_update(prior: &Value, planned: &Value) -> Option<Value> {
    let (Value::Object(before), Value::Object(after)) = (prior, planned) else {
        return None;
    };
    let cloud_side = |fields: &std::collections::BTreeMap<String, Value>| {
        fields.iter().filter(|(name, _)| !PROVIDER_SETTINGS.contains(&name.as_str())).map(|(n, v)| (n.clone(), v.clone())).collect::<Vec<_>>()
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

/// The warning a plan shows for a destroy (or the destroy half of a replacement).
pub fn preview_warning(preview: &DestroyPreview, replacing: bool) -> Diagnostic {
    let lead = if replacing { "This replacement destroys the current object first. " } else { "" };
    Diagnostic::warning(
        format!("Destroy calls {}", preview.api),
        format!("{lead}{} {}: {}", preview.api, preview.parameters, preview.effect),
    )
}

/// The warning for a destroy that only forgets the object.
pub fn forget_warning(preview: &DestroyPreview) -> Diagnostic {
    Diagnostic::warning(
        "Destroy only forgets this object",
        format!(
            "detach_on_destroy is false, so destroy removes it from the Terraform state without calling {}; the binding stays in the cloud.",
            preview.api
        ),
    )
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
}

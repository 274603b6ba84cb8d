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

//! Reading typed arguments from configurations and states, and building objects: shared by
//! every resource and data source, each diagnostic naming the attribute and the expected form.

use std::collections::BTreeMap;

use super::diag::{AttributePath, Diagnostic};
use super::value::Value;

/// Reads a required positive integer argument (a UIN or an ID). `None` while it is unknown.
pub fn positive_integer(value: &Value, name: &str, example: &str) -> Result<Option<u64>, Diagnostic> {
    let Some(attr) = value.attr(name) else { return Ok(None) };
    if attr.is_unknown() || attr.is_null() {
        return Ok(None);
    }
    let invalid = |got: String| {
        Diagnostic::error(
            format!("Invalid {name}"),
            format!("{name} must be a positive whole number, such as {example}; got {got}."),
        )
        .at(AttributePath::root(name))
    };
    let number = attr.as_number().ok_or_else(|| invalid("a non-number".to_string()))?;
    match number.as_u64() {
        Some(n) if n > 0 => Ok(Some(n)),
        _ => Err(invalid(number.to_string())),
    }
}

/// Like [`positive_integer`] for an argument that must be known (at apply time it always is).
pub fn require_positive_integer(value: &Value, name: &str, example: &str) -> Result<u64, Diagnostic> {
    positive_integer(value, name, example)?.ok_or_else(|| {
        Diagnostic::error(format!("Missing {name}"), format!("{name} has no value.")).at(AttributePath::root(name))
    })
}

/// Builds an object state from (attribute, value) pairs.
pub fn object<I: IntoIterator<Item = (&'static str, Value)>>(fields: I) -> Value {
    Value::Object(fields.into_iter().map(|(k, v)| (k.to_string(), v)).collect::<BTreeMap<_, _>>())
}

/// A cloud identifier: letters, digits, `-` and `_` (no separators, spaces or path characters).
pub fn is_id(text: &str) -> bool {
    !text.is_empty() && text.len() <= 128 && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// A required string argument that must be known (at apply and read time it always is).
pub fn require_string<'a>(value: &'a Value, name: &str) -> Result<&'a str, Diagnostic> {
    value.attr(name).and_then(Value::as_str).ok_or_else(|| {
        Diagnostic::error(format!("Missing {name}"), format!("{name} has no value.")).at(AttributePath::root(name))
    })
}

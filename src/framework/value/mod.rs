//! cty values: the type and value model shared by every resource, and its two wire codecs.
//!
//! * [`Type`] mirrors cty's type system (primitives, collections, structural types and
//!   `dynamic`), with the JSON type syntax Terraform uses in schemas and dynamic wrappers.
//! * [`Value`] is a cty value, including unknowns ([`Value::Unknown`] with optional
//!   [`Refinements`]) and values held in `dynamic` slots ([`Value::Dynamic`]).
//! * [`decode_msgpack`] / [`encode_msgpack`] implement cty's msgpack encoding
//!   (`DynamicValue.msgpack`), which Terraform decodes strictly.
//! * [`decode_json`] / [`encode_json`] implement cty's JSON encoding, used for raw state.
//!
//! None of the decoders panic on malformed input: every failure is a [`ValueError`] naming
//! the path at which it happened, and nesting deeper than [`MAX_DEPTH`] is rejected.

mod json;
mod model;
mod msgpack;
mod number;
mod types;

pub use json::{decode_json, encode_json};
pub use model::{Refinements, Value};
pub use msgpack::{decode_msgpack, encode_msgpack};
pub use number::Number;
pub use types::Type;

/// Maximum nesting depth of values (and of types) accepted by the codecs and checks.
pub const MAX_DEPTH: usize = 128;

/// An error decoding, encoding or checking a value. `path` locates the offending value, in the
/// form `.attr[2]["key"]` (empty for the top-level value).
#[derive(Debug, thiserror::Error, Clone, PartialEq)]
#[error("{message}{}", path_suffix(.path))]
pub struct ValueError {
    pub message: String,
    pub path: String,
}

fn path_suffix(path: &str) -> String {
    if path.is_empty() { String::new() } else { format!(" at {path}") }
}

impl ValueError {
    /// An error at the given path.
    pub fn new(message: impl Into<String>, path: impl Into<String>) -> ValueError {
        ValueError { message: message.into(), path: path.into() }
    }

    /// An error concerning the top-level value.
    pub fn msg(message: impl Into<String>) -> ValueError {
        ValueError::new(message, String::new())
    }
}

/// A path being built while walking a value. Segments are appended before descending and the
/// path is truncated back afterwards, so the string is only copied when an error is reported.
#[derive(Default)]
pub(crate) struct Path(String);

impl Path {
    pub(crate) fn new() -> Path {
        Path(String::new())
    }

    pub(crate) fn push_attr(&mut self, name: &str) -> usize {
        let mark = self.0.len();
        self.0.push('.');
        self.0.push_str(name);
        mark
    }

    pub(crate) fn push_index(&mut self, index: usize) -> usize {
        use std::fmt::Write;
        let mark = self.0.len();
        let _ = write!(self.0, "[{index}]");
        mark
    }

    pub(crate) fn push_key(&mut self, key: &str) -> usize {
        let mark = self.0.len();
        self.0.push('[');
        self.0.push_str(&quote(key));
        self.0.push(']');
        mark
    }

    pub(crate) fn truncate(&mut self, mark: usize) {
        self.0.truncate(mark);
    }

    pub(crate) fn err(&self, message: impl Into<String>) -> ValueError {
        ValueError::new(message, self.0.clone())
    }
}

/// A string quoted as a JSON string literal (used in paths and messages).
pub(crate) fn quote(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| format!("{s:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_display_includes_path() {
        let e = ValueError::new("bad", ".a[2]");
        assert_eq!(e.to_string(), "bad at .a[2]");
        assert_eq!(ValueError::msg("bad").to_string(), "bad");
    }

    #[test]
    fn path_building() {
        let mut p = Path::new();
        let m0 = p.push_attr("assignment");
        let m1 = p.push_index(2);
        p.push_attr("account_id");
        assert_eq!(p.err("x").path, ".assignment[2].account_id");
        p.truncate(m1);
        p.push_key("k\"ey");
        assert_eq!(p.err("x").path, ".assignment[\"k\\\"ey\"]");
        p.truncate(m0);
        assert_eq!(p.err("x").path, "");
    }
}

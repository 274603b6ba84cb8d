//! Diagnostics: what Terraform shows the user, each optionally tied to an attribute path.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

/// One step into a value: an attribute, a map key or a list index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathStep {
    Attribute(String),
    Key(String),
    Index(i64),
}

/// A path into a resource's or provider's configuration, e.g. `tencentcloud[0].secret_id`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AttributePath(pub Vec<PathStep>);

impl AttributePath {
    pub fn root(name: &str) -> Self {
        AttributePath(vec![PathStep::Attribute(name.to_string())])
    }
    pub fn attribute(mut self, name: &str) -> Self {
        self.0.push(PathStep::Attribute(name.to_string()));
        self
    }
    pub fn index(mut self, index: i64) -> Self {
        self.0.push(PathStep::Index(index));
        self
    }
    pub fn key(mut self, key: &str) -> Self {
        self.0.push(PathStep::Key(key.to_string()));
        self
    }
}

impl fmt::Display for AttributePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, step) in self.0.iter().enumerate() {
            match step {
                PathStep::Attribute(name) if i == 0 => write!(f, "{name}")?,
                PathStep::Attribute(name) => write!(f, ".{name}")?,
                PathStep::Key(key) => write!(f, "[{key:?}]")?,
                PathStep::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub summary: String,
    pub detail: String,
    pub path: Option<AttributePath>,
}

impl Diagnostic {
    pub fn error(summary: impl Into<String>, detail: impl Into<String>) -> Self {
        Diagnostic { severity: Severity::Error, summary: summary.into(), detail: detail.into(), path: None }
    }
    pub fn warning(summary: impl Into<String>, detail: impl Into<String>) -> Self {
        Diagnostic { severity: Severity::Warning, summary: summary.into(), detail: detail.into(), path: None }
    }
    pub fn at(mut self, path: AttributePath) -> Self {
        self.path = Some(path);
        self
    }
}

/// An ordered collection of diagnostics; any error means the operation failed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.0.push(diagnostic);
    }
    pub fn error(&mut self, summary: impl Into<String>, detail: impl Into<String>) {
        self.push(Diagnostic::error(summary, detail));
    }
    pub fn warning(&mut self, summary: impl Into<String>, detail: impl Into<String>) {
        self.push(Diagnostic::warning(summary, detail));
    }
    pub fn attribute_error(&mut self, path: AttributePath, summary: impl Into<String>, detail: impl Into<String>) {
        self.push(Diagnostic::error(summary, detail).at(path));
    }
    /// Re-roots every path under `attribute`, for diagnostics about a nested block's contents
    /// (such as a `list` block's `config`) reported relative to that block.
    pub fn under(mut self, attribute: &str) -> Self {
        for diagnostic in &mut self.0 {
            if let Some(path) = diagnostic.path.take() {
                let mut steps = vec![PathStep::Attribute(attribute.to_string())];
                steps.extend(path.0);
                diagnostic.path = Some(AttributePath(steps));
            }
        }
        self
    }
    pub fn extend(&mut self, other: Diagnostics) {
        self.0.extend(other.0);
    }
    pub fn has_errors(&self) -> bool {
        self.0.iter().any(|d| d.severity == Severity::Error)
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter()
    }
}

impl From<Diagnostic> for Diagnostics {
    fn from(d: Diagnostic) -> Self {
        Diagnostics(vec![d])
    }
}

/// The error of an operation that has already pushed its diagnostics: the one error type of
/// resource and data source bodies, so they can use `?`. The `Diagnostics` out-parameter stays,
/// because it carries warnings, and because a create may return a state *and* errors (the object
/// was made, and Terraform marks it tainted).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reported;

/// What a resource or data source operation returns.
pub type Outcome<T> = Result<T, Reported>;

/// The one conversion at the boundary between the code that fails and the body that reports:
/// `let client = ctx.tencent().report(diags)?;`
pub trait Report<T> {
    /// Pushes the error's diagnostic, if any, and leaves [`Reported`] in its place.
    fn report(self, diags: &mut Diagnostics) -> Outcome<T>;
}

impl<T, E: Into<Diagnostic>> Report<T> for Result<T, E> {
    fn report(self, diags: &mut Diagnostics) -> Outcome<T> {
        self.map_err(|error| diags.push(error.into())).map_err(|()| Reported)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_render_like_terraform_addresses() {
        let path = AttributePath::root("tencentcloud").index(0).attribute("secret_id");
        assert_eq!(path.to_string(), "tencentcloud[0].secret_id");
        assert_eq!(AttributePath::root("tags").key("env").to_string(), "tags[\"env\"]");
    }

    #[test]
    fn report_pushes_the_error_and_keeps_the_value() {
        let mut diags = Diagnostics::new();
        assert_eq!(Ok::<_, Diagnostic>(3).report(&mut diags), Ok(3));
        assert!(diags.is_empty());
        let failed: Result<u8, _> = Err(Diagnostic::error("Bad", "why"));
        assert_eq!(failed.report(&mut diags), Err(Reported));
        assert_eq!(diags.0, [Diagnostic::error("Bad", "why")]);
    }
}

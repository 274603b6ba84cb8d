//! Terraform actions (Terraform 1.14+): one-off operations declared in `action` blocks, reviewed
//! with `terraform plan -invoke=action.<type>.<name>` and run with `terraform apply -invoke=...`
//! (or by an `action_trigger` in a resource's lifecycle). An action changes no Terraform state.
//!
//! For tether every action is a detach, so the rules of destroys carry over: the plan reads the
//! cloud and says exactly what the invocation will detach (a warning the reviewer sees, as a
//! destroy's preview), the invocation reports one progress line per call and wait, what is
//! already detached counts as done, and Ctrl-C or the action's `timeout` ends it promptly.

use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::mpsc::UnboundedSender;

use super::diag::{AttributePath, Diagnostic, Diagnostics, Outcome};
use super::operation::{Limit, Limits};
use super::resource::{Ctx, ProviderData};
use super::schema::{Attribute, Schema};
use super::timeouts::{self, format_duration};
use super::value::{Type, Value};

/// The argument every action has: how long an invocation may run.
pub const TIMEOUT: &str = "timeout";

/// The schema with the `timeout` argument added; `default` says what applies when it is left
/// out, as [`Action::default_timeout`] decides.
pub fn with_timeout(mut schema: Schema, default: &str) -> Schema {
    schema.block.attributes.push(Attribute::optional(TIMEOUT, Type::String).description(&format!(
        "How long the invocation may run, every call and wait included, as a duration such as `30s`, `10m` or `2h`, at most `{}` (30 days). Default: {default}. Ctrl-C stops it sooner.",
        format_duration(timeouts::MAX_DURATION),
    )));
    schema
}

/// What [`with_timeout`] says of the default [`Action::default_timeout`] gives.
pub const WRITE_TIMEOUT_DEFAULT: &str = "the provider's `write_timeout` (`20m` unless set)";

/// Checks the `timeout` argument of a configuration.
pub fn validate_timeout(config: &Value) -> Option<Diagnostic> {
    let text = config.attr(TIMEOUT).and_then(Value::as_str)?;
    timeouts::parse_duration(text).err().map(|why| {
        Diagnostic::error(
            "Invalid timeout",
            format!("{text:?} is not a usable duration: {why}. Expected a number with a unit, such as \"90s\", \"30m\" or \"1h30m\" (units ms, s, m, h), at most {} (30 days).", format_duration(timeouts::MAX_DURATION)),
        )
        .at(AttributePath::root(TIMEOUT))
    })
}

/// The limit of one invocation: the configured `timeout`, or the action's default.
pub fn limit(config: &Value, default: Duration) -> Limit {
    let set = config.attr(TIMEOUT).and_then(Value::as_str).and_then(|text| timeouts::parse_duration(text).ok());
    let setting = "`timeout` in the action's `config` block".to_string();
    match set {
        Some(timeout) => Limit { timeout, source: "the action's timeout".into(), setting },
        None => Limit { timeout: default, source: "the default of the action's timeout".into(), setting },
    }
}

/// Where an invocation sends its progress lines; Terraform prints each as
/// `Action <address>: <message>` while the action runs.
#[derive(Clone)]
pub struct Progress(UnboundedSender<String>);

impl Progress {
    pub fn new(sender: UnboundedSender<String>) -> Progress {
        Progress(sender)
    }

    /// Sends one line. Terraform having stopped reading loses nothing the action needs.
    pub fn send(&self, message: impl Into<String>) {
        let _ = self.0.send(message.into());
    }
}

/// An action type.
#[async_trait]
pub trait Action<D: ProviderData>: Send + Sync {
    fn type_name(&self) -> &'static str;

    /// The schema of its `config` block, `timeout` included (see [`with_timeout`]).
    fn schema(&self) -> Schema;

    /// The service its calls need; planning it fails at once when the configuration cannot
    /// reach it.
    fn service(&self) -> D::Service;

    /// The default of `timeout` (the schema says which, see [`with_timeout`]).
    fn default_timeout(&self, limits: Limits) -> Duration {
        limits.write
    }

    /// Static checks of a configuration, which may hold unknown values.
    fn validate(&self, _config: &Value, _diags: &mut Diagnostics) {}

    /// Reads the cloud and reports, as a warning, exactly what invoking it would detach (the
    /// objects, their count, the API and its blast radius), or that it would detach nothing.
    /// Changes nothing.
    async fn plan(&self, ctx: &Ctx<'_, D>, config: &Value, diags: &mut Diagnostics) -> Outcome<()>;

    /// Runs it, sending one progress line per call and per wait and a summary at the end.
    async fn invoke(
        &self,
        ctx: &Ctx<'_, D>,
        config: &Value,
        progress: &Progress,
        diags: &mut Diagnostics,
    ) -> Outcome<()>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework::args::object;

    #[test]
    fn the_timeout_argument_sets_the_limit_and_bad_ones_are_refused_with_their_path() {
        let config = object([(TIMEOUT, Value::from("90s"))]);
        assert_eq!(limit(&config, Duration::from_secs(600)).timeout, Duration::from_secs(90));
        assert_eq!(
            limit(&object([(TIMEOUT, Value::Null)]), Duration::from_secs(600)).timeout,
            Duration::from_secs(600)
        );
        assert!(validate_timeout(&config).is_none());
        let refused = validate_timeout(&object([(TIMEOUT, Value::from("soon"))])).unwrap();
        assert_eq!(refused.path.as_ref().map(ToString::to_string).as_deref(), Some("timeout"));
        assert!(refused.detail.contains("\"soon\" is not a usable duration"), "{}", refused.detail);
    }
}

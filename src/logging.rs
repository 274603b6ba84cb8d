//! Logs go to stderr as hclog JSON lines (`@level`, `@message`, `@timestamp`, then the event's
//! fields), the form go-plugin parses: Terraform re-levels each line and files it under the
//! provider in its own log, so `TF_LOG_PROVIDER=DEBUG` and `TF_LOG_PATH` work as with any
//! provider. The level follows Terraform's variables (TF_LOG_PROVIDER, then TF_LOG). Secrets are
//! never logged anywhere in the provider.

use std::fmt;

use serde_json::{Map, Value};
use time::format_description::FormatItem;
use time::macros::format_description;
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

/// go-plugin parses `@timestamp` with Go's layout `2006-01-02T15:04:05.000000Z07:00`: exactly six
/// fractional digits, or the whole line is not recognised as JSON.
const TIMESTAMP: &[FormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z");

pub fn init() {
    let level = std::env::var("TF_LOG_PROVIDER").or_else(|_| std::env::var("TF_LOG")).unwrap_or_default();
    let _ = tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::new(filter_for(&level)))
        .with_writer(std::io::stderr)
        .event_format(HclogJson)
        .try_init();
}

/// The tracing filter for a Terraform log level (`TRACE`, `DEBUG`, … or `JSON`, which Terraform
/// treats as TRACE); anything else logs warnings and errors only.
fn filter_for(level: &str) -> String {
    let directive = match level.trim().to_ascii_uppercase().as_str() {
        "TRACE" | "JSON" => "trace",
        "DEBUG" => "debug",
        "INFO" => "info",
        "WARN" => "warn",
        "ERROR" => "error",
        "OFF" => "off",
        _ => "warn",
    };
    format!("tether={directive},terraform_provider_tether={directive}")
}

/// One hclog JSON object per event.
struct HclogJson;

impl<S, N> FormatEvent<S, N> for HclogJson
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(&self, _ctx: &FmtContext<'_, S, N>, mut writer: Writer<'_>, event: &Event<'_>) -> fmt::Result {
        let line = hclog_line(
            event.metadata().level(),
            event.metadata().target(),
            time::OffsetDateTime::now_utc(),
            |visitor| event.record(visitor),
        );
        writeln!(writer, "{line}")
    }
}

fn hclog_line(level: &Level, target: &str, now: time::OffsetDateTime, record: impl FnOnce(&mut Fields)) -> String {
    let mut fields = Fields(Map::new());
    record(&mut fields);
    let mut line = Map::new();
    line.insert("@level".into(), Value::from(hclog_level(level)));
    line.insert("@message".into(), fields.0.remove("message").unwrap_or_else(|| Value::from("")));
    let timestamp = now.to_offset(time::UtcOffset::UTC).format(TIMESTAMP).unwrap_or_default();
    line.insert("@timestamp".into(), Value::from(timestamp));
    line.insert("@module".into(), Value::from(target.replace("::", ".")));
    for (key, value) in fields.0 {
        // hclog's own keys start with '@'; keep event fields from posing as them.
        let key = if key.starts_with('@') { format!("field{key}") } else { key };
        line.insert(key, value);
    }
    Value::Object(line).to_string()
}

fn hclog_level(level: &Level) -> &'static str {
    match *level {
        Level::TRACE => "trace",
        Level::DEBUG => "debug",
        Level::INFO => "info",
        Level::WARN => "warn",
        Level::ERROR => "error",
    }
}

/// An event's fields as JSON values: numbers and booleans stay typed, the rest become text.
struct Fields(Map<String, Value>);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0.insert(field.name().to_string(), Value::from(format!("{value:?}")));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_string(), Value::from(value));
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0.insert(field.name().to_string(), Value::from(value));
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(field.name().to_string(), Value::from(value));
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.0.insert(field.name().to_string(), Value::from(value));
    }
    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.0.insert(field.name().to_string(), Value::from(value.to_string()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_hclog_json_with_a_go_parsable_timestamp() {
        let now = time::macros::datetime!(2026-11-22 06:10:00.123 UTC);
        let line = hclog_line(&Level::DEBUG, "tether::clouds::http", now, |fields| {
            fields.0.insert("message".into(), Value::from("cloud API response"));
            fields.0.insert("status".into(), Value::from(200));
            fields.0.insert("@level".into(), Value::from("spoof"));
        });
        let parsed: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(parsed["@level"], "debug");
        assert_eq!(parsed["@message"], "cloud API response");
        assert_eq!(parsed["@timestamp"], "2026-11-22T06:10:00.123000Z");
        assert_eq!(parsed["@module"], "tether.clouds.http");
        assert_eq!(parsed["status"], 200);
        assert_eq!(parsed["field@level"], "spoof");
        assert!(!line.contains('\n'));
    }

    #[test]
    fn terraform_levels_map_to_filters() {
        assert_eq!(filter_for("debug"), "tether=debug,terraform_provider_tether=debug");
        assert_eq!(filter_for("JSON"), "tether=trace,terraform_provider_tether=trace");
        assert_eq!(filter_for(""), "tether=warn,terraform_provider_tether=warn");
    }
}

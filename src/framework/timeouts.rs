//! The conventional `timeouts { create, update, delete }` block: Go-style duration strings
//! ("30s", "10m", "1h30m"), validated with the attribute path, with per-resource defaults.
//! [`parse_duration`] is the one parser for every duration attribute of the provider.

use std::time::Duration;

use tokio::time::Instant;

use super::diag::{AttributePath, Diagnostic};
use super::schema::{Attribute, Block, NestedBlock};
use super::value::{Type, Value};

pub const BLOCK: &str = "timeouts";

/// The longest duration any attribute accepts: 30 days. No wait on these APIs is meant to take
/// longer, so a larger value is a typo; and keeping every duration this small means adding one
/// to the clock can never overflow (an overflow would panic and take down every operation in
/// flight).
pub const MAX_DURATION: Duration = Duration::from_secs(30 * 24 * 3600);

/// The operations a resource waits on, each with its default.
#[derive(Debug, Clone, Copy)]
pub struct Defaults {
    pub create: Duration,
    pub update: Option<Duration>,
    pub delete: Duration,
}

/// The schema block, naming the defaults in each description.
pub fn block(defaults: Defaults) -> NestedBlock {
    let attribute = |name: &str, default: Duration| {
        Attribute::optional(name, Type::String).description(&format!(
            "How long to wait for {name} to finish, as a duration such as `30s`, `10m` or `2h`, at most `{}` (30 days). Default `{}`.",
            format_duration(MAX_DURATION),
            format_duration(default)
        ))
    };
    let mut block = Block::new("Time limits for the operations that wait on the cloud.")
        .attribute(attribute("create", defaults.create));
    if let Some(update) = defaults.update {
        block = block.attribute(attribute("update", update));
    }
    block = block.attribute(attribute("delete", defaults.delete));
    NestedBlock::single(BLOCK, block)
}

/// The timeout for `operation` from a resource's config or state, else the default.
pub fn get(value: &Value, operation: &str, default: Duration) -> Duration {
    value
        .attr(BLOCK)
        .and_then(|block| block.attr(operation))
        .and_then(Value::as_str)
        .and_then(|text| parse_duration(text).ok())
        .unwrap_or(default)
}

/// Checks every set timeout in a configuration.
pub fn validate(config: &Value) -> Vec<Diagnostic> {
    let Some(block) = config.attr(BLOCK).filter(|b| !b.is_null() && b.is_known()) else {
        return Vec::new();
    };
    let Value::Object(fields) = block else { return Vec::new() };
    fields
        .iter()
        .filter_map(|(name, value)| {
            let text = value.as_str()?;
            parse_duration(text).err().map(|why| {
                Diagnostic::error(
                    format!("Invalid timeouts.{name}"),
                    format!("{text:?} is not a usable duration: {why}. Expected a number with a unit, such as \"90s\", \"30m\" or \"1h30m\" (units ms, s, m, h), at most {} (30 days).", format_duration(MAX_DURATION)),
                )
                .at(AttributePath::root(BLOCK).attribute(name))
            })
        })
        .collect()
}

/// The moment `timeout` from now (on Tokio's clock, which the waits sleep on); a timeout too
/// large for the clock (which a validated one never is) gives the latest moment
/// [`MAX_DURATION`] allows instead of overflowing.
pub fn deadline_after(timeout: Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(timeout.min(MAX_DURATION)).unwrap_or(now)
}

/// Parses Go's duration syntax for the units that make sense here: a sequence of
/// `<number><unit>` with units ms, s, m, h; the total must be positive and at most
/// [`MAX_DURATION`].
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("it is empty".into());
    }
    let mut total = Duration::ZERO;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
        if digits == 0 {
            return Err(format!("expected a number at {rest:?}"));
        }
        let number: f64 = rest[..digits].parse().map_err(|_| format!("{:?} is not a number", &rest[..digits]))?;
        rest = &rest[digits..];
        let unit_len = rest.find(|c: char| c.is_ascii_digit() || c == '.').unwrap_or(rest.len());
        let seconds = match &rest[..unit_len] {
            "ms" => 0.001,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            "" => return Err("a unit is missing".into()),
            unit => return Err(format!("unknown unit {unit:?}")),
        };
        rest = &rest[unit_len..];
        // Checked: the sum of parts that each fit a Duration may not fit one.
        total = Duration::try_from_secs_f64(number * seconds)
            .ok()
            .and_then(|part| total.checked_add(part))
            .filter(|total| *total <= MAX_DURATION)
            .ok_or_else(too_long)?;
    }
    if total.is_zero() {
        return Err("it must be longer than zero".into());
    }
    Ok(total)
}

fn too_long() -> String {
    format!("it is longer than {}, the limit", format_duration(MAX_DURATION))
}

pub fn format_duration(duration: Duration) -> String {
    let secs = duration.as_secs();
    match secs {
        s if s % 3600 == 0 && s > 0 => format!("{}h", s / 3600),
        s if s % 60 == 0 && s > 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_go_style_durations() {
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        for bad in ["", "10", "m", "5 minutes", "0s", "-1s", "1d"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
        assert_eq!(format_duration(Duration::from_secs(6 * 3600)), "6h");
        assert_eq!(format_duration(Duration::from_secs(300)), "5m");
    }

    #[test]
    fn durations_are_capped_and_never_overflow() {
        assert_eq!(parse_duration("720h"), Ok(MAX_DURATION));
        assert_eq!(parse_duration("719h60m"), Ok(MAX_DURATION));
        let limit = Err("it is longer than 720h, the limit".to_string());
        // Each part fits a Duration, their sum does not: this used to panic.
        assert_eq!(parse_duration("10000000000000000000s10000000000000000000s"), limit);
        for text in ["720h1ms", "9300000000000000000s", "99999999999999999999h", "720h720h720h"] {
            assert_eq!(parse_duration(text), limit, "{text}");
        }
        let far = deadline_after(Duration::MAX);
        assert!(far <= Instant::now() + MAX_DURATION);
    }

    #[test]
    fn validation_names_the_attribute_and_the_limit() {
        let config = Value::Object(
            [(BLOCK.to_string(), Value::Object([("create".to_string(), Value::from("9300000000000000000s"))].into()))]
                .into(),
        );
        let diags = validate(&config);
        assert_eq!(diags.len(), 1);
        assert_eq!(diags[0].summary, "Invalid timeouts.create");
        assert!(diags[0].detail.contains("it is longer than 720h, the limit"), "{}", diags[0].detail);
        assert!(diags[0].detail.contains("at most 720h (30 days)"), "{}", diags[0].detail);
        assert_eq!(diags[0].path, Some(AttributePath::root(BLOCK).attribute("create")));
    }
}

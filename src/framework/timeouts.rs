//! The conventional `timeouts { create, update, delete }` block: Go-style duration strings
//! ("30s", "10m", "1h30m"), validated with the attribute path, with per-resource defaults.

use std::time::Duration;

use super::diag::{AttributePath, Diagnostic};
use super::schema::{Attribute, Block, NestedBlock};
use super::value::{Type, Value};

pub const BLOCK: &str = "timeouts";

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
            "How long to wait for {name} to finish, as a duration such as `30s`, `10m` or `2h`. Default `{}`.",
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
                    format!("{text:?} is not a duration: {why}. Expected a number with a unit, such as \"90s\", \"30m\" or \"1h30m\" (units ms, s, m, h)."),
                )
                .at(AttributePath::root(BLOCK).attribute(name))
            })
        })
        .collect()
}

/// Parses Go's duration syntax for the units that make sense here: a sequence of
/// `<number><unit>` with units ms, s, m, h; the total must be positive.
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
        total += Duration::try_from_secs_f64(number * seconds).map_err(|_| "it is too large".to_string())?;
    }
    if total.is_zero() {
        return Err("it must be longer than zero".into());
    }
    Ok(total)
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
}

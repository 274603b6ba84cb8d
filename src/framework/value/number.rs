//! cty numbers. cty numbers are arbitrary-precision decimals; this model keeps the common cases
//! cheap (`i64`, `f64`) and carries anything else as an exact decimal string.

use std::fmt;

/// A cty number.
///
/// * `Int` — an exact 64-bit integer.
/// * `Float` — exactly the binary value of the `f64` (including ±infinity; NaN is not a cty
///   number and is rejected by the encoders).
/// * `Decimal` — an exact decimal string for values that are neither (integers outside `i64`,
///   decimals such as `0.1` that no `f64` represents exactly, huge exponents). The string uses
///   the syntax of Go's `big.Float` parser: `[+-]digits[.digits][e[+-]digits]` or `[+-]Inf`.
///
/// Equality is numeric and exact: `Int(3) == Float(3.0) == Decimal("3.0")`, while
/// `Float(0.1) != Decimal("0.1")` because the `f64` closest to 0.1 is not 0.1 (the same
/// distinction Terraform makes when comparing numbers).
#[derive(Clone, Debug)]
pub enum Number {
    Int(i64),
    Float(f64),
    Decimal(String),
}

impl Number {
    /// Parses a decimal number string (`"12"`, `"-1.5e3"`, `".5"`, `"Inf"`), normalising to the
    /// cheapest exact representation: `Int` for integers that fit `i64`, `Float` for values an
    /// `f64` represents exactly, otherwise `Decimal` holding the string as given.
    /// Returns `None` when the string is not a number.
    pub fn parse(s: &str) -> Option<Number> {
        let canon = Canon::parse(s)?;
        Some(match canon {
            Canon::Inf(neg) => Number::Float(if neg { f64::NEG_INFINITY } else { f64::INFINITY }),
            Canon::Finite { .. } if canon.is_integer() => match canon.to_i64() {
                Some(i) => Number::Int(i),
                None => Number::Decimal(s.to_string()),
            },
            Canon::Finite { .. } => match s.parse::<f64>() {
                Ok(f) if f.is_finite() && Canon::from_f64(f).as_ref() == Some(&canon) => Number::Float(f),
                _ => Number::Decimal(s.to_string()),
            },
        })
    }

    /// The value as an `i64`, if it is an integer in range.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Number::Int(i) => Some(*i),
            Number::Float(f) => float_to_i64(*f),
            Number::Decimal(s) => Canon::parse(s)?.to_i64(),
        }
    }

    /// The value as a `u64`, if it is a non-negative integer in range.
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Number::Int(i) => u64::try_from(*i).ok(),
            Number::Float(f) => {
                if f.is_finite() && f.fract() == 0.0 && *f >= 0.0 && *f < 18_446_744_073_709_551_616.0 {
                    Some(*f as u64)
                } else {
                    None
                }
            }
            Number::Decimal(s) => Canon::parse(s)?.to_u64(),
        }
    }

    /// The value as the nearest `f64` (NaN for an unparsable `Decimal`).
    pub fn as_f64(&self) -> f64 {
        match self {
            Number::Int(i) => *i as f64,
            Number::Float(f) => *f,
            Number::Decimal(s) => match Canon::parse(s) {
                Some(Canon::Inf(neg)) => {
                    if neg {
                        f64::NEG_INFINITY
                    } else {
                        f64::INFINITY
                    }
                }
                Some(_) => s.parse::<f64>().unwrap_or(f64::NAN),
                None => f64::NAN,
            },
        }
    }

    /// Whether the value is a (finite) integer.
    pub fn is_integer(&self) -> bool {
        match self {
            Number::Int(_) => true,
            Number::Float(f) => f.is_finite() && f.fract() == 0.0,
            Number::Decimal(s) => Canon::parse(s).is_some_and(|c| c.is_integer()),
        }
    }

    /// The exact canonical form, or `None` for NaN and malformed decimal strings.
    pub(crate) fn canonical(&self) -> Option<Canon> {
        match self {
            Number::Int(i) => Canon::parse(&i.to_string()),
            Number::Float(f) => Canon::from_f64(*f),
            Number::Decimal(s) => Canon::parse(s),
        }
    }
}

/// `Some(i)` when `f` is an integer representable as `i64`.
pub(crate) fn float_to_i64(f: f64) -> Option<i64> {
    // 2^63 is exactly representable; every integral f64 below it (and >= -2^63) fits.
    if f.is_finite() && f.fract() == 0.0 && (-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&f) {
        Some(f as i64)
    } else {
        None
    }
}

impl PartialEq for Number {
    fn eq(&self, other: &Number) -> bool {
        match (self, other) {
            (Number::Int(a), Number::Int(b)) => a == b,
            (Number::Float(a), Number::Float(b)) => a == b,
            (Number::Int(a), Number::Float(b)) | (Number::Float(b), Number::Int(a)) => float_to_i64(*b) == Some(*a),
            _ => match (self.canonical(), other.canonical()) {
                (Some(a), Some(b)) => a == b,
                _ => match (self, other) {
                    (Number::Decimal(a), Number::Decimal(b)) => a.trim() == b.trim(),
                    _ => false,
                },
            },
        }
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Number::Int(i) => write!(f, "{i}"),
            Number::Float(x) => write!(f, "{x}"),
            Number::Decimal(s) => f.write_str(s),
        }
    }
}

impl From<i64> for Number {
    fn from(v: i64) -> Number {
        Number::Int(v)
    }
}

impl From<i32> for Number {
    fn from(v: i32) -> Number {
        Number::Int(v.into())
    }
}

impl From<u64> for Number {
    fn from(v: u64) -> Number {
        match i64::try_from(v) {
            Ok(i) => Number::Int(i),
            Err(_) => Number::Decimal(v.to_string()),
        }
    }
}

impl From<f64> for Number {
    fn from(v: f64) -> Number {
        Number::Float(v)
    }
}

/// Exact canonical form of a number: `0.d1d2d3… × 10^exp` with no leading or trailing zero
/// digits (zero has no digits, exponent 0 and is never negative).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Canon {
    Finite { neg: bool, digits: Vec<u8>, exp: i64 },
    Inf(bool),
}

/// Exponents beyond this magnitude are rejected as unreasonable.
const MAX_EXPONENT: i64 = 1_000_000_000;

impl Canon {
    /// Parses `[+-]digits[.digits][(e|E)[+-]digits]` (at least one mantissa digit), or
    /// `[+-]inf`/`[+-]infinity` in any case.
    pub(crate) fn parse(s: &str) -> Option<Canon> {
        let b = s.as_bytes();
        let (neg, rest) = match b.first() {
            Some(b'-') => (true, &b[1..]),
            Some(b'+') => (false, &b[1..]),
            _ => (false, b),
        };
        if rest.eq_ignore_ascii_case(b"inf") || rest.eq_ignore_ascii_case(b"infinity") {
            return Some(Canon::Inf(neg));
        }
        let mut mantissa: Vec<u8> = Vec::new();
        let mut int_len: i64 = 0;
        let mut seen_point = false;
        let mut i = 0;
        while let Some(&c) = rest.get(i) {
            match c {
                b'0'..=b'9' => {
                    mantissa.push(c - b'0');
                    if !seen_point {
                        int_len += 1;
                    }
                }
                b'.' if !seen_point => seen_point = true,
                _ => break,
            }
            i += 1;
        }
        if mantissa.is_empty() {
            return None;
        }
        let mut exp10: i64 = 0;
        if let Some(&c) = rest.get(i) {
            if c != b'e' && c != b'E' {
                return None;
            }
            i += 1;
            let exp_neg = match rest.get(i) {
                Some(b'-') => {
                    i += 1;
                    true
                }
                Some(b'+') => {
                    i += 1;
                    false
                }
                _ => false,
            };
            let start = i;
            while let Some(&c) = rest.get(i) {
                if !c.is_ascii_digit() {
                    return None;
                }
                exp10 = exp10.checked_mul(10)?.checked_add(i64::from(c - b'0'))?;
                if exp10 > MAX_EXPONENT {
                    return None;
                }
                i += 1;
            }
            if i == start {
                return None;
            }
            if exp_neg {
                exp10 = -exp10;
            }
        }
        let leading = mantissa.iter().take_while(|&&d| d == 0).count();
        let trailing = mantissa[leading..].iter().rev().take_while(|&&d| d == 0).count();
        let digits = mantissa[leading..mantissa.len() - trailing].to_vec();
        if digits.is_empty() {
            return Some(Canon::Finite { neg: false, digits, exp: 0 });
        }
        let exp = int_len.checked_sub(i64::try_from(leading).ok()?)?.checked_add(exp10)?;
        Some(Canon::Finite { neg, digits, exp })
    }

    /// The exact value of a finite or infinite `f64` (`None` for NaN).
    pub(crate) fn from_f64(f: f64) -> Option<Canon> {
        if f.is_nan() {
            None
        } else if f.is_infinite() {
            Some(Canon::Inf(f < 0.0))
        } else {
            // An f64 has at most 767 significant decimal digits, so this is exact.
            Canon::parse(&format!("{f:.780e}"))
        }
    }

    pub(crate) fn is_integer(&self) -> bool {
        match self {
            Canon::Inf(_) => false,
            Canon::Finite { digits, exp, .. } => {
                digits.is_empty() || i64::try_from(digits.len()).is_ok_and(|n| n <= *exp)
            }
        }
    }

    /// Absolute integer value (if it is an integer below 2^127) and sign.
    fn to_i128(&self) -> Option<(bool, i128)> {
        let Canon::Finite { neg, digits, exp } = self else {
            return None;
        };
        if digits.is_empty() {
            return Some((false, 0));
        }
        if !self.is_integer() || *exp > 38 {
            return None;
        }
        let mut v: i128 = 0;
        for &d in digits {
            v = v.checked_mul(10)?.checked_add(i128::from(d))?;
        }
        for _ in digits.len()..usize::try_from(*exp).ok()? {
            v = v.checked_mul(10)?;
        }
        Some((*neg, v))
    }

    pub(crate) fn to_i64(&self) -> Option<i64> {
        let (neg, v) = self.to_i128()?;
        i64::try_from(if neg { -v } else { v }).ok()
    }

    pub(crate) fn to_u64(&self) -> Option<u64> {
        let (neg, v) = self.to_i128()?;
        if neg { None } else { u64::try_from(v).ok() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(s: &str) -> Number {
        Number::Decimal(s.to_string())
    }

    #[test]
    fn numeric_equality() {
        assert_eq!(Number::Int(3), Number::Float(3.0));
        assert_eq!(Number::Float(3.0), dec("3"));
        assert_eq!(Number::Int(3), dec("3.000"));
        assert_eq!(Number::Int(3), dec("0.3e1"));
        assert_eq!(Number::Int(-3), dec("-3"));
        assert_eq!(Number::Int(0), dec("-0.0"));
        assert_eq!(Number::Float(-0.0), Number::Int(0));
        assert_ne!(Number::Int(3), Number::Float(3.5));
        assert_ne!(Number::Int(3), dec("3.0000001"));
        assert_eq!(Number::Float(1.5), dec("1.5"));
        assert_eq!(Number::Float(1e20), dec("100000000000000000000"));
        // 0.1 is not exactly representable in binary.
        assert_ne!(Number::Float(0.1), dec("0.1"));
        assert_eq!(Number::Float(0.1), dec("0.1000000000000000055511151231257827021181583404541015625"));
        assert_eq!(dec("1e400"), dec("10e399"));
        assert_ne!(dec("123456789012345678901234567890"), dec("123456789012345678901234567891"));
        assert_eq!(Number::Float(f64::INFINITY), dec("+Inf"));
        assert_ne!(Number::Float(f64::NAN), Number::Float(f64::NAN));
        assert_ne!(Number::Int(1), dec("garbage"));
        assert_eq!(Number::from(u64::MAX), dec("18446744073709551615"));
        assert_eq!(Number::Int(i64::MIN), dec("-9223372036854775808"));
    }

    #[test]
    fn parse_normalises() {
        assert_eq!(Number::parse("42"), Some(Number::Int(42)));
        assert!(matches!(Number::parse("42.0"), Some(Number::Int(42))));
        assert!(matches!(Number::parse("-1e3"), Some(Number::Int(-1000))));
        assert!(matches!(Number::parse("1.5"), Some(Number::Float(f)) if f == 1.5));
        assert!(matches!(Number::parse(".5"), Some(Number::Float(f)) if f == 0.5));
        assert!(matches!(Number::parse("5."), Some(Number::Int(5))));
        assert!(matches!(Number::parse("0.1"), Some(Number::Decimal(s)) if s == "0.1"));
        assert!(matches!(Number::parse("9223372036854775808"), Some(Number::Decimal(_))));
        assert!(matches!(Number::parse("-Inf"), Some(Number::Float(f)) if f == f64::NEG_INFINITY));
        assert!(
            matches!(Number::parse("123456789012345678901234567890"), Some(Number::Decimal(s)) if s == "123456789012345678901234567890")
        );
        for bad in ["", "-", "+", ".", "e5", "1e", "1e+", "1.2.3", "0x10", "1_000", " 1", "1 ", "NaN", "1e99999999999"]
        {
            assert_eq!(Number::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn conversions() {
        assert_eq!(Number::Float(3.0).as_i64(), Some(3));
        assert_eq!(Number::Float(3.5).as_i64(), None);
        assert_eq!(Number::Float(9.3e18).as_i64(), None);
        assert_eq!(dec("1e3").as_i64(), Some(1000));
        assert_eq!(dec("1e30").as_i64(), None);
        assert_eq!(dec("18446744073709551615").as_u64(), Some(u64::MAX));
        assert_eq!(dec("18446744073709551616").as_u64(), None);
        assert_eq!(Number::Int(-1).as_u64(), None);
        assert_eq!(Number::Float(1e19).as_u64(), Some(10_000_000_000_000_000_000));
        assert_eq!(dec("0.25").as_f64(), 0.25);
        assert_eq!(dec("-inf").as_f64(), f64::NEG_INFINITY);
        assert!(dec("x").as_f64().is_nan());
        assert!(dec("2.0").is_integer());
        assert!(!dec("2.5").is_integer());
        assert_eq!(Number::from(-7i32), Number::Int(-7));
        assert_eq!(Number::Decimal("1e400".into()).to_string(), "1e400");
    }
}

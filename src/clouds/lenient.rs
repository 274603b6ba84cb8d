//! Lenient field decoders for Huawei Cloud and ZStack responses: `null` for anything, numbers
//! where strings are documented and the other way round.

use serde::{Deserialize, Deserializer};

#[derive(Deserialize)]
#[serde(untagged)]
enum Scalar {
    B(bool),
    U(u64),
    I(i64),
    F(f64),
    S(String),
}

fn text(s: Scalar) -> String {
    match s {
        Scalar::B(b) => b.to_string(),
        Scalar::U(n) => n.to_string(),
        Scalar::I(n) => n.to_string(),
        Scalar::F(f) => f.to_string(),
        Scalar::S(s) => s,
    }
}

pub fn string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(Option::<Scalar>::deserialize(d)?.map(text).unwrap_or_default())
}

pub fn opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(Option::<Scalar>::deserialize(d)?.map(text))
}

pub fn opt_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    use serde::de::Error;
    match Option::<Scalar>::deserialize(d)? {
        None => Ok(None),
        Some(Scalar::U(n)) => {
            i64::try_from(n).map(Some).map_err(|_| D::Error::custom(format!("integer {n} out of range")))
        }
        Some(Scalar::I(n)) => Ok(Some(n)),
        // Integral floats only (some gateways render integers as 40.0).
        Some(Scalar::F(f)) if f.fract() == 0.0 && f.abs() < 9.0e15 => Ok(Some(f as i64)),
        Some(Scalar::S(s)) if s.trim().is_empty() => Ok(None),
        Some(Scalar::S(s)) => {
            s.trim().parse().map(Some).map_err(|_| D::Error::custom(format!("expected an integer, got {s:?}")))
        }
        Some(other) => Err(D::Error::custom(format!("expected an integer, got {}", text(other)))),
    }
}

pub fn opt_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    use serde::de::Error;
    match Option::<Scalar>::deserialize(d)? {
        None => Ok(None),
        Some(Scalar::B(b)) => Ok(Some(b)),
        Some(Scalar::S(s)) if s.eq_ignore_ascii_case("true") => Ok(Some(true)),
        Some(Scalar::S(s)) if s.eq_ignore_ascii_case("false") => Ok(Some(false)),
        Some(Scalar::S(s)) if s.trim().is_empty() => Ok(None),
        Some(other) => Err(D::Error::custom(format!("expected a boolean, got {}", text(other)))),
    }
}

pub fn vec<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Vec<T>, D::Error> {
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use crate::clouds::lenient;

    #[test]
    fn lenient_fields() {
        #[derive(Deserialize, Debug)]
        struct T {
            #[serde(default, deserialize_with = "lenient::string")]
            s: String,
            #[serde(default, deserialize_with = "lenient::opt_i64")]
            n: Option<i64>,
            #[serde(default, deserialize_with = "lenient::opt_bool")]
            b: Option<bool>,
            #[serde(default, deserialize_with = "lenient::vec")]
            v: Vec<u8>,
        }
        let t: T = serde_json::from_str(r#"{"s":12,"n":"40","b":"true","v":null}"#).unwrap();
        assert_eq!((t.s.as_str(), t.n, t.b, t.v.len()), ("12", Some(40), Some(true), 0));
        let t: T = serde_json::from_str(r#"{"s":null,"n":40.0,"b":null}"#).unwrap();
        assert_eq!((t.s.as_str(), t.n, t.b), ("", Some(40), None));
        let t: T = serde_json::from_str(r#"{}"#).unwrap();
        assert_eq!((t.n, t.b), (None, None));
        assert!(serde_json::from_str::<T>(r#"{"n":"abc"}"#).is_err());
        assert!(serde_json::from_str::<T>(r#"{"n":1.5}"#).is_err());
        assert!(serde_json::from_str::<T>(r#"{"b":"yes"}"#).is_err());
    }
}

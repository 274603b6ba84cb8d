//! ZStack REST authentication: `Authorization: OAuth <session uuid>` (or the Go SDK's
//! `X-Session-Id`), or an AccessKey, `Authorization: ZStack <AccessKeyId>:<signature>` with a
//! `Date` header, where signature = Base64(HMAC-SHA1(secret, METHOD + "\n" + Date + "\n" + URI))
//! and URI is the decoded request path after the `/zstack` context path, without the query.
//!
//! Checks and texts follow the management node's `RestServer` and `AccessKeyManager`; a session is
//! only looked up here (whether it is valid is decided by the caller, as ZStack decides it in the
//! API processor, not in the REST layer).

use axum::http::HeaderMap;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use time::{Date, Month, PrimitiveDateTime, Time, Weekday};

use super::error::ZsError;
use super::model::ZStackAccessKey;

/// An AccessKey request must be dated within this many minutes of the emulator's clock, either
/// way (`RestConstants.REQUEST_DURATION_MINUTES`).
pub const DATE_SKEW_MINUTES: i64 = 15;

/// What the `Authorization` (or `X-Session-Id`) header says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthHeader {
    /// `OAuth <uuid>`: a session, still to be looked up.
    Session(String),
    /// A verified AccessKey: the key's id and account.
    AccessKey { access_key_id: String, account_uuid: String },
}

/// The request parts an AccessKey signature covers.
pub struct SignedRequest<'a> {
    pub method: &'a str,
    /// The decoded path after `/zstack` (e.g. `/v1/iam2/projects/<uuid>/iam2/organizations`).
    pub uri: &'a str,
    pub headers: &'a HeaderMap,
}

/// Parses the credentials of a request and verifies an AccessKey signature; `lookup` finds an
/// AccessKey by id, `now` is Unix seconds.
pub fn authenticate(
    request: &SignedRequest<'_>,
    lookup: impl FnOnce(&str) -> Option<ZStackAccessKey>,
    now: i64,
) -> Result<AuthHeader, ZsError> {
    let authorization = match header(request.headers, "authorization") {
        Some(value) => value,
        None => {
            return match header(request.headers, "x-session-id") {
                Some(session) => Ok(AuthHeader::Session(session.trim().to_owned())),
                None => Err(ZsError::bad_request("missing header 'Authorization'")),
            };
        }
    };
    let authorization = authorization.trim();
    if let Some(session) = authorization.strip_prefix("OAuth") {
        return Ok(AuthHeader::Session(session.trim().to_owned()));
    }
    let Some(key) = authorization.strip_prefix("ZStack") else {
        return Err(ZsError::bad_request("Authorization type must be 'OAuth'"));
    };

    let date = header(request.headers, "date")
        .ok_or_else(|| ZsError::bad_request("'Date' must be incuded in request header"))?;
    let instants = parse_date(&date)
        .ok_or_else(|| ZsError::bad_request("'Date' format error, correct format is 'EEE, dd MMM yyyy HH:mm:ss z'"))?;
    let skew = DATE_SKEW_MINUTES * 60;
    if !instants.iter().any(|t| (t - now).abs() <= skew) {
        return Err(ZsError::forbidden("requestTimeTooSkewed"));
    }

    let (access_key_id, signature) = match key.trim().split_once(':') {
        Some((id, signature)) if !signature.is_empty() && !signature.contains(':') => (id, signature),
        _ => return Err(ZsError::bad_request("Invalid authKey format")),
    };
    let key = match lookup(access_key_id) {
        Some(key) if key.is_enabled() => key,
        _ => {
            return Err(ZsError::forbidden(format!("access key id: {access_key_id} does not existed or disabled")));
        }
    };
    let expected = signature_of(&key.access_key_secret, request.method, &date, request.uri);
    if !constant_time_eq(expected.as_bytes(), signature.as_bytes()) {
        return Err(ZsError::forbidden("wrong accessKey signature"));
    }
    Ok(AuthHeader::AccessKey { access_key_id: key.access_key_id, account_uuid: key.account_uuid })
}

/// Base64(HMAC-SHA1(secret, METHOD + "\n" + Date + "\n" + URI)).
pub fn signature_of(secret: &str, method: &str, date: &str, uri: &str) -> String {
    let mut mac = Hmac::<Sha1>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(format!("{method}\n{date}\n{uri}").as_bytes());
    BASE64.encode(mac.finalize().into_bytes())
}

/// The instants (Unix seconds) a `Date` header in the `Mon, 02 Jan 2006 15:04:05 MST` form may
/// mean: one for an unambiguous zone, two for `CST` (China, UTC+8, or US Central, UTC−6); `None`
/// when it is malformed, names an unknown zone, or its weekday does not match the date.
pub fn parse_date(text: &str) -> Option<Vec<i64>> {
    let (weekday, rest) = text.trim().split_once(", ")?;
    let parts: Vec<&str> = rest.split(' ').collect();
    let [day, month, year, clock, zone] = parts.as_slice() else {
        return None;
    };
    if day.len() != 2 || year.len() != 4 || clock.len() != 8 {
        return None;
    }
    let day: u8 = day.parse().ok()?;
    let year: i32 = year.parse().ok()?;
    let month = MONTHS.iter().find(|(name, _)| name.eq_ignore_ascii_case(month))?.1;
    let date = Date::from_calendar_date(year, month, day).ok()?;
    let (weekday_name, _) = WEEKDAYS.iter().find(|(_, w)| *w == date.weekday()).expect("every weekday is listed");
    if !weekday_name.eq_ignore_ascii_case(weekday) {
        return None;
    }
    let mut fields = clock.split(':');
    let mut next = || -> Option<u8> {
        let field = fields.next()?;
        if field.len() != 2 {
            return None;
        }
        field.parse().ok()
    };
    let time = Time::from_hms(next()?, next()?, next()?).ok()?;
    let local = PrimitiveDateTime::new(date, time).assume_utc().unix_timestamp();
    Some(zone_offsets(zone)?.into_iter().map(|offset| local - offset).collect())
}

/// UTC offsets (seconds) a zone name may mean.
fn zone_offsets(zone: &str) -> Option<Vec<i64>> {
    const HOUR: i64 = 3600;
    let upper = zone.to_ascii_uppercase();
    let hours: &[i64] = match upper.as_str() {
        "GMT" | "UTC" | "UT" | "Z" => &[0],
        "CST" => &[8, -6],
        "HKT" | "SGT" | "AWST" => &[8],
        "JST" | "KST" => &[9],
        "CET" | "BST" => &[1],
        "CEST" | "EET" => &[2],
        "EST" => &[-5],
        "EDT" => &[-4],
        "CDT" => &[-5],
        "MST" => &[-7],
        "MDT" => &[-6],
        "PST" => &[-8],
        "PDT" => &[-7],
        _ => {
            // ±hhmm, as Java's `z` also accepts zone offsets.
            let (sign, digits) = match upper.as_bytes().first()? {
                b'+' => (1, &upper[1..]),
                b'-' => (-1, &upper[1..]),
                _ => return None,
            };
            let digits = digits.strip_prefix("GMT").unwrap_or(digits);
            let digits: String = digits.chars().filter(|c| *c != ':').collect();
            if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let h: i64 = digits[..2].parse().ok()?;
            let m: i64 = digits[2..].parse().ok()?;
            return Some(vec![sign * (h * HOUR + m * 60)]);
        }
    };
    Some(hours.iter().map(|h| h * HOUR).collect())
}

const MONTHS: [(&str, Month); 12] = [
    ("Jan", Month::January),
    ("Feb", Month::February),
    ("Mar", Month::March),
    ("Apr", Month::April),
    ("May", Month::May),
    ("Jun", Month::June),
    ("Jul", Month::July),
    ("Aug", Month::August),
    ("Sep", Month::September),
    ("Oct", Month::October),
    ("Nov", Month::November),
    ("Dec", Month::December),
];

const WEEKDAYS: [(&str, Weekday); 7] = [
    ("Mon", Weekday::Monday),
    ("Tue", Weekday::Tuesday),
    ("Wed", Weekday::Wednesday),
    ("Thu", Weekday::Thursday),
    ("Fri", Weekday::Friday),
    ("Sat", Weekday::Saturday),
    ("Sun", Weekday::Sunday),
];

/// A header's value as text (non-UTF-8 bytes replaced).
fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get(name).map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    const URI: &str = "/v1/iam2/projects/6a1f0c2b3d4e4f5a8b9c0d1e2f3a4b01/iam2/organizations";

    fn key(state: &str) -> ZStackAccessKey {
        ZStackAccessKey {
            access_key_id: "KEY".into(),
            access_key_secret: "secret".into(),
            account_uuid: "acc".into(),
            state: state.into(),
            description: String::new(),
        }
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    // Mon, 02 Jan 2006 15:04:05 GMT
    const DATE: &str = "Mon, 02 Jan 2006 15:04:05 GMT";
    const NOW: i64 = 1_136_214_245;

    fn run(headers: &HeaderMap, state: &str, now: i64) -> Result<AuthHeader, ZsError> {
        let request = SignedRequest { method: "DELETE", uri: URI, headers };
        authenticate(&request, |id| (id == "KEY").then(|| key(state)), now)
    }

    #[test]
    fn dates_in_the_documented_form() {
        assert_eq!(parse_date(DATE), Some(vec![NOW]));
        assert_eq!(parse_date("mon, 02 jan 2006 23:04:05 +0800"), Some(vec![NOW]));
        assert_eq!(
            parse_date("Mon, 02 Jan 2006 23:04:05 CST"),
            Some(vec![NOW, NOW + 14 * 3600]),
            "CST is China or US Central"
        );
        assert_eq!(parse_date("Tue, 02 Jan 2006 15:04:05 GMT"), None, "wrong weekday");
        assert_eq!(parse_date("Mon, 2 Jan 2006 15:04:05 GMT"), None);
        assert_eq!(parse_date("Mon, 02 Jan 2006 15:04:05 XYZ"), None);
        assert_eq!(parse_date("2006-01-02T15:04:05Z"), None);
    }

    #[test]
    fn signature_matches_an_independent_computation() {
        // printf 'DELETE\nMon, 02 Jan 2006 15:04:05 GMT\n/v1/iam2/projects/6a1f…4b01/iam2/organizations'
        //   | openssl dgst -sha1 -hmac secret -binary | base64
        assert_eq!(signature_of("secret", "DELETE", DATE, URI), "gNduzrEFQ3OOKtolKdDMzeyt97I=");
    }

    #[test]
    fn access_key_checks_in_order() {
        let good = format!("ZStack KEY:{}", signature_of("secret", "DELETE", DATE, URI));
        assert_eq!(
            run(&headers(&[("authorization", &good), ("date", DATE)]), "Enabled", NOW),
            Ok(AuthHeader::AccessKey { access_key_id: "KEY".into(), account_uuid: "acc".into() })
        );
        let status = |h: HeaderMap, state: &str, now: i64| {
            let err = run(&h, state, now).unwrap_err();
            (err.status, err.error.details)
        };
        assert_eq!(
            status(headers(&[("authorization", &good)]), "Enabled", NOW),
            (400, "'Date' must be incuded in request header".into())
        );
        assert_eq!(
            status(headers(&[("authorization", &good), ("date", DATE)]), "Enabled", NOW + 901),
            (403, "requestTimeTooSkewed".into())
        );
        assert!(run(&headers(&[("authorization", &good), ("date", DATE)]), "Enabled", NOW - 900).is_ok());
        assert_eq!(
            status(headers(&[("authorization", "ZStack KEY"), ("date", DATE)]), "Enabled", NOW),
            (400, "Invalid authKey format".into())
        );
        assert_eq!(
            status(headers(&[("authorization", &good), ("date", DATE)]), "Disabled", NOW),
            (403, "access key id: KEY does not existed or disabled".into())
        );
        let tampered = good.replace("gNdu", "gNdv");
        assert_eq!(
            status(headers(&[("authorization", &tampered), ("date", DATE)]), "Enabled", NOW),
            (403, "wrong accessKey signature".into())
        );
        assert_eq!(
            status(headers(&[("authorization", "Bearer x")]), "Enabled", NOW),
            (400, "Authorization type must be 'OAuth'".into())
        );
        assert_eq!(status(headers(&[]), "Enabled", NOW), (400, "missing header 'Authorization'".into()));
    }

    #[test]
    fn sessions_from_either_header() {
        assert_eq!(
            run(&headers(&[("authorization", "OAuth  abc ")]), "Enabled", NOW),
            Ok(AuthHeader::Session("abc".into()))
        );
        assert_eq!(run(&headers(&[("x-session-id", "abc")]), "Enabled", NOW), Ok(AuthHeader::Session("abc".into())));
    }
}

//! Time formats used in answers and logs.

use time::format_description::well_known::Rfc3339;
use time::macros::{format_description, offset};
use time::{OffsetDateTime, UtcOffset};

/// Tencent Cloud answers times as `YYYY-MM-DD HH:MM:SS` in Beijing time (UTC+8).
pub const TENCENT_OFFSET: UtcOffset = offset!(+8);

/// `2021-07-14 21:00:59`, in UTC+8 like the Tencent Cloud console and API.
pub fn tencent_datetime(at: OffsetDateTime) -> String {
    at.to_offset(TENCENT_OFFSET)
        .format(format_description!("[year]-[month]-[day] [hour]:[minute]:[second]"))
        .expect("a fixed format always formats")
}

/// Huawei Cloud's `2024-01-15T02:00:00.000Z` (UTC, milliseconds) for a Unix time in milliseconds.
pub fn huawei_datetime(unix_ms: i64) -> String {
    let at = OffsetDateTime::from_unix_timestamp_nanos(i128::from(unix_ms) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH);
    at.format(format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"))
        .expect("a fixed format always formats")
}

/// ZStack's `Nov 14, 2017 10:20:57 PM` (Gson's default US date format; the emulator answers in
/// UTC) for a Unix time in milliseconds.
pub fn zstack_datetime(unix_ms: i64) -> String {
    let at = OffsetDateTime::from_unix_timestamp_nanos(i128::from(unix_ms) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH);
    at.format(format_description!(
        "[month repr:short] [day padding:none], [year] [hour repr:12 padding:none]:[minute]:[second] [period]"
    ))
    .expect("a fixed format always formats")
}

/// The current time as Unix milliseconds.
pub fn now_ms() -> i64 {
    unix_ms(OffsetDateTime::now_utc())
}

pub fn unix_ms(at: OffsetDateTime) -> i64 {
    i64::try_from(at.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

/// RFC 3339 in UTC, for the audit log.
pub fn rfc3339(at: OffsetDateTime) -> String {
    at.to_offset(UtcOffset::UTC).format(&Rfc3339).expect("RFC 3339 always formats")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tencent_time_is_beijing_time() {
        let at = OffsetDateTime::from_unix_timestamp(1_626_267_659).unwrap(); // 2021-07-14 13:00:59 UTC
        assert_eq!(tencent_datetime(at), "2021-07-14 21:00:59");
        assert_eq!(rfc3339(at), "2021-07-14T13:00:59Z");
        assert_eq!(huawei_datetime(1_626_267_659_042), "2021-07-14T13:00:59.042Z");
        assert_eq!(unix_ms(at), 1_626_267_659_000);
        assert_eq!(zstack_datetime(1_626_267_659_042), "Jul 14, 2021 1:00:59 PM");
        assert_eq!(zstack_datetime(1_510_697_457_000), "Nov 14, 2017 10:10:57 PM");
        assert_eq!(zstack_datetime(1_705_284_000_000), "Jan 15, 2024 2:00:00 AM");
    }
}

//! Cloud API clients.
//!
//! `error` and `http` are shared by every cloud: one error type with a coarse [`ErrorKind`] the
//! resources act on, and an HTTP layer that signs through a [`RequestSigner`] hook and retries
//! with capped, jittered exponential backoff. Nothing here knows about Terraform.

pub mod batch;
pub mod encoding;
pub mod error;
pub mod http;
pub mod huawei;
pub(crate) mod lenient;
pub mod ratelimit;
pub mod reconcile;
pub mod tencent;
#[cfg(test)]
pub(crate) mod test_server;
pub mod waiter;
pub mod zstack;

use std::fmt;

pub use error::{Cloud, CloudError, ErrorKind};
pub use http::{Call, HttpClient, HttpResponse, RequestSigner, RetryPolicy, SignableRequest};
pub use waiter::{PollPolicy, PollState, WaitError, wait_for};

/// A credential that must never reach logs, error messages or `Debug` output.
///
/// `Debug` and `Display` print `***`; the value is only reachable through [`Secret::expose`],
/// which keeps every place that handles the plaintext easy to find.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The plaintext, for signing only.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self(value.to_owned())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

#[cfg(test)]
mod tests {
    use super::Secret;

    #[test]
    fn secret_is_masked() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s:?}"), "***");
        assert_eq!(format!("{s}"), "***");
        assert_eq!(format!("{:?}", Some(s.clone())), "Some(***)");
        assert_eq!(s.expose(), "hunter2");
    }
}

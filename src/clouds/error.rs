//! The error type shared by all cloud clients.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Cloud {
    Tencent,
    Huawei,
    ZStack,
}

impl fmt::Display for Cloud {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Cloud::Tencent => "Tencent Cloud",
            Cloud::Huawei => "Huawei Cloud",
            Cloud::ZStack => "ZStack",
        })
    }
}

/// What a caller can do about an error; each cloud maps its own codes onto these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The addressed object does not exist (a read treats the binding as gone).
    NotFound,
    /// Rejected by rate limiting before processing; always safe to retry.
    Throttled,
    /// Network failure, non-2xx gateway answer or a server-side internal error.
    Transient,
    /// Bad, expired or insufficient credentials.
    Auth,
    /// The request itself is wrong; retrying cannot help.
    Invalid,
    /// The object already exists / the state conflicts.
    Conflict,
    /// Abandoned because the provider was asked to stop (Terraform's StopProvider, Ctrl-C).
    Cancelled,
    Other,
}

impl ErrorKind {
    pub fn is_retryable(self) -> bool {
        matches!(self, ErrorKind::Throttled | ErrorKind::Transient)
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ErrorKind::NotFound => "not found",
            ErrorKind::Throttled => "throttled",
            ErrorKind::Transient => "transient",
            ErrorKind::Auth => "auth",
            ErrorKind::Invalid => "invalid",
            ErrorKind::Conflict => "conflict",
            ErrorKind::Cancelled => "cancelled",
            ErrorKind::Other => "other",
        })
    }
}

/// A failed cloud call. Renders as one line, e.g.
/// `Tencent Cloud CancelOrganizationMemberAuthAccount failed: ResourceNotFound.MemberNotExist: member not found (RequestId: 6f0...)`.
///
/// Never put credentials into any field: the whole value ends up in diagnostics and logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloudError {
    pub kind: ErrorKind,
    pub cloud: Cloud,
    /// The API action as documented by the vendor, e.g. `BindOrganizationMemberAuthAccount`.
    pub action: String,
    /// The vendor's error code; `None` for transport failures.
    pub code: Option<String>,
    pub message: String,
    pub request_id: Option<String>,
    pub http_status: Option<u16>,
    /// The call certainly never reached the cloud: every attempt failed to connect, was
    /// throttled, or was stopped before it was sent. Such a write is not ambiguous (see
    /// [`is_ambiguous`](Self::is_ambiguous)).
    pub never_sent: bool,
    /// The cloud answered the call, and its answer says the call was not carried out: it was
    /// sent, but took no effect. Only a cloud that validates a write before it acts on it can
    /// say so (ZStack answers a submission before it starts the job); elsewhere a server error
    /// may come after the change was made. Such a write is not ambiguous either.
    pub rejected: bool,
}

impl fmt::Display for CloudError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} failed: ", self.cloud, self.action)?;
        match &self.code {
            Some(code) if self.message.is_empty() => f.write_str(code)?,
            Some(code) => write!(f, "{code}: {}", self.message)?,
            None => f.write_str(&self.message)?,
        }
        if let Some(id) = &self.request_id {
            write!(f, " (RequestId: {id})")?;
        }
        Ok(())
    }
}

impl std::error::Error for CloudError {}

impl CloudError {
    pub fn new(kind: ErrorKind, cloud: Cloud, action: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            kind,
            cloud,
            action: action.into(),
            code: None,
            message: message.into(),
            request_id: None,
            http_status: None,
            never_sent: false,
            rejected: false,
        }
    }

    pub fn never_sent(mut self) -> Self {
        self.never_sent = true;
        self
    }

    /// Marks the error as the cloud's own answer that the call took no effect (see
    /// [`rejected`](Self::rejected)).
    pub fn rejected(mut self) -> Self {
        self.rejected = true;
        self
    }

    /// Whether a write that failed this way may still have taken effect: its answer was lost
    /// (a timeout, a reset after sending, a 5xx) or it was abandoned in flight, and it was
    /// neither [`never_sent`](Self::never_sent) nor [`rejected`](Self::rejected). Only then does
    /// the caller need to read to find out.
    pub fn is_ambiguous(&self) -> bool {
        !self.never_sent && !self.rejected && matches!(self.kind, ErrorKind::Transient | ErrorKind::Cancelled)
    }

    /// The error every client returns when its cancellation token fires.
    pub fn cancelled(cloud: Cloud, action: impl Into<String>) -> Self {
        Self::new(ErrorKind::Cancelled, cloud, action, "cancelled")
    }

    pub fn with_code(mut self, code: impl Into<String>) -> Self {
        self.code = Some(code.into());
        self
    }

    pub fn with_request_id(mut self, request_id: impl Into<String>) -> Self {
        self.request_id = Some(request_id.into());
        self
    }

    pub fn with_http_status(mut self, status: u16) -> Self {
        self.http_status = Some(status);
        self
    }

    pub fn is_retryable(&self) -> bool {
        self.kind.is_retryable()
    }

    pub fn is_not_found(&self) -> bool {
        self.kind == ErrorKind::NotFound
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_with_code_and_request_id() {
        let e = CloudError::new(
            ErrorKind::NotFound,
            Cloud::Tencent,
            "CancelOrganizationMemberAuthAccount",
            "member not found",
        )
        .with_code("ResourceNotFound.MemberNotExist")
        .with_request_id("6f0e");
        assert_eq!(
            e.to_string(),
            "Tencent Cloud CancelOrganizationMemberAuthAccount failed: \
             ResourceNotFound.MemberNotExist: member not found (RequestId: 6f0e)"
        );
    }

    #[test]
    fn display_transport_error() {
        let e = CloudError::new(
            ErrorKind::Transient,
            Cloud::Huawei,
            "UnEnrollAccount",
            "connection refused (rgc.example.com)",
        );
        assert_eq!(e.to_string(), "Huawei Cloud UnEnrollAccount failed: connection refused (rgc.example.com)");
        assert_eq!(Cloud::ZStack.to_string(), "ZStack");
    }

    #[test]
    fn only_lost_answers_of_sent_calls_are_ambiguous() {
        let lost = CloudError::new(ErrorKind::Transient, Cloud::Tencent, "Bind", "timed out");
        assert!(lost.is_ambiguous());
        assert!(CloudError::cancelled(Cloud::ZStack, "Attach").is_ambiguous());
        assert!(!lost.clone().never_sent().is_ambiguous(), "a refused connection sent nothing");
        assert!(!lost.clone().rejected().is_ambiguous(), "the cloud's own answer says nothing was done");
        assert!(!CloudError::new(ErrorKind::Conflict, Cloud::Huawei, "Create", "exists").is_ambiguous());
    }

    #[test]
    fn retryable_kinds() {
        assert!(ErrorKind::Throttled.is_retryable());
        assert!(ErrorKind::Transient.is_retryable());
        for k in [ErrorKind::NotFound, ErrorKind::Auth, ErrorKind::Invalid, ErrorKind::Conflict, ErrorKind::Other] {
            assert!(!k.is_retryable(), "{k:?}");
        }
    }
}

//! Connection-level behaviour of the emulator: calls that finish even when their client hangs up,
//! and dropping a connection without answering, for the `drop_before` / `drop_after` faults.
//!
//! axum gives handlers no access to the socket. What it does give is the response body, and
//! hyper's HTTP/1 server buffers the status line and headers until it has polled the body: if
//! the very first poll fails, hyper abandons the connection before flushing anything. The client
//! sees the connection close (or reset) with no HTTP response at all, which is exactly an
//! ambiguous network failure.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::{Body, Bytes};
use axum::response::Response;
use http_body::{Frame, SizeHint};

/// A response that makes the server close the connection without writing a byte of it.
pub fn dropped_connection() -> Response {
    Response::new(Body::new(FailingBody))
}

struct FailingBody;

impl http_body::Body for FailingBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        Poll::Ready(Some(Err(io::Error::new(
            io::ErrorKind::ConnectionAborted,
            "tether-emulator fault: connection dropped on purpose",
        ))))
    }

    fn is_end_stream(&self) -> bool {
        // Must be false, or hyper would write an empty response without polling the body.
        false
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::default()
    }
}

/// Runs a call to completion on its own task, so it is applied and logged even when the client
/// hangs up meanwhile (hyper drops the handler future on disconnect, not a spawned task), as a
/// real service would. `failed` answers if the task itself dies, in the cloud's own envelope.
pub async fn finish_even_if_client_leaves(
    cloud: &str,
    call: impl std::future::Future<Output = Response> + Send + 'static,
    failed: impl FnOnce() -> Response,
) -> Response {
    match tokio::spawn(call).await {
        Ok(response) => response,
        Err(err) => {
            tracing::error!(error = %err, cloud, "call task failed");
            failed()
        }
    }
}

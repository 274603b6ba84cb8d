//! Sending a request with the client's retry policy and its cancellation token, and GETs.

use std::future::Future;

use reqwest::Method;
use serde::de::DeserializeOwned;

use super::ZStackClient;
use super::error::{decode_error, unexpected};
use crate::clouds::error::{Cloud, CloudError};
use crate::clouds::http::{Call, HttpResponse, RequestSigner, SignableRequest};

impl ZStackClient {
    pub(super) async fn cancellable<F: Future>(&self, action: &str, fut: F) -> Result<F::Output, CloudError> {
        match &self.cancel {
            None => Ok(fut.await),
            Some(token) => tokio::select! {
                biased;
                _ = token.cancelled() => Err(CloudError::cancelled(Cloud::ZStack, action)),
                out = fut => Ok(out),
            },
        }
    }

    pub(super) async fn execute<T>(
        &self,
        action: &str,
        idempotent: bool,
        signer: &dyn RequestSigner,
        request: &SignableRequest,
        decode: impl Fn(HttpResponse) -> Result<T, CloudError>,
    ) -> Result<T, CloudError> {
        let call = Call {
            action,
            idempotent,
            retry: &self.inner.retry,
            cancel: self.cancel.as_ref(),
            first_attempt_paced: false,
            deadline: None,
        };
        self.inner.http.execute(call, signer, request, decode).await
    }

    /// A GET of `path` (segments under `/zstack/v1/`) with `query`, decoded as `T`.
    pub(crate) async fn get_json<T: DeserializeOwned>(
        &self,
        action: &'static str,
        path: &[&str],
        query: &[(&str, String)],
    ) -> Result<T, CloudError> {
        let mut url = self.url(path);
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query.iter().map(|(k, v)| (*k, v.as_str())));
        }
        let host = self.inner.host.as_str();
        self.with_credentials(action, true, |creds| {
            let req = SignableRequest::new(Method::GET, url.clone());
            async move {
                let kind = creds.kind();
                self.execute(action, true, &creds, &req, |resp| {
                    if !(200..300).contains(&resp.status) {
                        return Err(decode_error(action, host, resp.status, &resp.body, kind));
                    }
                    serde_json::from_slice::<T>(&resp.body)
                        .map_err(|err| unexpected(action, host, &resp, &err.to_string()))
                })
                .await
            }
        })
        .await
    }
}

//! Calling database functions through PostgREST (`POST /rest/v1/rpc/<fn>`).
//!
//! Every request carries the project key as `apikey` and a bearer token: the
//! signed-in user's when the client has a [`TokenCell`] holding one, else the
//! project key itself, as supabase-js does. Each attempt has a time limit;
//! idempotent calls are retried on transient failures (see [`RetryPolicy`]).
//!
//! ```no_run
//! # async fn demo(config: workflow_chat::config::SupabaseConfig) -> Result<(), workflow_chat::supabase::rpc::RpcError> {
//! use serde_json::json;
//! use workflow_chat::supabase::rpc::{Idempotency, RpcClient};
//!
//! let rpc = RpcClient::new(config);
//! let sum: i64 = rpc.call("add", &json!({"a": 1, "b": 2}), Idempotency::Idempotent).await?;
//! # Ok(()) }
//! ```

mod error;
mod retry;

use std::rc::Rc;
use std::time::Duration;

use futures::future::{select, Either};
use futures::pin_mut;
use serde::de::DeserializeOwned;
use serde::Serialize;

pub use error::{ErrorBody, RpcError};
pub use retry::{Idempotency, RetryPolicy};

use crate::config::SupabaseConfig;
use crate::supabase::auth::TokenCell;

/// Default time limit of one attempt.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(15);

/// A client for the project's database functions.
#[derive(Clone, Debug)]
pub struct RpcClient {
    config: Rc<SupabaseConfig>,
    token: Option<TokenCell>,
    timeout: Duration,
    retry: RetryPolicy,
}

/// A request ready to send: what [`RpcClient::call`] puts on the wire.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RpcRequest {
    /// Full endpoint URL.
    pub url: String,
    /// Header names and values.
    pub headers: Vec<(&'static str, String)>,
    /// JSON body (named arguments).
    pub body: String,
}

impl RpcClient {
    /// A client that calls as the anonymous role until given a token.
    pub fn new(config: SupabaseConfig) -> Self {
        Self {
            config: Rc::new(config),
            token: None,
            timeout: DEFAULT_TIMEOUT,
            retry: RetryPolicy::default(),
        }
    }

    /// Calls with whatever token `cell` holds at the time of each request.
    pub fn with_token(mut self, cell: TokenCell) -> Self {
        self.token = Some(cell);
        self
    }

    /// Sets the time limit of one attempt.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Sets the retry policy for idempotent calls.
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// The project configuration.
    pub fn config(&self) -> &SupabaseConfig {
        &self.config
    }

    /// The token cell, if any.
    pub fn token_cell(&self) -> Option<&TokenCell> {
        self.token.as_ref()
    }

    /// Builds the request for `function` with a JSON object of named arguments.
    pub fn request(&self, function: &str, args: String) -> RpcRequest {
        let bearer = self
            .token
            .as_ref()
            .and_then(TokenCell::get)
            .map(|t| t.as_str().to_owned())
            .unwrap_or_else(|| self.config.anon_key().to_owned());
        RpcRequest {
            url: self.config.rest_rpc_url(function),
            headers: vec![
                ("apikey", self.config.anon_key().to_owned()),
                ("Authorization", format!("Bearer {bearer}")),
                ("Content-Type", "application/json".to_owned()),
                ("Accept", "application/json".to_owned()),
                ("Content-Profile", "public".to_owned()),
            ],
            body: args,
        }
    }

    /// Calls `function` with `args` (serialized as a JSON object of named
    /// arguments) and decodes the result; functions returning `void` decode
    /// into `()`.
    pub async fn call<A, R>(
        &self,
        function: &str,
        args: &A,
        idempotency: Idempotency,
    ) -> Result<R, RpcError>
    where
        A: Serialize + ?Sized,
        R: DeserializeOwned,
    {
        let args = serde_json::to_string(args).map_err(|e| RpcError::Decode(e.to_string()))?;
        let mut retry = 0;
        loop {
            // Rebuilt per attempt so that a token refreshed meanwhile is used.
            let request = self.request(function, args.clone());
            let outcome = match send_with_timeout(&request, self.timeout).await {
                Ok((status, body)) => interpret(status, &body),
                Err(e) => Err(e),
            };
            match outcome {
                Ok(value) => return Ok(value),
                Err(error) => {
                    retry += 1;
                    match self.retry.delay_before_retry(retry, &error, idempotency) {
                        Some(delay) => gloo_timers::future::sleep(delay).await,
                        None => return Err(error),
                    }
                }
            }
        }
    }
}

/// Turns a status and body into the decoded result or a typed error.
pub fn interpret<R: DeserializeOwned>(status: u16, body: &str) -> Result<R, RpcError> {
    if !(200..300).contains(&status) {
        return Err(RpcError::from_response(status, body));
    }
    // `void` functions answer 204 with no body; read that as JSON null so
    // that `()` and `Option<T>` results decode.
    let body = if body.trim().is_empty() { "null" } else { body };
    serde_json::from_str(body).map_err(|e| RpcError::Decode(e.to_string()))
}

async fn send_with_timeout(
    request: &RpcRequest,
    timeout: Duration,
) -> Result<(u16, String), RpcError> {
    let abort = web_sys::AbortController::new().map_err(|e| RpcError::Network(js_text(&e)))?;
    let mut builder =
        gloo_net::http::Request::post(&request.url).abort_signal(Some(&abort.signal()));
    for (name, value) in &request.headers {
        builder = builder.header(name, value);
    }
    let sending = async {
        let response = builder
            .body(request.body.clone())
            .map_err(|e| RpcError::Network(e.to_string()))?
            .send()
            .await
            .map_err(|e| RpcError::Network(e.to_string()))?;
        let status = response.status();
        let body = response
            .text()
            .await
            .map_err(|e| RpcError::Network(e.to_string()))?;
        Ok((status, body))
    };
    let timer = gloo_timers::future::sleep(timeout);
    pin_mut!(sending);
    pin_mut!(timer);
    match select(sending, timer).await {
        Either::Left((result, _)) => result,
        Either::Right(((), _)) => {
            abort.abort();
            Err(RpcError::Timeout)
        }
    }
}

/// Text of a thrown JavaScript value, for error messages.
pub(crate) fn js_text(value: &wasm_bindgen::JsValue) -> String {
    value
        .as_string()
        .or_else(|| {
            js_sys::Reflect::get(value, &"message".into())
                .ok()
                .and_then(|m| m.as_string())
        })
        .unwrap_or_else(|| format!("{value:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::supabase::auth::AccessToken;
    use crate::supabase::jwt::tests::token_with;

    fn config() -> SupabaseConfig {
        SupabaseConfig::parse(
            Some("http://127.0.0.1:9"),
            Some(&token_with(r#"{"role":"anon"}"#)),
            None,
        )
        .unwrap()
    }

    fn header<'a>(r: &'a RpcRequest, name: &str) -> &'a str {
        &r.headers.iter().find(|(n, _)| *n == name).unwrap().1
    }

    #[test]
    fn anonymous_requests_use_the_key_as_bearer() {
        let rpc = RpcClient::new(config());
        let r = rpc.request("wc_login", "{}".into());
        assert_eq!(r.url, "http://127.0.0.1:9/rest/v1/rpc/wc_login");
        let key = config().anon_key().to_owned();
        assert_eq!(header(&r, "apikey"), key);
        assert_eq!(header(&r, "Authorization"), format!("Bearer {key}"));
        assert_eq!(header(&r, "Content-Type"), "application/json");
    }

    #[test]
    fn signed_in_requests_follow_the_token_cell() {
        let cell = TokenCell::new();
        let rpc = RpcClient::new(config()).with_token(cell.clone());
        let user = token_with(r#"{"sub":"u","exp":10}"#);
        cell.set(Some(AccessToken::parse(user.clone()).unwrap()));
        let r = rpc.request("wc_me", "{}".into());
        assert_eq!(header(&r, "Authorization"), format!("Bearer {user}"));
        cell.set(None);
        let r = rpc.request("wc_me", "{}".into());
        assert_eq!(
            header(&r, "Authorization"),
            format!("Bearer {}", config().anon_key())
        );
    }

    #[test]
    fn interprets_results() {
        assert_eq!(interpret::<i64>(200, "3"), Ok(3));
        assert_eq!(interpret::<()>(204, ""), Ok(()));
        assert_eq!(interpret::<Option<String>>(200, "null"), Ok(None));
        assert!(matches!(
            interpret::<i64>(200, "\"x\""),
            Err(RpcError::Decode(_))
        ));
        assert!(matches!(
            interpret::<i64>(409, r#"{"code":"23505","message":"dup"}"#),
            Err(RpcError::Conflict(_))
        ));
    }
}

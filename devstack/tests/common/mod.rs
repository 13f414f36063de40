//! Shared helpers of the integration tests: one stack per test binary
//! (starting a cluster costs a second or two), and small HTTP helpers.

#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};

use devstack::jwt::HmacSecret;
use devstack::{Stack, StackInfo, StackOptions};
use serde_json::Value;

static STACKS: Mutex<Vec<Stack>> = Mutex::new(Vec::new());
static INFO: OnceLock<StackInfo> = OnceLock::new();

/// Folder of the fixture SQL trees.
pub fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// The stack shared by every test of this binary, started on first use with
/// `tests/fixtures/rpc` as its SQL folder and stopped when the binary exits.
pub fn stack() -> &'static StackInfo {
    INFO.get_or_init(|| {
        let mut options = StackOptions::throwaway();
        options.sql_dir = fixtures().join("rpc");
        start_shared(options).0
    })
}

/// Starts a stack that lives until the test binary exits, and returns its
/// connection facts and data folder.
pub fn start_shared(options: StackOptions) -> (StackInfo, PathBuf) {
    static REGISTERED: OnceLock<()> = OnceLock::new();
    let stack = Stack::start(options).expect("the test stack starts");
    let facts = (stack.info().clone(), stack.data_dir().to_path_buf());
    STACKS.lock().unwrap().push(stack);
    REGISTERED.get_or_init(|| {
        // SAFETY: registering a plain function to run at process exit.
        unsafe { libc::atexit(stop_shared_stacks) };
    });
    facts
}

extern "C" fn stop_shared_stacks() {
    if let Ok(mut stacks) = STACKS.lock() {
        stacks.clear();
    }
}

/// Signs claims with the stack's secret.
pub fn token(claims: Value) -> String {
    HmacSecret::new(stack().jwt_secret.clone()).sign(&claims)
}

/// A response, read whole.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
}

impl Reply {
    /// The body as JSON (panics with the body if it is not).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.text))
    }

    /// A response header as text.
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap().to_string())
    }
}

/// A request to `/rest/v1/rpc/<function>` with the anon key as `apikey`.
pub struct Call {
    request: reqwest::RequestBuilder,
}

impl Call {
    /// POST with a JSON body.
    pub fn post(function: &str, body: &str) -> Call {
        let url = format!("{}/rest/v1/rpc/{function}", stack().url);
        Call {
            request: reqwest::Client::new()
                .post(url)
                .header("apikey", &stack().anon_key)
                .header("content-type", "application/json")
                .body(body.to_string()),
        }
    }

    /// GET with a query string (`"a=1&b=2"`).
    pub fn get(function: &str, query: &str) -> Call {
        Call::method(reqwest::Method::GET, function, query)
    }

    /// Any method, no body.
    pub fn method(method: reqwest::Method, function: &str, query: &str) -> Call {
        let mut url = format!("{}/rest/v1/rpc/{function}", stack().url);
        if !query.is_empty() {
            url.push('?');
            url.push_str(query);
        }
        Call {
            request: reqwest::Client::new()
                .request(method, url)
                .header("apikey", &stack().anon_key),
        }
    }

    /// Adds `Authorization: Bearer <token>`.
    pub fn bearer(self, token: &str) -> Call {
        self.header("authorization", &format!("Bearer {token}"))
    }

    /// Adds a header.
    pub fn header(self, name: &str, value: &str) -> Call {
        Call {
            request: self.request.header(name, value),
        }
    }

    /// Sends and reads the whole response.
    pub async fn send(self) -> Reply {
        let response = self.request.send().await.expect("the stack answers");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.expect("a readable body");
        Reply {
            status,
            headers,
            text,
        }
    }
}

/// Runs SQL as the superuser.
pub async fn sql(statement: &str) -> Vec<tokio_postgres::Row> {
    let (client, connection) =
        tokio_postgres::connect(&stack().admin_db_url, tokio_postgres::NoTls)
            .await
            .expect("connects to the test database");
    tokio::spawn(connection);
    client.query(statement, &[]).await.expect("SQL runs")
}

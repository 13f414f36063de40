//! `/rest/v1`: PostgREST-compatible remote procedure calls,
//! `/rest/v1/rpc/<function>`.
//!
//! Each request runs in one transaction on a pooled connection: the caller's
//! role and request facts are set as transaction-local settings (the GUCs
//! PostgREST sets), then the function is called and its result shaped as
//! JSON by the database.

pub mod error;
pub mod identity;
pub mod jwt;
pub mod routine;

use axum::body::{Body, Bytes};
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, Response, StatusCode};
use axum::routing::any;
use axum::Router;
use serde_json::{Map, Value};
use tokio_postgres::IsolationLevel;

use self::error::ApiError;
use self::identity::Caller;
use self::routine::{CallArgs, Offer, Routine};
use crate::http::parse_query;
use crate::server::{SharedState, DEFAULT_STATEMENT_TIMEOUTS, EXPOSED_SCHEMAS};

/// Routes under `/rest/v1`.
pub fn router() -> Router<SharedState> {
    Router::new()
        .route("/rpc/{function}", any(rpc))
        .fallback(unsupported)
}

/// Sets the transaction-local settings of a request, in PostgREST's order:
/// search path, the role's own settings, role, claims, method, path, headers,
/// cookies.
///
/// Calls are prepared once per connection, and a generic plan cached under
/// one role may have inlined a SQL function that another role may not
/// execute (the EXECUTE check happens when inlining). Forcing custom plans
/// (every call binds a parameter) makes each call planned, and checked, as
/// its own caller.
const PRELUDE_SQL: &str = "
select set_config('plan_cache_mode', 'force_custom_plan', true),
       set_config('search_path', $1, true),
       set_config('statement_timeout', coalesce($2::text, current_setting('statement_timeout')), true),
       (select count(set_config(s.name, s.value, true))
          from (select split_part(c, '=', 1) as name, substr(c, strpos(c, '=') + 1) as value
                  from pg_catalog.pg_db_role_setting d, unnest(d.setconfig) as c
                 where d.setrole = (select oid from pg_catalog.pg_roles where rolname = $3)
                   and d.setdatabase in (0, (select oid from pg_catalog.pg_database
                                              where datname = current_database()))
                 order by d.setdatabase) s
         where s.name in (select name from pg_catalog.pg_settings where context = 'user')),
       set_config('role', $3, true),
       set_config('request.jwt.claims', $4, true),
       set_config('request.method', $5, true),
       set_config('request.path', $6, true),
       set_config('request.headers', $7, true),
       set_config('request.cookies', $8, true)";

async fn unsupported() -> Response<Body> {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "PGRST205",
        "devstack serves only remote procedure calls under /rest/v1/rpc/<function>",
        None,
        None,
    )
    .into_response()
}

async fn rpc(
    State(state): State<SharedState>,
    Path(function): Path<String>,
    RawQuery(query): RawQuery,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response<Body> {
    match call(
        &state,
        &function,
        query.as_deref(),
        &method,
        &headers,
        &body,
    )
    .await
    {
        Ok(response) => response,
        Err(e) => e.into_response(),
    }
}

/// The parsed, validated request.
struct Request {
    schema: String,
    args: Map<String, Value>,
    /// Raw JSON body for a single-unnamed-json call.
    raw_body: Option<String>,
    body_is_object: bool,
}

async fn call(
    state: &SharedState,
    function: &str,
    query: Option<&str>,
    method: &Method,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<Response<Body>, ApiError> {
    let params = parse_query(query.unwrap_or(""));
    let query_apikey = params
        .iter()
        .find(|(k, _)| k == "apikey")
        .map(|(_, v)| v.as_str());
    let caller = identity::resolve(headers, query_apikey, &state.jwt, &state.keys)?;

    let read_method = match *method {
        Method::GET | Method::HEAD => true,
        Method::POST => false,
        Method::OPTIONS => {
            let mut response = Response::new(Body::empty());
            response.headers_mut().insert(
                header::ALLOW,
                HeaderValue::from_static("OPTIONS,GET,HEAD,POST"),
            );
            return Ok(response);
        }
        ref other => {
            return Err(ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "PGRST101",
                format!("Cannot use the {other} method on RPC"),
                None,
                None,
            ))
        }
    };
    let request = parse_request(read_method, headers, &params, body)?;

    let mut client = state.db.get().await.map_err(pool_error)?;
    let lookup = client
        .prepare_cached(routine::LOOKUP_SQL)
        .await
        .map_err(|e| db_error(e, &caller))?;
    let rows = client
        .query(&lookup, &[&request.schema, &function])
        .await
        .map_err(|e| db_error(e, &caller))?;
    let routines: Vec<Routine> = rows
        .iter()
        .map(|row| Routine::from_row(&request.schema, row))
        .collect();
    let other_names: Vec<String> = if routines.is_empty() {
        client
            .query(routine::NAMES_SQL, &[&request.schema])
            .await
            .map_err(|e| db_error(e, &caller))?
            .iter()
            .map(|r| r.get(0))
            .collect()
    } else {
        Vec::new()
    };
    let keys: Vec<String> = request.args.keys().cloned().collect();
    let offer = if read_method || request.raw_body.is_none() {
        Offer::Params(&keys)
    } else {
        Offer::JsonBody {
            keys: &keys,
            is_object: request.body_is_object,
        }
    };
    let (routine, call_args) =
        routine::choose(&routines, offer, &request.schema, function, &other_names)?;
    let argument_text = match &call_args {
        CallArgs::SingleJson => request.raw_body.clone().unwrap_or_else(|| "{}".into()),
        CallArgs::Named(_) => Value::Object(request.args.clone()).to_string(),
    };
    let call_stmt = client
        .prepare_cached(&routine::call_sql(routine, &call_args))
        .await
        .map_err(|e| db_error(e, &caller))?;
    let prelude = client
        .prepare_cached(PRELUDE_SQL)
        .await
        .map_err(|e| db_error(e, &caller))?;

    let read_only = read_method || !routine.volatile;
    let tx = client
        .build_transaction()
        .isolation_level(IsolationLevel::ReadCommitted)
        .read_only(read_only)
        .start()
        .await
        .map_err(|e| db_error(e, &caller))?;
    let search_path = format!(
        "{}, \"public\", \"extensions\"",
        routine::quote_ident(&request.schema)
    );
    let timeout = DEFAULT_STATEMENT_TIMEOUTS
        .iter()
        .find(|(role, _)| *role == caller.role)
        .map(|(_, t)| t.to_string());
    let claims = Value::Object(caller.claims.clone()).to_string();
    let method_text = method.as_str().to_string();
    let path = format!("/rpc/{function}");
    let headers_json = headers_json(headers);
    let cookies_json = cookies_json(headers);
    // Pipelined: both go out at once; a failing prelude aborts the call.
    let prelude_params: [&(dyn tokio_postgres::types::ToSql + Sync); 8] = [
        &search_path,
        &timeout,
        &caller.role,
        &claims,
        &method_text,
        &path,
        &headers_json,
        &cookies_json,
    ];
    let call_params: [&(dyn tokio_postgres::types::ToSql + Sync); 1] = [&argument_text];
    // Pipelined: both go out at once. A failing prelude aborts the
    // transaction, so its error is the one to report.
    let (prelude_result, call_result) = tokio::join!(
        tx.query_one(&prelude, &prelude_params),
        tx.query_one(&call_stmt, &call_params),
    );
    prelude_result.map_err(|e| db_error(e, &caller))?;
    let row = call_result.map_err(|e| db_error(e, &caller))?;
    let body: Option<String> = row.get(0);
    let rows: i64 = row.get(1);
    let custom_status: Option<String> = row.get(2);
    let custom_headers: Option<String> = row.get(3);

    let wants_object = accepts_single_object(headers);
    let body = if wants_object && routine.returns_set {
        if rows != 1 {
            // PostgREST refuses before committing.
            drop(tx);
            return Err(ApiError::new(
                StatusCode::NOT_ACCEPTABLE,
                "PGRST116",
                "Cannot coerce the result to a single JSON object",
                Some(format!("The result contains {rows} rows")),
                None,
            ));
        }
        body.and_then(|b| serde_json::from_str::<Value>(&b).ok())
            .and_then(|v| v.get(0).cloned())
            .map(|v| v.to_string())
    } else {
        body
    };
    tx.commit().await.map_err(|e| db_error(e, &caller))?;

    let mut response = if routine.returns_void {
        let mut r = Response::new(Body::empty());
        *r.status_mut() = StatusCode::NO_CONTENT;
        r
    } else {
        let text = body.unwrap_or_else(|| "null".into());
        let mut r = Response::new(if *method == Method::HEAD {
            Body::empty()
        } else {
            Body::from(text)
        });
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(if wants_object {
                "application/vnd.pgrst.object+json; charset=utf-8"
            } else {
                "application/json; charset=utf-8"
            }),
        );
        if routine.returns_set {
            let exact = prefers_exact_count(headers);
            let range = if rows == 0 {
                "*/".to_string()
            } else {
                format!("0-{}/", rows - 1)
            };
            let total = if exact { rows.to_string() } else { "*".into() };
            if let Ok(v) = HeaderValue::from_str(&format!("{range}{total}")) {
                r.headers_mut().insert(header::CONTENT_RANGE, v);
            }
            if exact {
                r.headers_mut().insert(
                    "preference-applied",
                    HeaderValue::from_static("count=exact"),
                );
            }
        }
        r
    };
    apply_response_gucs(&mut response, custom_status, custom_headers)?;
    Ok(response)
}

/// Reads the profile header, the arguments and the body.
fn parse_request(
    read_method: bool,
    headers: &HeaderMap,
    params: &[(String, String)],
    body: &Bytes,
) -> Result<Request, ApiError> {
    let profile_header = if read_method {
        "accept-profile"
    } else {
        "content-profile"
    };
    let schema = headers
        .get(profile_header)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .unwrap_or(EXPOSED_SCHEMAS[0])
        .to_string();
    if !EXPOSED_SCHEMAS.contains(&schema.as_str()) {
        return Err(ApiError::new(
            StatusCode::NOT_ACCEPTABLE,
            "PGRST106",
            format!("Invalid schema: {schema}"),
            None,
            Some(format!(
                "Only the following schemas are exposed: {}",
                EXPOSED_SCHEMAS.join(", ")
            )),
        ));
    }
    if read_method {
        let args = params_object(params.iter().filter(|(k, _)| k != "apikey"));
        return Ok(Request {
            schema,
            args,
            raw_body: None,
            body_is_object: true,
        });
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/json");
    let mime = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match mime.as_str() {
        "application/json" | "" => {
            let text = std::str::from_utf8(body).map_err(|_| invalid_json())?;
            let text = if text.trim().is_empty() { "{}" } else { text };
            let value: Value = serde_json::from_str(text).map_err(|_| invalid_json())?;
            let (args, is_object) = match value {
                Value::Object(map) => (map, true),
                _ => (Map::new(), false),
            };
            Ok(Request {
                schema,
                args,
                raw_body: Some(text.to_string()),
                body_is_object: is_object,
            })
        }
        "application/x-www-form-urlencoded" => {
            let text = String::from_utf8_lossy(body);
            let args = params_object(parse_query(&text).iter());
            Ok(Request {
                schema,
                args,
                raw_body: None,
                body_is_object: true,
            })
        }
        other => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "PGRST102",
            format!("Content-Type not acceptable: {other}"),
            None,
            None,
        )),
    }
}

fn invalid_json() -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "PGRST102",
        "Empty or invalid json",
        None,
        None,
    )
}

/// Query or form parameters as a JSON object of strings; a repeated key
/// becomes an array (for variadic and array parameters).
fn params_object<'a>(params: impl Iterator<Item = &'a (String, String)>) -> Map<String, Value> {
    let mut map = Map::new();
    for (k, v) in params {
        match map.get_mut(k) {
            Some(Value::Array(items)) => items.push(Value::String(v.clone())),
            Some(existing) => {
                let first = existing.take();
                *existing = Value::Array(vec![first, Value::String(v.clone())]);
            }
            None => {
                map.insert(k.clone(), Value::String(v.clone()));
            }
        }
    }
    map
}

/// `request.headers`: every header, names lower-cased.
fn headers_json(headers: &HeaderMap) -> String {
    let mut map = Map::new();
    for (name, value) in headers {
        map.insert(
            name.as_str().to_string(),
            Value::String(String::from_utf8_lossy(value.as_bytes()).into_owned()),
        );
    }
    Value::Object(map).to_string()
}

/// `request.cookies`: the `Cookie` header as an object.
fn cookies_json(headers: &HeaderMap) -> String {
    let mut map = Map::new();
    for value in headers.get_all(header::COOKIE) {
        for pair in String::from_utf8_lossy(value.as_bytes()).split(';') {
            if let Some((k, v)) = pair.split_once('=') {
                map.insert(k.trim().to_string(), Value::String(v.trim().to_string()));
            }
        }
    }
    Value::Object(map).to_string()
}

fn accepts_single_object(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("application/vnd.pgrst.object+json"))
}

fn prefers_exact_count(headers: &HeaderMap) -> bool {
    headers.get_all("prefer").iter().any(|v| {
        v.to_str()
            .is_ok_and(|p| p.split(',').any(|x| x.trim() == "count=exact"))
    })
}

/// Applies `response.status` and `response.headers` set by the function.
fn apply_response_gucs(
    response: &mut Response<Body>,
    status: Option<String>,
    headers: Option<String>,
) -> Result<(), ApiError> {
    if let Some(status) = status {
        let code = status
            .trim()
            .parse::<u16>()
            .ok()
            .and_then(|n| StatusCode::from_u16(n).ok())
            .ok_or_else(|| {
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "PGRST112",
                    "Invalid response.status GUC",
                    Some(format!("\"{status}\" is not a valid status code")),
                    None,
                )
            })?;
        *response.status_mut() = code;
    }
    if let Some(headers) = headers {
        let invalid = || {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "PGRST111",
                "response.headers guc must be a JSON array composed of objects with a single key and a string value",
                None,
                None,
            )
        };
        let Ok(Value::Array(items)) = serde_json::from_str::<Value>(&headers) else {
            return Err(invalid());
        };
        for item in items {
            let Value::Object(obj) = item else {
                return Err(invalid());
            };
            for (name, value) in obj {
                let value = value.as_str().ok_or_else(invalid)?;
                if let (Ok(n), Ok(v)) = (
                    header::HeaderName::from_bytes(name.as_bytes()),
                    HeaderValue::from_str(value),
                ) {
                    response.headers_mut().append(n, v);
                }
            }
        }
    }
    Ok(())
}

fn db_error(err: tokio_postgres::Error, caller: &Caller) -> ApiError {
    match err.as_db_error() {
        Some(db) => ApiError::from_db(
            db.code().code(),
            db.message(),
            db.detail(),
            db.hint(),
            caller.authed(),
        ),
        None => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "PGRST001",
            "Database client error. Retrying the connection.",
            Some(err.to_string()),
            None,
        ),
    }
}

fn pool_error(err: deadpool_postgres::PoolError) -> ApiError {
    match err {
        deadpool_postgres::PoolError::Timeout(_) => ApiError::new(
            StatusCode::GATEWAY_TIMEOUT,
            "PGRST003",
            "Timed out acquiring connection from connection pool.",
            None,
            None,
        ),
        other => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "PGRST000",
            "Database connection error.",
            Some(other.to_string()),
            None,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_strings_decode() {
        assert_eq!(
            parse_query("a=1&b=x%20y+z&c=%7B1,2%7D&flag"),
            vec![
                ("a".into(), "1".into()),
                ("b".into(), "x y z".into()),
                ("c".into(), "{1,2}".into()),
                ("flag".into(), "".into()),
            ]
        );
        assert_eq!(parse_query("a=100%"), vec![("a".into(), "100%".into())]);
    }

    #[test]
    fn repeated_params_become_arrays() {
        let params = parse_query("v=1&v=2&v=3&x=a");
        let obj = params_object(params.iter());
        assert_eq!(obj["v"], serde_json::json!(["1", "2", "3"]));
        assert_eq!(obj["x"], "a");
    }

    #[test]
    fn response_headers_guc_is_applied() {
        let mut r = Response::new(Body::empty());
        apply_response_gucs(
            &mut r,
            Some("201".into()),
            Some(r#"[{"X-One":"1"},{"X-Two":"2"}]"#.into()),
        )
        .unwrap();
        assert_eq!(r.status().as_u16(), 201);
        assert_eq!(r.headers()["x-two"], "2");
        assert!(apply_response_gucs(&mut r, None, Some("{}".into())).is_err());
    }
}

//! Realtime's REST broadcast: `POST /realtime/v1/api/broadcast` with a batch
//! of messages, and `POST /realtime/v1/api/broadcast/{topic}/events/{event}`
//! with one payload (JSON or raw bytes). Public messages go straight out;
//! private ones only if the caller passes the write check for their topic.

use super::auth::AuthContext;
use super::frame::{Encoding, UserBroadcast};
use super::hub::{Broadcast, GroupKey};
use super::token::Claims;
use super::Realtime;
use crate::gateway;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

fn unauthorized() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        Json(json!({ "message": "Unauthorized" })),
    )
        .into_response()
}

fn unprocessable(errors: Value) -> Response {
    (
        StatusCode::UNPROCESSABLE_ENTITY,
        Json(json!({ "errors": errors })),
    )
        .into_response()
}

/// The caller's claims: the bearer token the gateway forwards
/// (`Authorization`, else the `apikey` header or the query parameter
/// realtime-js keeps from the socket URL, opaque keys swapped for their
/// role JWTs).
fn caller(rt: &Realtime, headers: &HeaderMap, query: &HashMap<String, String>) -> Option<Claims> {
    let presented = gateway::presented(headers, query.get("apikey").map(String::as_str));
    let token = gateway::forward(&rt.api_keys, presented, false)
        .ok()?
        .bearer?;
    rt.verify(&token).ok()
}

fn all_headers(headers: &HeaderMap) -> Value {
    let mut map = Map::new();
    for (name, value) in headers {
        if let Ok(v) = value.to_str() {
            map.insert(name.as_str().to_string(), Value::String(v.to_string()));
        }
    }
    Value::Object(map)
}

/// One validated batch message.
#[derive(Debug)]
struct Message {
    topic: String,
    event: String,
    payload: Value,
    private: bool,
    id: Option<String>,
}

impl Message {
    fn broadcast(&self) -> Broadcast {
        let mut obj = Map::new();
        obj.insert("type".into(), Value::String("broadcast".into()));
        obj.insert("event".into(), Value::String(self.event.clone()));
        obj.insert("payload".into(), self.payload.clone());
        if let Some(id) = &self.id {
            obj.insert("meta".into(), json!({ "id": id }));
        }
        Broadcast::Json(Value::Object(obj))
    }
}

/// Validates a batch the way Realtime's changeset does; on failure returns
/// the per-message errors (`[{field: [msg]}, …]`).
fn validate(body: &Value, max_payload: usize) -> Result<Vec<Message>, Value> {
    let Some(list) = body.get("messages").and_then(Value::as_array) else {
        return Err(json!({ "messages": ["can't be blank"] }));
    };
    let mut out = Vec::new();
    let mut errors = Vec::new();
    let mut bad = false;
    for item in list {
        let mut errs: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        let text = |k: &str| {
            item.get(k)
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
        };
        let topic = text("topic");
        let event = text("event");
        if topic.is_none() {
            errs.entry("topic")
                .or_default()
                .push("can't be blank".into());
        }
        if event.is_none() {
            errs.entry("event")
                .or_default()
                .push("can't be blank".into());
        }
        let payload = item.get("payload").filter(|p| !p.is_null());
        match payload {
            None => errs
                .entry("payload")
                .or_default()
                .push("can't be blank".into()),
            Some(p) if !p.is_object() => {
                errs.entry("payload").or_default().push("is invalid".into())
            }
            Some(p) if p.to_string().len() > max_payload => errs
                .entry("payload")
                .or_default()
                .push("Payload size exceeds tenant limit".into()),
            Some(_) => {}
        }
        let private = match item.get("private") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => true,
            Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => false,
            Some(_) => {
                errs.entry("private").or_default().push("is invalid".into());
                false
            }
        };
        if errs.is_empty() {
            out.push(Message {
                topic: topic.unwrap_or_default().to_string(),
                event: event.unwrap_or_default().to_string(),
                payload: payload.cloned().unwrap_or(Value::Null),
                private,
                id: item.get("id").and_then(|v| match v {
                    Value::String(s) => Some(s.clone()),
                    Value::Null => None,
                    other => Some(other.to_string()),
                }),
            });
            errors.push(json!({}));
        } else {
            bad = true;
            errors.push(json!(errs));
        }
    }
    if bad {
        Err(json!({ "messages": errors }))
    } else {
        Ok(out)
    }
}

/// Whether the caller may write broadcasts on a private topic.
async fn may_write(rt: &Realtime, claims: &Claims, headers: &Value, topic: &str) -> bool {
    let ctx = AuthContext {
        topic,
        claims,
        headers,
    };
    matches!(rt.auth.writes(&ctx).await, Ok(w) if w.broadcast)
}

/// `POST /realtime/v1/api/broadcast`.
pub async fn batch(
    State(rt): State<Arc<Realtime>>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(claims) = caller(&rt, &headers, &query) else {
        return unauthorized();
    };
    let body: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(_) => return unprocessable(json!({ "messages": ["can't be blank"] })),
    };
    let messages = match validate(&body, rt.config.max_payload_bytes) {
        Ok(m) => m,
        Err(errors) => return unprocessable(errors),
    };
    let hdrs = all_headers(&headers);
    let mut private_topics: BTreeMap<&str, Vec<&Message>> = BTreeMap::new();
    for m in &messages {
        if m.private {
            private_topics.entry(&m.topic).or_default().push(m);
        } else {
            let key = GroupKey {
                private: false,
                name: m.topic.clone(),
            };
            rt.hub.broadcast(&key, &m.broadcast(), None);
        }
    }
    for (topic, list) in private_topics {
        // Refused private messages are dropped silently; the answer stays 202.
        if may_write(&rt, &claims, &hdrs, topic).await {
            let key = GroupKey {
                private: true,
                name: topic.to_string(),
            };
            for m in list {
                rt.hub.broadcast(&key, &m.broadcast(), None);
            }
        }
    }
    StatusCode::ACCEPTED.into_response()
}

/// `POST /realtime/v1/api/broadcast/{topic}/events/{event}[?private=true]`.
pub async fn single(
    State(rt): State<Arc<Realtime>>,
    Path((topic, event)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(claims) = caller(&rt, &headers, &query) else {
        return unauthorized();
    };
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let (encoding, payload) = match content_type.as_str() {
        "application/json" => match serde_json::from_slice::<Value>(&body) {
            Ok(Value::Object(_)) => (Encoding::Json, body.to_vec()),
            _ => return unprocessable(json!({ "payload": ["is invalid"] })),
        },
        "application/octet-stream" => (Encoding::Binary, body.to_vec()),
        _ => return StatusCode::UNSUPPORTED_MEDIA_TYPE.into_response(),
    };
    if payload.len() > rt.config.max_payload_bytes {
        return unprocessable(json!({ "payload": ["Payload size exceeds tenant limit"] }));
    }
    let private = query.get("private").is_some_and(|p| p == "true");
    if private && !may_write(&rt, &claims, &all_headers(&headers), &topic).await {
        return StatusCode::ACCEPTED.into_response();
    }
    let key = GroupKey {
        private,
        name: topic,
    };
    let msg = Broadcast::User(UserBroadcast {
        event,
        encoding,
        payload,
        metadata: None,
    });
    rt.hub.broadcast(&key, &msg, None);
    StatusCode::ACCEPTED.into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_validation_names_each_bad_field() {
        let ok = validate(
            &json!({"messages":[{"topic":"t","event":"e","payload":{"a":1},"private":"true","id":"x"}]}),
            100,
        )
        .unwrap();
        assert!(ok[0].private);
        assert_eq!(ok[0].id.as_deref(), Some("x"));
        let err = validate(
            &json!({"messages":[{"topic":"t","event":"e","payload":{}}, {"event":"", "payload": 3}]}),
            100,
        )
        .unwrap_err();
        assert_eq!(
            err,
            json!({"messages":[{}, {"topic":["can't be blank"],"event":["can't be blank"],"payload":["is invalid"]}]})
        );
        assert_eq!(
            validate(&json!({}), 100).unwrap_err(),
            json!({"messages":["can't be blank"]})
        );
        let big = validate(
            &json!({"messages":[{"topic":"t","event":"e","payload":{"a":"0123456789"}}]}),
            5,
        )
        .unwrap_err();
        assert_eq!(
            big["messages"][0]["payload"][0],
            "Payload size exceeds tenant limit"
        );
    }
}

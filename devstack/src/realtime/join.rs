//! The `phx_join` payload: channel options, the token to use, and the
//! `postgres_changes` bindings echoed in the reply. Parsing is lenient the
//! way Realtime's is: values of the wrong type fall back to the defaults.

use serde_json::{Map, Value};

/// Prefix every Realtime channel topic carries.
pub const TOPIC_PREFIX: &str = "realtime:";

/// What a join asks for.
#[derive(Debug, Clone, PartialEq)]
pub struct JoinConfig {
    /// `config.broadcast.ack`: reply to each broadcast push.
    pub ack: bool,
    /// `config.broadcast.self`: deliver own broadcasts back.
    pub self_broadcast: bool,
    /// `config.presence.enabled`: send `presence_state` after the join.
    pub presence_enabled: bool,
    /// `config.presence.key`, when a non-empty one was given.
    pub presence_key: Option<String>,
    /// `config.private`: authorize with RLS and use the private group.
    pub private: bool,
    /// `config.broadcast.replay`, when present.
    pub replay: Option<Value>,
    /// Whether the payload had a `config` (new API) or not (legacy topic form).
    pub has_config: bool,
    /// The requested `postgres_changes` bindings, unchanged.
    pub postgres_changes: Vec<Value>,
    /// `access_token` or `user_token`, when a string.
    pub access_token: Option<String>,
}

/// Realtime's lenient booleans: JSON booleans or the strings true/false in
/// any case; anything else is the default (false).
fn flexible_bool(v: Option<&Value>) -> bool {
    match v {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
        _ => false,
    }
}

impl JoinConfig {
    /// Parses a join payload (any JSON; non-objects give the defaults).
    pub fn parse(payload: &Value) -> JoinConfig {
        let config = payload.get("config").and_then(Value::as_object);
        let broadcast = config
            .and_then(|c| c.get("broadcast"))
            .and_then(Value::as_object);
        let presence = config
            .and_then(|c| c.get("presence"))
            .and_then(Value::as_object);
        let presence_key = presence.and_then(|p| p.get("key")).and_then(|k| match k {
            Value::Null => None,
            Value::String(s) if s.is_empty() => None,
            Value::String(s) => Some(s.clone()),
            other => Some(other.to_string()),
        });
        let postgres_changes = config
            .and_then(|c| c.get("postgres_changes"))
            .and_then(Value::as_array)
            .map(|list| list.iter().filter(|v| !v.is_null()).cloned().collect())
            .unwrap_or_default();
        let token = |k: &str| payload.get(k).and_then(Value::as_str).map(str::to_string);
        JoinConfig {
            ack: flexible_bool(broadcast.and_then(|b| b.get("ack"))),
            self_broadcast: flexible_bool(broadcast.and_then(|b| b.get("self"))),
            presence_enabled: flexible_bool(presence.and_then(|p| p.get("enabled"))),
            presence_key,
            private: flexible_bool(config.and_then(|c| c.get("private"))),
            replay: broadcast.and_then(|b| b.get("replay")).cloned(),
            has_config: payload.get("config").is_some(),
            postgres_changes,
            access_token: token("user_token").or_else(|| token("access_token")),
        }
    }

    /// The token a join is authorized with: the payload's token unless it is
    /// absent or an opaque `sb_` key, else the socket's `apikey`.
    pub fn token<'a>(&'a self, socket_token: &'a str) -> &'a str {
        match self.access_token.as_deref() {
            Some(t) if !t.starts_with("sb_") => t,
            _ => socket_token,
        }
    }

    /// The `postgres_changes` bindings this join subscribes: the requested
    /// ones, or for a legacy join without `config`, the binding its topic
    /// spells as `schema[:table[:filter]]`.
    pub fn bindings(&self, subtopic: &str) -> Vec<Value> {
        if self.has_config {
            return self.postgres_changes.clone();
        }
        let mut parts = subtopic.splitn(3, ':');
        let mut obj = Map::new();
        for name in ["schema", "table", "filter"] {
            if let Some(p) = parts.next() {
                obj.insert(name.into(), Value::String(p.into()));
            }
        }
        vec![Value::Object(obj)]
    }
}

/// The sub-topic of a channel topic, or the join error for a topic Realtime
/// does not route.
pub fn subtopic(topic: &str) -> Result<&str, TopicError> {
    match topic.strip_prefix(TOPIC_PREFIX) {
        None => Err(TopicError::Unmatched),
        Some("") => Err(TopicError::NameRequired),
        Some(sub) => Ok(sub),
    }
}

/// A topic that cannot be joined.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TopicError {
    /// Not under `realtime:`: Phoenix answers `unmatched topic`.
    Unmatched,
    /// `realtime:` alone.
    NameRequired,
}

/// A binding's id: a stable hash of its parameters, in the range of the
/// Erlang `phash2` values Realtime uses (0 ≤ id < 2²⁷).
pub fn binding_id(params: &Value) -> u32 {
    // serde_json maps keep keys sorted, so equal maps hash equally.
    let text = params.to_string();
    let mut h: u32 = 0x811c_9dc5;
    for b in text.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h & ((1 << 27) - 1)
}

/// The join reply's `postgres_changes`: each binding unchanged, in order,
/// with its `id` added.
pub fn bindings_reply(bindings: &[Value]) -> Value {
    Value::Array(
        bindings
            .iter()
            .map(|b| {
                let mut obj = b.as_object().cloned().unwrap_or_default();
                obj.insert("id".into(), Value::from(binding_id(b)));
                Value::Object(obj)
            })
            .collect(),
    )
}

/// The `system` error text Realtime sends when it cannot subscribe a
/// `postgres_changes` binding.
pub fn postgres_changes_unavailable(binding: &Value) -> String {
    let field = |k: &str| {
        binding
            .get(k)
            .and_then(Value::as_str)
            .unwrap_or("*")
            .to_string()
    };
    let filters = binding
        .get("filter")
        .and_then(Value::as_str)
        .map_or_else(|| "[]".to_string(), |f| format!("[{f:?}]"));
    format!(
        "Unable to subscribe to changes with given parameters. Please check Realtime is enabled for the given connect parameters: [event: {}, schema: {}, table: {}, filters: {}, select: nil]",
        field("event"),
        field("schema"),
        field("table"),
        filters
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_a_realtime_js_join() {
        let p = json!({
            "config": {
                "broadcast": {"ack": true, "self": "TRUE"},
                "presence": {"key": "u1", "enabled": true},
                "postgres_changes": [{"event":"INSERT","schema":"public","table":"m"}],
                "private": true
            },
            "access_token": "tok"
        });
        let c = JoinConfig::parse(&p);
        assert!(c.ack && c.self_broadcast && c.presence_enabled && c.private && c.has_config);
        assert_eq!(c.presence_key.as_deref(), Some("u1"));
        assert_eq!(c.postgres_changes.len(), 1);
        assert_eq!(c.token("apikey"), "tok");
    }

    #[test]
    fn defaults_and_coercion() {
        let c = JoinConfig::parse(
            &json!({"config": {"broadcast": {"ack": "yes"}, "presence": {"key": ""}}}),
        );
        assert!(!c.ack && !c.self_broadcast && !c.presence_enabled && !c.private);
        assert_eq!(c.presence_key, None);
        assert_eq!(c.token("apikey"), "apikey");
        let sb = JoinConfig::parse(&json!({"access_token": "sb_publishable_x"}));
        assert_eq!(sb.token("apikey"), "apikey");
        let user = JoinConfig::parse(&json!({"access_token": "a", "user_token": "u"}));
        assert_eq!(user.token("apikey"), "u");
        assert!(!JoinConfig::parse(&json!("not an object")).has_config);
    }

    #[test]
    fn legacy_topic_bindings() {
        let c = JoinConfig::parse(&json!({}));
        assert_eq!(
            c.bindings("public:messages:id=eq.1"),
            vec![json!({"schema":"public","table":"messages","filter":"id=eq.1"})]
        );
        let n = JoinConfig::parse(&json!({"config": {}}));
        assert!(n.bindings("room").is_empty());
    }

    #[test]
    fn reply_echoes_bindings_with_stable_ids() {
        let b = vec![
            json!({"event":"INSERT","schema":"public","table":"m","filter":"a=eq.1"}),
            json!({"event":"*","schema":"public"}),
        ];
        let r = bindings_reply(&b);
        let list = r.as_array().unwrap();
        assert_eq!(list[0]["event"], "INSERT");
        assert_eq!(list[0]["filter"], "a=eq.1");
        assert_eq!(list[1]["schema"], "public");
        let id0 = list[0]["id"].as_u64().unwrap();
        assert!(id0 < 1 << 27);
        assert_ne!(id0, list[1]["id"].as_u64().unwrap());
        assert_eq!(bindings_reply(&b), r);
    }

    #[test]
    fn topics() {
        assert_eq!(subtopic("realtime:room:1"), Ok("room:1"));
        assert_eq!(subtopic("realtime:"), Err(TopicError::NameRequired));
        assert_eq!(subtopic("phoenix"), Err(TopicError::Unmatched));
        assert!(postgres_changes_unavailable(
            &json!({"event":"INSERT","schema":"public","table":"m"})
        )
        .contains("event: INSERT, schema: public, table: m, filters: []"));
    }
}

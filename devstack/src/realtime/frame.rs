//! Phoenix channel frames as Supabase Realtime speaks them: the JSON object
//! form of serializer 1.0.0, the JSON array form of 2.0.0, and the binary
//! user-broadcast frames of 2.0.0. Pure encoding and decoding, no I/O.

use serde_json::{Map, Value};
use std::fmt;

/// The serializer a socket negotiated with its `vsn` query parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Vsn {
    /// `1.0.0`: text frames holding JSON objects.
    V1,
    /// `2.0.0`: text frames holding JSON arrays, plus binary broadcast frames.
    V2,
}

impl Vsn {
    /// Reads the `vsn` query parameter. Phoenix treats a missing value as
    /// `1.0.0`; any 1.x or 2.x version selects that major serializer.
    pub fn from_query(vsn: Option<&str>) -> Result<Vsn, FrameError> {
        match vsn {
            None => Ok(Vsn::V1),
            Some(v) if v == "1" || v.starts_with("1.") => Ok(Vsn::V1),
            Some(v) if v == "2" || v.starts_with("2.") => Ok(Vsn::V2),
            Some(v) => Err(FrameError::UnsupportedVsn(v.to_string())),
        }
    }
}

/// How a user broadcast carries its payload bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// Opaque bytes (`ArrayBuffer` on the client).
    Binary,
    /// UTF-8 JSON text.
    Json,
}

impl Encoding {
    fn from_byte(b: u8) -> Encoding {
        // Realtime's decoder treats every non-zero value as JSON.
        if b == 0 {
            Encoding::Binary
        } else {
            Encoding::Json
        }
    }

    fn byte(self) -> u8 {
        match self {
            Encoding::Binary => 0,
            Encoding::Json => 1,
        }
    }
}

/// A broadcast whose user event and payload travel outside a JSON envelope
/// (kind 3 from clients, kind 4 to clients, and database broadcasts).
#[derive(Debug, Clone, PartialEq)]
pub struct UserBroadcast {
    /// The user's event name (`payload.event` in the JSON form).
    pub event: String,
    /// How `payload` is encoded.
    pub encoding: Encoding,
    /// The user payload exactly as received.
    pub payload: Vec<u8>,
    /// Optional metadata object (for example `{"id": ...}` on database messages).
    pub metadata: Option<Map<String, Value>>,
}

impl UserBroadcast {
    /// The JSON broadcast payload a 1.0.0 client receives for this message:
    /// `{"type":"broadcast","event":…,"payload":…,"meta"?:…}`. `None` when the
    /// payload is binary or not valid JSON, which JSON clients cannot receive.
    pub fn to_json_payload(&self) -> Option<Value> {
        if self.encoding != Encoding::Json {
            return None;
        }
        let payload: Value = serde_json::from_slice(&self.payload).ok()?;
        let mut obj = Map::new();
        obj.insert("type".into(), Value::String("broadcast".into()));
        obj.insert("event".into(), Value::String(self.event.clone()));
        obj.insert("payload".into(), payload);
        if let Some(meta) = &self.metadata {
            obj.insert("meta".into(), Value::Object(meta.clone()));
        }
        Some(Value::Object(obj))
    }
}

/// What a client frame carries besides its routing fields.
#[derive(Debug, Clone, PartialEq)]
pub enum InPayload {
    /// A JSON object (every text frame; Realtime requires objects).
    Json(Value),
    /// A kind-3 user broadcast push.
    User(UserBroadcast),
    /// A kind-0 binary push: raw bytes that no Realtime event accepts.
    Raw(Vec<u8>),
}

/// A decoded client frame.
#[derive(Debug, Clone, PartialEq)]
pub struct Inbound {
    /// The `ref` of the join push of the channel instance, if sent.
    pub join_ref: Option<String>,
    /// This push's id; replies echo it.
    pub ref_: Option<String>,
    /// Full topic, e.g. `realtime:room:1` or `phoenix`.
    pub topic: String,
    /// Phoenix event name (`phx_join`, `broadcast`, …).
    pub event: String,
    /// The payload.
    pub payload: InPayload,
}

impl Inbound {
    /// The JSON payload, or an empty object for binary payloads.
    pub fn json(&self) -> Value {
        match &self.payload {
            InPayload::Json(v) => v.clone(),
            _ => Value::Object(Map::new()),
        }
    }
}

/// A server frame with a JSON payload.
#[derive(Debug, Clone, PartialEq)]
pub struct Outbound {
    /// Join ref of the channel instance (dropped by the 1.0.0 encoder).
    pub join_ref: Option<String>,
    /// Ref of the push being replied to, if any.
    pub ref_: Option<String>,
    /// Full topic.
    pub topic: String,
    /// Event name.
    pub event: String,
    /// Payload object.
    pub payload: Value,
}

impl Outbound {
    /// A `phx_reply` frame with `{"status":…,"response":…}`.
    pub fn reply(
        join_ref: Option<String>,
        ref_: Option<String>,
        topic: &str,
        ok: bool,
        response: Value,
    ) -> Outbound {
        let status = if ok { "ok" } else { "error" };
        Outbound {
            join_ref,
            ref_,
            topic: topic.to_string(),
            event: "phx_reply".into(),
            payload: serde_json::json!({ "status": status, "response": response }),
        }
    }

    /// A push with no ref (fan-out messages and channel pushes).
    pub fn push(join_ref: Option<String>, topic: &str, event: &str, payload: Value) -> Outbound {
        Outbound {
            join_ref,
            ref_: None,
            topic: topic.to_string(),
            event: event.to_string(),
            payload,
        }
    }
}

/// Why a client frame could not be decoded. Each one closes the socket, as a
/// decoding crash does in Phoenix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FrameError {
    /// The `vsn` query parameter names no serializer this server has.
    UnsupportedVsn(String),
    /// The text was not JSON.
    NotJson(String),
    /// The JSON had the wrong shape for this serializer.
    BadShape(&'static str),
    /// A binary frame on a 1.0.0 socket.
    BinaryOnV1,
    /// A binary frame whose kind byte no client may send.
    UnknownKind(u8),
    /// A binary frame shorter than its header says.
    Truncated,
    /// A header string that is not UTF-8.
    BadUtf8,
    /// Binary metadata that is not a JSON object.
    BadMetadata,
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FrameError::UnsupportedVsn(v) => write!(f, "unsupported serializer version {v:?}"),
            FrameError::NotJson(e) => write!(f, "frame is not JSON: {e}"),
            FrameError::BadShape(what) => write!(f, "malformed frame: {what}"),
            FrameError::BinaryOnV1 => f.write_str("binary frames need vsn 2.0.0"),
            FrameError::UnknownKind(k) => write!(f, "unknown binary frame kind {k}"),
            FrameError::Truncated => f.write_str("binary frame shorter than its header"),
            FrameError::BadUtf8 => f.write_str("binary frame header is not UTF-8"),
            FrameError::BadMetadata => f.write_str("binary frame metadata is not a JSON object"),
        }
    }
}

impl std::error::Error for FrameError {}

const KIND_PUSH: u8 = 0;
const KIND_USER_BROADCAST_PUSH: u8 = 3;
const KIND_USER_BROADCAST: u8 = 4;

fn opt_string(v: Option<&Value>, what: &'static str) -> Result<Option<String>, FrameError> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        // Some clients send numeric refs; Phoenix keeps whatever came.
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(_) => Err(FrameError::BadShape(what)),
    }
}

fn req_string(v: Option<&Value>, what: &'static str) -> Result<String, FrameError> {
    match v {
        Some(Value::String(s)) => Ok(s.clone()),
        _ => Err(FrameError::BadShape(what)),
    }
}

/// Decodes a text frame for the given serializer.
pub fn decode_text(vsn: Vsn, text: &str) -> Result<Inbound, FrameError> {
    let value: Value =
        serde_json::from_str(text).map_err(|e| FrameError::NotJson(e.to_string()))?;
    match vsn {
        Vsn::V1 => {
            let Value::Object(obj) = value else {
                return Err(FrameError::BadShape("expected a JSON object"));
            };
            let payload = obj
                .get("payload")
                .cloned()
                .ok_or(FrameError::BadShape("missing payload"))?;
            Ok(Inbound {
                join_ref: opt_string(obj.get("join_ref"), "join_ref")?,
                ref_: opt_string(obj.get("ref"), "ref")?,
                topic: req_string(obj.get("topic"), "topic must be a string")?,
                event: req_string(obj.get("event"), "event must be a string")?,
                payload: InPayload::Json(payload),
            })
        }
        Vsn::V2 => {
            let Value::Array(mut items) = value else {
                return Err(FrameError::BadShape("expected a JSON array"));
            };
            if items.len() < 5 {
                return Err(FrameError::BadShape("expected at least 5 elements"));
            }
            let payload = items.swap_remove(4);
            Ok(Inbound {
                join_ref: opt_string(items.first(), "join_ref")?,
                ref_: opt_string(items.get(1), "ref")?,
                topic: req_string(items.get(2), "topic must be a string")?,
                event: req_string(items.get(3), "event must be a string")?,
                payload: InPayload::Json(payload),
            })
        }
    }
}

/// Cuts length-prefixed strings off the front of a buffer.
struct Cursor<'a> {
    buf: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], FrameError> {
        let end = self.at.checked_add(n).ok_or(FrameError::Truncated)?;
        let out = self.buf.get(self.at..end).ok_or(FrameError::Truncated)?;
        self.at = end;
        Ok(out)
    }

    fn string(&mut self, n: usize) -> Result<String, FrameError> {
        let bytes = self.take(n)?;
        String::from_utf8(bytes.to_vec()).map_err(|_| FrameError::BadUtf8)
    }

    fn rest(&self) -> &'a [u8] {
        &self.buf[self.at.min(self.buf.len())..]
    }
}

fn non_empty(s: String) -> Option<String> {
    if s.is_empty() {
        None
    } else {
        Some(s)
    }
}

/// Decodes a binary frame (vsn 2.0.0 only).
///
/// Kind 3 exists in two header layouts: realtime-js 2.81–2.84 wrote five
/// length/flag bytes (join_ref, ref, topic, event, encoding); 2.85 and later
/// insert a metadata length before the encoding byte. In the old layout the
/// byte after the encoding flag is the first byte of a header string, which
/// is never 0 or 1 (a topic is non-empty text), while in the new layout that
/// byte is the encoding flag itself; that tells them apart.
pub fn decode_binary(vsn: Vsn, buf: &[u8]) -> Result<Inbound, FrameError> {
    if vsn == Vsn::V1 {
        return Err(FrameError::BinaryOnV1);
    }
    let kind = *buf.first().ok_or(FrameError::Truncated)?;
    match kind {
        KIND_PUSH => {
            let lens = buf.get(1..5).ok_or(FrameError::Truncated)?;
            let mut c = Cursor { buf, at: 5 };
            let join_ref = c.string(lens[0] as usize)?;
            let ref_ = c.string(lens[1] as usize)?;
            let topic = c.string(lens[2] as usize)?;
            let event = c.string(lens[3] as usize)?;
            Ok(Inbound {
                join_ref: non_empty(join_ref),
                ref_: non_empty(ref_),
                topic,
                event,
                payload: InPayload::Raw(c.rest().to_vec()),
            })
        }
        KIND_USER_BROADCAST_PUSH => {
            let header = buf.get(1..6).ok_or(FrameError::Truncated)?;
            let new_layout = header[4] > 1 || matches!(buf.get(6), Some(0 | 1));
            let (meta_len, encoding, start) = if new_layout {
                let enc = *buf.get(6).ok_or(FrameError::Truncated)?;
                (header[4] as usize, Encoding::from_byte(enc), 7)
            } else {
                (0, Encoding::from_byte(header[4]), 6)
            };
            let mut c = Cursor { buf, at: start };
            let join_ref = c.string(header[0] as usize)?;
            let ref_ = c.string(header[1] as usize)?;
            let topic = c.string(header[2] as usize)?;
            let event = c.string(header[3] as usize)?;
            let metadata = if meta_len > 0 {
                match serde_json::from_slice::<Value>(c.take(meta_len)?) {
                    Ok(Value::Object(m)) => Some(m),
                    _ => return Err(FrameError::BadMetadata),
                }
            } else {
                None
            };
            Ok(Inbound {
                join_ref: non_empty(join_ref),
                ref_: non_empty(ref_),
                topic,
                event: "broadcast".into(),
                payload: InPayload::User(UserBroadcast {
                    event,
                    encoding,
                    payload: c.rest().to_vec(),
                    metadata,
                }),
            })
        }
        other => Err(FrameError::UnknownKind(other)),
    }
}

/// Encodes a JSON frame as text for the given serializer.
pub fn encode_text(vsn: Vsn, msg: &Outbound) -> String {
    let value = match vsn {
        Vsn::V1 => {
            let mut obj = Map::new();
            obj.insert("topic".into(), Value::String(msg.topic.clone()));
            obj.insert("event".into(), Value::String(msg.event.clone()));
            obj.insert("payload".into(), msg.payload.clone());
            obj.insert("ref".into(), opt_value(&msg.ref_));
            Value::Object(obj)
        }
        Vsn::V2 => Value::Array(vec![
            opt_value(&msg.join_ref),
            opt_value(&msg.ref_),
            Value::String(msg.topic.clone()),
            Value::String(msg.event.clone()),
            msg.payload.clone(),
        ]),
    };
    value.to_string()
}

fn opt_value(v: &Option<String>) -> Value {
    v.as_ref().map_or(Value::Null, |s| Value::String(s.clone()))
}

/// Why a kind-4 frame could not be built: a header string over 255 bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderTooLong(pub &'static str);

/// Encodes a kind-4 user broadcast for a 2.0.0 client:
/// `[4, topic_len, event_len, meta_len, encoding, topic, event, meta, payload]`.
pub fn encode_user_broadcast(topic: &str, msg: &UserBroadcast) -> Result<Vec<u8>, HeaderTooLong> {
    let meta = msg
        .metadata
        .as_ref()
        .map(|m| Value::Object(m.clone()).to_string())
        .unwrap_or_default();
    let len = |s: &[u8], what| u8::try_from(s.len()).map_err(|_| HeaderTooLong(what));
    let topic_len = len(topic.as_bytes(), "topic")?;
    let event_len = len(msg.event.as_bytes(), "event")?;
    let meta_len = len(meta.as_bytes(), "metadata")?;
    let mut out =
        Vec::with_capacity(5 + topic.len() + msg.event.len() + meta.len() + msg.payload.len());
    out.extend_from_slice(&[
        KIND_USER_BROADCAST,
        topic_len,
        event_len,
        meta_len,
        msg.encoding.byte(),
    ]);
    out.extend_from_slice(topic.as_bytes());
    out.extend_from_slice(msg.event.as_bytes());
    out.extend_from_slice(meta.as_bytes());
    out.extend_from_slice(&msg.payload);
    Ok(out)
}

/// Decodes a kind-4 frame (what a 2.0.0 client receives), for clients and
/// tests: returns the topic and the broadcast.
pub fn decode_user_broadcast(buf: &[u8]) -> Result<(String, UserBroadcast), FrameError> {
    if buf.first() != Some(&KIND_USER_BROADCAST) {
        return Err(FrameError::UnknownKind(buf.first().copied().unwrap_or(255)));
    }
    let h = buf.get(1..5).ok_or(FrameError::Truncated)?;
    let mut c = Cursor { buf, at: 5 };
    let topic = c.string(h[0] as usize)?;
    let event = c.string(h[1] as usize)?;
    let metadata = if h[2] > 0 {
        match serde_json::from_slice::<Value>(c.take(h[2] as usize)?) {
            Ok(Value::Object(m)) => Some(m),
            _ => return Err(FrameError::BadMetadata),
        }
    } else {
        None
    };
    Ok((
        topic,
        UserBroadcast {
            event,
            encoding: Encoding::from_byte(h[3]),
            payload: c.rest().to_vec(),
            metadata,
        },
    ))
}

/// Encodes a kind-3 user broadcast push as realtime-js does, in the newer
/// layout (`old_layout = false`, with a metadata length) or the layout of
/// realtime-js 2.81–2.84. Used by tests and the benchmark client.
pub fn encode_user_broadcast_push(
    join_ref: &str,
    ref_: &str,
    topic: &str,
    msg: &UserBroadcast,
    old_layout: bool,
) -> Vec<u8> {
    let meta = msg
        .metadata
        .as_ref()
        .map(|m| Value::Object(m.clone()).to_string())
        .unwrap_or_default();
    let mut out = vec![
        KIND_USER_BROADCAST_PUSH,
        join_ref.len() as u8,
        ref_.len() as u8,
        topic.len() as u8,
        msg.event.len() as u8,
    ];
    if old_layout {
        out.push(msg.encoding.byte());
    } else {
        out.push(meta.len() as u8);
        out.push(msg.encoding.byte());
    }
    out.extend_from_slice(join_ref.as_bytes());
    out.extend_from_slice(ref_.as_bytes());
    out.extend_from_slice(topic.as_bytes());
    out.extend_from_slice(msg.event.as_bytes());
    if !old_layout {
        out.extend_from_slice(meta.as_bytes());
    }
    out.extend_from_slice(&msg.payload);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ub(event: &str, encoding: Encoding, payload: &[u8]) -> UserBroadcast {
        UserBroadcast {
            event: event.into(),
            encoding,
            payload: payload.to_vec(),
            metadata: None,
        }
    }

    #[test]
    fn vsn_negotiation() {
        assert_eq!(Vsn::from_query(None), Ok(Vsn::V1));
        assert_eq!(Vsn::from_query(Some("1.0.0")), Ok(Vsn::V1));
        assert_eq!(Vsn::from_query(Some("2.0.0")), Ok(Vsn::V2));
        assert!(matches!(
            Vsn::from_query(Some("3.0.0")),
            Err(FrameError::UnsupportedVsn(_))
        ));
    }

    #[test]
    fn v1_text_round_trip() {
        let m = decode_text(
            Vsn::V1,
            r#"{"topic":"realtime:a","event":"phx_join","payload":{"x":1},"ref":"1","join_ref":"1"}"#,
        )
        .unwrap();
        assert_eq!(m.topic, "realtime:a");
        assert_eq!(m.event, "phx_join");
        assert_eq!(m.ref_.as_deref(), Some("1"));
        assert_eq!(m.join_ref.as_deref(), Some("1"));
        assert_eq!(m.json(), json!({"x":1}));

        let out = Outbound::reply(
            Some("1".into()),
            Some("1".into()),
            "realtime:a",
            true,
            json!({}),
        );
        let text: Value = serde_json::from_str(&encode_text(Vsn::V1, &out)).unwrap();
        assert_eq!(
            text,
            json!({"topic":"realtime:a","event":"phx_reply","payload":{"status":"ok","response":{}},"ref":"1"})
        );
    }

    #[test]
    fn v1_join_ref_is_optional_but_payload_is_not() {
        let m = decode_text(
            Vsn::V1,
            r#"{"topic":"phoenix","event":"heartbeat","payload":{},"ref":"5"}"#,
        )
        .unwrap();
        assert_eq!(m.join_ref, None);
        assert!(matches!(
            decode_text(
                Vsn::V1,
                r#"{"topic":"phoenix","event":"heartbeat","ref":"5"}"#
            ),
            Err(FrameError::BadShape(_))
        ));
        assert!(matches!(
            decode_text(Vsn::V1, "[1,2,3,4,5]"),
            Err(FrameError::BadShape(_))
        ));
        assert!(matches!(
            decode_text(Vsn::V1, "nope"),
            Err(FrameError::NotJson(_))
        ));
    }

    #[test]
    fn v2_text_round_trip() {
        let m = decode_text(Vsn::V2, r#"[null,"2","phoenix","heartbeat",{},"extra"]"#).unwrap();
        assert_eq!(m.join_ref, None);
        assert_eq!(m.ref_.as_deref(), Some("2"));
        assert_eq!(m.topic, "phoenix");
        assert!(matches!(
            decode_text(Vsn::V2, r#"[null,"2","phoenix"]"#),
            Err(FrameError::BadShape(_))
        ));
        assert!(matches!(
            decode_text(Vsn::V2, r#"{"topic":"x"}"#),
            Err(FrameError::BadShape(_))
        ));

        let out = Outbound::push(Some("1".into()), "realtime:a", "presence_state", json!({}));
        assert_eq!(
            encode_text(Vsn::V2, &out),
            r#"["1",null,"realtime:a","presence_state",{}]"#
        );
    }

    #[test]
    fn kind3_new_layout() {
        let mut msg = ub("typing", Encoding::Json, br#"{"on":true}"#);
        msg.metadata = Some(json!({"k":"v"}).as_object().unwrap().clone());
        let bin = encode_user_broadcast_push("1", "3", "realtime:room:42", &msg, false);
        let m = decode_binary(Vsn::V2, &bin).unwrap();
        assert_eq!(m.join_ref.as_deref(), Some("1"));
        assert_eq!(m.ref_.as_deref(), Some("3"));
        assert_eq!(m.topic, "realtime:room:42");
        assert_eq!(m.event, "broadcast");
        assert_eq!(m.payload, InPayload::User(msg));
    }

    #[test]
    fn kind3_new_layout_without_metadata() {
        let msg = ub("e", Encoding::Binary, &[0, 1, 2, 255]);
        let bin = encode_user_broadcast_push("12", "", "realtime:x", &msg, false);
        let m = decode_binary(Vsn::V2, &bin).unwrap();
        assert_eq!(m.ref_, None);
        assert_eq!(m.payload, InPayload::User(msg));
    }

    #[test]
    fn kind3_old_layout() {
        for enc in [Encoding::Json, Encoding::Binary] {
            let msg = ub("new_message", enc, br#"{"text":"hi"}"#);
            let bin = encode_user_broadcast_push("1", "5", "realtime:room:42", &msg, true);
            let m = decode_binary(Vsn::V2, &bin).unwrap();
            assert_eq!(m.topic, "realtime:room:42");
            assert_eq!(m.join_ref.as_deref(), Some("1"));
            assert_eq!(m.payload, InPayload::User(msg));
        }
        // Empty refs: the first header string is the topic.
        let msg = ub("e", Encoding::Json, b"{}");
        let bin = encode_user_broadcast_push("", "", "realtime:t", &msg, true);
        assert_eq!(
            decode_binary(Vsn::V2, &bin).unwrap().payload,
            InPayload::User(msg)
        );
    }

    #[test]
    fn binary_errors() {
        assert_eq!(decode_binary(Vsn::V1, &[3]), Err(FrameError::BinaryOnV1));
        assert_eq!(decode_binary(Vsn::V2, &[]), Err(FrameError::Truncated));
        assert_eq!(
            decode_binary(Vsn::V2, &[4, 0, 0, 0, 0]),
            Err(FrameError::UnknownKind(4))
        );
        assert_eq!(
            decode_binary(Vsn::V2, &[3, 1, 1, 200, 1, 0, 1]),
            Err(FrameError::Truncated)
        );
        let mut bad = encode_user_broadcast_push(
            "1",
            "1",
            "realtime:t",
            &ub("e", Encoding::Json, b"1"),
            false,
        );
        bad[7] = 0xff; // first byte of join_ref
        assert_eq!(decode_binary(Vsn::V2, &bad), Err(FrameError::BadUtf8));
        let bad_meta = [3, 0, 0, 1, 1, 2, 1, b't', b'e', b'[', b']'];
        assert_eq!(
            decode_binary(Vsn::V2, &bad_meta),
            Err(FrameError::BadMetadata)
        );
    }

    #[test]
    fn kind0_push_is_raw() {
        let mut bin = vec![0, 1, 1, 3, 2];
        bin.extend_from_slice(b"12top");
        bin.extend_from_slice(b"ev");
        bin.extend_from_slice(&[9, 9]);
        let m = decode_binary(Vsn::V2, &bin).unwrap();
        assert_eq!(m.topic, "top");
        assert_eq!(m.event, "ev");
        assert_eq!(m.payload, InPayload::Raw(vec![9, 9]));
    }

    #[test]
    fn kind4_round_trip_and_json_form() {
        let mut msg = ub("ev", Encoding::Json, br#"{"a":[1,2]}"#);
        msg.metadata = Some(json!({"id":"abc"}).as_object().unwrap().clone());
        let bin = encode_user_broadcast("realtime:t", &msg).unwrap();
        assert_eq!(&bin[..5], &[4, 10, 2, 12, 1]);
        let (topic, back) = decode_user_broadcast(&bin).unwrap();
        assert_eq!(topic, "realtime:t");
        assert_eq!(back, msg);
        assert_eq!(
            msg.to_json_payload(),
            Some(
                json!({"type":"broadcast","event":"ev","payload":{"a":[1,2]},"meta":{"id":"abc"}})
            )
        );
        assert_eq!(ub("ev", Encoding::Binary, b"{}").to_json_payload(), None);
        assert_eq!(ub("ev", Encoding::Json, b"{oops").to_json_payload(), None);
        let long = "x".repeat(256);
        assert_eq!(
            encode_user_broadcast(&long, &msg),
            Err(HeaderTooLong("topic"))
        );
    }
}

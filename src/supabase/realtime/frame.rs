//! Phoenix channel frames and their two text encodings.
//!
//! Every message on the socket has five fields: `join_ref`, `ref`, `topic`,
//! `event` and `payload`. Protocol version 1.0.0 sends them as a JSON object,
//! 2.0.0 as a JSON array in that order; 2.0.0 servers may also send a
//! binary "user broadcast" frame (kind 4), which [`Frame::decode_binary`]
//! turns into the same `broadcast` frame a text message would give.
//!
//! ```
//! use serde_json::json;
//! use workflow_chat::supabase::realtime::{Frame, Vsn};
//!
//! let heartbeat = Frame::new(None, Some("2".into()), "phoenix", "heartbeat", json!({}));
//! assert_eq!(heartbeat.encode(Vsn::V2), r#"[null,"2","phoenix","heartbeat",{}]"#);
//! assert_eq!(Frame::decode(&heartbeat.encode(Vsn::V1), Vsn::V1).unwrap(), heartbeat);
//! ```

use std::fmt;

use serde_json::{json, Map, Value};

/// Protocol version, as given in the socket URL's `vsn` parameter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Vsn {
    /// `1.0.0`: JSON objects.
    #[default]
    V1,
    /// `2.0.0`: JSON arrays (and binary broadcasts).
    V2,
}

impl Vsn {
    /// The value of the `vsn` URL parameter.
    pub fn as_str(self) -> &'static str {
        match self {
            Vsn::V1 => "1.0.0",
            Vsn::V2 => "2.0.0",
        }
    }
}

/// One Phoenix message.
#[derive(Clone, Debug, PartialEq)]
pub struct Frame {
    /// `ref` of the join that opened this channel instance.
    pub join_ref: Option<String>,
    /// Per-push id; replies echo it.
    pub r#ref: Option<String>,
    /// Channel topic, e.g. `realtime:chat:<uuid>`, or `phoenix`.
    pub topic: String,
    /// Event name, e.g. `phx_join`, `broadcast`.
    pub event: String,
    /// JSON payload (an object in every Supabase message).
    pub payload: Value,
}

/// Why a received message could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FrameError {
    /// Not JSON.
    Json(String),
    /// JSON, but not a frame of the expected version's shape.
    Shape(&'static str),
    /// A binary frame of a kind the client does not accept.
    UnsupportedBinary(u8),
    /// A binary frame shorter than its header says.
    Truncated,
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FrameError::Json(e) => write!(f, "frame is not JSON: {e}"),
            FrameError::Shape(what) => write!(f, "malformed frame: {what}"),
            FrameError::UnsupportedBinary(kind) => {
                write!(f, "unsupported binary frame kind {kind}")
            }
            FrameError::Truncated => f.write_str("binary frame is truncated"),
        }
    }
}

impl std::error::Error for FrameError {}

/// Binary frame kind the server uses to relay a client broadcast.
const KIND_USER_BROADCAST: u8 = 4;
/// Binary frame kind a client uses to send a broadcast.
const KIND_USER_BROADCAST_PUSH: u8 = 3;
/// Payload encodings inside binary broadcast frames.
const ENCODING_BINARY: u8 = 0;
const ENCODING_JSON: u8 = 1;

impl Frame {
    /// A frame from its parts.
    pub fn new(
        join_ref: Option<String>,
        r#ref: Option<String>,
        topic: impl Into<String>,
        event: impl Into<String>,
        payload: Value,
    ) -> Frame {
        Frame {
            join_ref,
            r#ref,
            topic: topic.into(),
            event: event.into(),
            payload,
        }
    }

    /// Text encoding for the given version.
    pub fn encode(&self, vsn: Vsn) -> String {
        let value = match vsn {
            Vsn::V1 => {
                let mut object = Map::new();
                object.insert("topic".into(), Value::from(self.topic.as_str()));
                object.insert("event".into(), Value::from(self.event.as_str()));
                object.insert("payload".into(), self.payload.clone());
                object.insert("ref".into(), opt(&self.r#ref));
                if self.join_ref.is_some() {
                    object.insert("join_ref".into(), opt(&self.join_ref));
                }
                Value::Object(object)
            }
            Vsn::V2 => json!([
                opt(&self.join_ref),
                opt(&self.r#ref),
                self.topic,
                self.event,
                self.payload
            ]),
        };
        value.to_string()
    }

    /// Reads a text message of the given version.
    pub fn decode(text: &str, vsn: Vsn) -> Result<Frame, FrameError> {
        let value: Value =
            serde_json::from_str(text).map_err(|e| FrameError::Json(e.to_string()))?;
        match vsn {
            Vsn::V1 => {
                let Value::Object(mut object) = value else {
                    return Err(FrameError::Shape("a 1.0.0 frame is a JSON object"));
                };
                Ok(Frame {
                    join_ref: reference(object.remove("join_ref"))?,
                    r#ref: reference(object.remove("ref"))?,
                    topic: string(object.remove("topic"), "topic")?,
                    event: string(object.remove("event"), "event")?,
                    payload: object.remove("payload").unwrap_or_else(|| json!({})),
                })
            }
            Vsn::V2 => {
                let Value::Array(items) = value else {
                    return Err(FrameError::Shape("a 2.0.0 frame is a JSON array"));
                };
                if items.len() < 5 {
                    return Err(FrameError::Shape("a 2.0.0 frame has five elements"));
                }
                let mut items = items.into_iter();
                let mut next = || items.next();
                Ok(Frame {
                    join_ref: reference(next())?,
                    r#ref: reference(next())?,
                    topic: string(next(), "topic")?,
                    event: string(next(), "event")?,
                    payload: next().unwrap_or(Value::Null),
                })
            }
        }
    }

    /// Reads a binary (2.0.0) message. Only the server's user-broadcast kind
    /// exists in that direction; it becomes a `broadcast` frame whose
    /// payload is `{"type":"broadcast","event":…,"payload":…[,"meta":…]}`.
    /// A raw-binary user payload is kept as an array of byte values.
    pub fn decode_binary(bytes: &[u8]) -> Result<Frame, FrameError> {
        let (&kind, rest) = bytes.split_first().ok_or(FrameError::Truncated)?;
        if kind != KIND_USER_BROADCAST {
            return Err(FrameError::UnsupportedBinary(kind));
        }
        let [topic_len, event_len, meta_len, encoding, ..] = *rest else {
            return Err(FrameError::Truncated);
        };
        let mut body = Cursor(&rest[4..]);
        let topic = body.text(topic_len)?;
        let event = body.text(event_len)?;
        let meta = body.take(meta_len as usize)?;
        let data = body.0;
        let user_payload = match encoding {
            ENCODING_JSON => {
                serde_json::from_slice(data).map_err(|e| FrameError::Json(e.to_string()))?
            }
            ENCODING_BINARY => Value::from(data.to_vec()),
            _ => return Err(FrameError::Shape("unknown payload encoding")),
        };
        let mut payload = json!({"type": "broadcast", "event": event, "payload": user_payload});
        if !meta.is_empty() {
            let meta: Value =
                serde_json::from_slice(meta).map_err(|e| FrameError::Json(e.to_string()))?;
            payload["meta"] = meta;
        }
        Ok(Frame::new(None, None, topic, "broadcast", payload))
    }

    /// Binary (2.0.0) encoding of a client broadcast push: the frame must be
    /// a `broadcast` whose payload has a string `event` and a JSON `payload`.
    /// Returns `None` for any other frame, or when a field exceeds the
    /// format's 255-byte length limit; such frames go as text.
    pub fn encode_binary_broadcast(&self) -> Option<Vec<u8>> {
        if self.event != "broadcast" {
            return None;
        }
        let user_event = self.payload.get("event")?.as_str()?;
        let user_payload = self.payload.get("payload").cloned().unwrap_or(json!({}));
        let join_ref = self.join_ref.as_deref().unwrap_or("");
        let r#ref = self.r#ref.as_deref().unwrap_or("");
        let lengths = [
            join_ref.len(),
            r#ref.len(),
            self.topic.len(),
            user_event.len(),
        ];
        if lengths.iter().any(|&l| l > u8::MAX as usize) {
            return None;
        }
        let data = user_payload.to_string();
        let mut out = Vec::with_capacity(7 + lengths.iter().sum::<usize>() + data.len());
        out.push(KIND_USER_BROADCAST_PUSH);
        out.extend(lengths.iter().map(|&l| l as u8));
        out.push(0); // no metadata
        out.push(ENCODING_JSON);
        for part in [join_ref, r#ref, self.topic.as_str(), user_event] {
            out.extend_from_slice(part.as_bytes());
        }
        out.extend_from_slice(data.as_bytes());
        Some(out)
    }
}

struct Cursor<'a>(&'a [u8]);

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], FrameError> {
        if self.0.len() < n {
            return Err(FrameError::Truncated);
        }
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        Ok(head)
    }

    fn text(&mut self, n: u8) -> Result<String, FrameError> {
        let bytes = self.take(n as usize)?;
        String::from_utf8(bytes.to_vec()).map_err(|_| FrameError::Shape("string is not UTF-8"))
    }
}

fn opt(value: &Option<String>) -> Value {
    value.as_deref().map_or(Value::Null, Value::from)
}

/// Refs are strings; some servers send numbers, which are read as their text.
fn reference(value: Option<Value>) -> Result<Option<String>, FrameError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(_) => Err(FrameError::Shape("ref is neither a string nor null")),
    }
}

fn string(value: Option<Value>, what: &'static str) -> Result<String, FrameError> {
    match value {
        Some(Value::String(s)) => Ok(s),
        _ => Err(FrameError::Shape(match what {
            "topic" => "topic is missing or not a string",
            _ => "event is missing or not a string",
        })),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Frames quoted from the wire reference (sections 1.2, 1.4, 1.6, 1.18).
    const V2_JOIN: &str = r#"["1","1","realtime:room:42","phx_join",{"config":{"broadcast":{"ack":true,"self":false},"presence":{"key":"u1","enabled":true},"postgres_changes":[],"private":true},"access_token":"eyJ"}]"#;
    const V2_REPLY: &str = r#"["1","1","realtime:room:42","phx_reply",{"status":"ok","response":{"postgres_changes":[{"event":"INSERT","schema":"public","table":"messages","filter":"room_id=eq.42","id":33497592}]}}]"#;
    const V2_PRESENCE_STATE: &str = r#"["1",null,"realtime:room:42","presence_state",{}]"#;
    const V2_BROADCAST: &str = r#"[null,null,"realtime:room:42","broadcast",{"type":"broadcast","event":"new_message","payload":{"text":"hi"}}]"#;
    const V1_REPLY: &str = r#"{"topic":"phoenix","event":"phx_reply","payload":{"status":"ok","response":{}},"ref":"3"}"#;
    const V1_BROADCAST_PUSH: &str = r#"{"topic":"realtime:room:42","event":"broadcast","ref":"5","join_ref":"1","payload":{"type":"broadcast","event":"new_message","payload":{"text":"hi"}}}"#;

    #[test]
    fn decodes_v2_frames_from_the_reference() {
        let join = Frame::decode(V2_JOIN, Vsn::V2).unwrap();
        assert_eq!(join.join_ref.as_deref(), Some("1"));
        assert_eq!(join.r#ref.as_deref(), Some("1"));
        assert_eq!(join.topic, "realtime:room:42");
        assert_eq!(join.event, "phx_join");
        assert_eq!(join.payload["config"]["private"], json!(true));

        let reply = Frame::decode(V2_REPLY, Vsn::V2).unwrap();
        assert_eq!(
            reply.payload["response"]["postgres_changes"][0]["id"],
            json!(33497592)
        );

        let state = Frame::decode(V2_PRESENCE_STATE, Vsn::V2).unwrap();
        assert_eq!((state.join_ref.as_deref(), state.r#ref), (Some("1"), None));

        let b = Frame::decode(V2_BROADCAST, Vsn::V2).unwrap();
        assert_eq!((b.join_ref, b.r#ref), (None, None));
        assert_eq!(b.payload["payload"]["text"], "hi");
    }

    #[test]
    fn v2_round_trip_is_exact() {
        for text in [V2_JOIN, V2_REPLY, V2_PRESENCE_STATE, V2_BROADCAST] {
            let frame = Frame::decode(text, Vsn::V2).unwrap();
            let again: Value = serde_json::from_str(&frame.encode(Vsn::V2)).unwrap();
            assert_eq!(again, serde_json::from_str::<Value>(text).unwrap());
        }
    }

    #[test]
    fn decodes_and_encodes_v1() {
        let reply = Frame::decode(V1_REPLY, Vsn::V1).unwrap();
        assert_eq!(reply.join_ref, None);
        assert_eq!(reply.r#ref.as_deref(), Some("3"));
        assert_eq!(reply.payload["status"], "ok");

        let push = Frame::decode(V1_BROADCAST_PUSH, Vsn::V1).unwrap();
        let encoded: Value = serde_json::from_str(&push.encode(Vsn::V1)).unwrap();
        assert_eq!(
            encoded,
            serde_json::from_str::<Value>(V1_BROADCAST_PUSH).unwrap()
        );

        // No join_ref: the key is left out rather than sent as null.
        let hb = Frame::new(None, Some("9".into()), "phoenix", "heartbeat", json!({}));
        let encoded: Value = serde_json::from_str(&hb.encode(Vsn::V1)).unwrap();
        assert_eq!(
            encoded,
            json!({"topic":"phoenix","event":"heartbeat","payload":{},"ref":"9"})
        );
    }

    #[test]
    fn lenient_on_numeric_refs_and_extra_elements() {
        let f =
            Frame::decode(r#"{"topic":"t","event":"e","payload":{},"ref":7}"#, Vsn::V1).unwrap();
        assert_eq!(f.r#ref.as_deref(), Some("7"));
        let f = Frame::decode(r#"[null,null,"t","e",{},"extra"]"#, Vsn::V2).unwrap();
        assert_eq!(f.event, "e");
    }

    #[test]
    fn rejects_malformed_frames() {
        assert!(matches!(
            Frame::decode("{", Vsn::V1),
            Err(FrameError::Json(_))
        ));
        assert!(matches!(
            Frame::decode("[]", Vsn::V1),
            Err(FrameError::Shape(_))
        ));
        assert!(matches!(
            Frame::decode("{}", Vsn::V2),
            Err(FrameError::Shape(_))
        ));
        assert!(matches!(
            Frame::decode(r#"[null,null,"t","e"]"#, Vsn::V2),
            Err(FrameError::Shape(_))
        ));
        assert!(matches!(
            Frame::decode(r#"{"event":"e","payload":{}}"#, Vsn::V1),
            Err(FrameError::Shape("topic is missing or not a string"))
        ));
        assert!(matches!(
            Frame::decode(r#"[null,{},"t","e",{}]"#, Vsn::V2),
            Err(FrameError::Shape(_))
        ));
    }

    fn kind4(topic: &str, event: &str, meta: &str, encoding: u8, payload: &[u8]) -> Vec<u8> {
        let mut out = vec![
            4,
            topic.len() as u8,
            event.len() as u8,
            meta.len() as u8,
            encoding,
        ];
        out.extend_from_slice(topic.as_bytes());
        out.extend_from_slice(event.as_bytes());
        out.extend_from_slice(meta.as_bytes());
        out.extend_from_slice(payload);
        out
    }

    #[test]
    fn decodes_binary_user_broadcasts() {
        let bytes = kind4("realtime:room:42", "typing", "", 1, br#"{"on":true}"#);
        let f = Frame::decode_binary(&bytes).unwrap();
        assert_eq!(f.topic, "realtime:room:42");
        assert_eq!(f.event, "broadcast");
        assert_eq!(
            f.payload,
            json!({"type":"broadcast","event":"typing","payload":{"on":true}})
        );

        let bytes = kind4("t", "blob", r#"{"id":"x"}"#, 0, &[1, 2, 255]);
        let f = Frame::decode_binary(&bytes).unwrap();
        assert_eq!(f.payload["payload"], json!([1, 2, 255]));
        assert_eq!(f.payload["meta"], json!({"id":"x"}));

        assert_eq!(
            Frame::decode_binary(&[2, 0, 0]),
            Err(FrameError::UnsupportedBinary(2))
        );
        assert_eq!(
            Frame::decode_binary(&[4, 10, 1, 0, 1, b'a']),
            Err(FrameError::Truncated)
        );
        assert_eq!(Frame::decode_binary(&[]), Err(FrameError::Truncated));
    }

    #[test]
    fn encodes_binary_broadcast_pushes() {
        let f = Frame::decode(V1_BROADCAST_PUSH, Vsn::V1).unwrap();
        let bytes = f.encode_binary_broadcast().unwrap();
        let topic = "realtime:room:42";
        let mut expected = vec![3, 1, 1, topic.len() as u8, 11, 0, 1];
        expected.extend_from_slice(b"15");
        expected.extend_from_slice(topic.as_bytes());
        expected.extend_from_slice(b"new_message");
        expected.extend_from_slice(br#"{"text":"hi"}"#);
        assert_eq!(bytes, expected);
        let hb = Frame::new(None, Some("1".into()), "phoenix", "heartbeat", json!({}));
        assert_eq!(hb.encode_binary_broadcast(), None);
    }
}

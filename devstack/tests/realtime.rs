//! Realtime websocket protocol against a real stack, with a raw client:
//! handshake, framing, heartbeat, joins and their errors, leave/close,
//! broadcast with `self` and `ack`, and the binary frames of vsn 2.0.0.

#[path = "realtime_client.rs"]
mod client;

use client::{env, sign, topic, user_token, Client, Frame};
use devstack::realtime::frame::{encode_user_broadcast_push, Encoding, UserBroadcast, Vsn};
use serde_json::{json, Value};
use std::time::Duration;

const BOTH: [Vsn; 2] = [Vsn::V1, Vsn::V2];
const SHORT: Duration = Duration::from_millis(300);

async fn handshake_error(query: &str) -> (u16, Value) {
    let env = env();
    let url = format!("{}?{}", env.ws_url, query);
    match tokio_tungstenite::connect_async(url).await {
        Ok(_) => panic!("handshake with {query} succeeded"),
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => {
            let body = resp.body().clone().unwrap_or_default();
            (
                resp.status().as_u16(),
                serde_json::from_slice(&body).unwrap_or(Value::Null),
            )
        }
        Err(e) => panic!("unexpected error {e}"),
    }
}

#[tokio::test]
async fn handshake_refusals_have_realtime_statuses_and_texts() {
    let env = env();
    let now = devstack::clock::unix_secs();
    let cases = [
        ("vsn=2.0.0".to_string(), 401, "API key is missing"),
        (
            "apikey=not-a-jwt".to_string(),
            401,
            "The token provided is not a valid JWT",
        ),
        (
            format!(
                "apikey={}",
                devstack::jwt::HmacSecret::new("a wrong secret that is long enough")
                    .sign(&json!({"role":"anon","exp":now+60}))
            ),
            401,
            "Failed to validate JWT signature",
        ),
        (
            format!("apikey={}", sign(&env, json!({"role":"anon","exp":now-10}))),
            401,
            "Token has expired",
        ),
        (
            format!("apikey={}", sign(&env, json!({"exp":now+60}))),
            401,
            "Fields `role` and `exp` are required in JWT",
        ),
    ];
    for (query, status, text) in cases {
        let (got, body) = handshake_error(&query).await;
        assert_eq!(got, status, "{query}");
        assert_eq!(body, json!({"error": text}), "{query}");
    }
    let (status, _) = handshake_error(&format!("apikey={}&vsn=9.0.0", env.anon)).await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn heartbeat_replies_in_both_serializers() {
    let env = env();
    for vsn in BOTH {
        let mut c = Client::anon(&env, vsn).await;
        c.send(None, Some("7"), "phoenix", "heartbeat", json!({}))
            .await;
        let f = c.next().await.json();
        assert_eq!(f["event"], "phx_reply");
        assert_eq!(f["topic"], "phoenix");
        assert_eq!(f["ref"], "7");
        assert_eq!(f["payload"], json!({"status":"ok","response":{}}));
    }
}

#[tokio::test]
async fn v1_frames_are_objects_without_join_ref_and_v2_frames_are_arrays() {
    let env = env();
    let t = format!("realtime:{}", topic("shape"));
    let mut c1 = Client::anon(&env, Vsn::V1).await;
    c1.send(Some("1"), Some("1"), &t, "phx_join", json!({"config": {}}))
        .await;
    let raw = match c1.ws.next_frame().await {
        tokio_tungstenite::tungstenite::Message::Text(t) => t.to_string(),
        other => panic!("{other:?}"),
    };
    let v: Value = serde_json::from_str(&raw).unwrap();
    assert_eq!(
        v,
        json!({"topic": t, "event": "phx_reply", "payload": {"status":"ok","response":{"postgres_changes":[]}}, "ref": "1"})
    );

    let mut c2 = Client::anon(&env, Vsn::V2).await;
    c2.send(Some("3"), Some("4"), &t, "phx_join", json!({"config": {}}))
        .await;
    let raw = match c2.ws.next_frame().await {
        tokio_tungstenite::tungstenite::Message::Text(t) => t.to_string(),
        other => panic!("{other:?}"),
    };
    let v: Value = serde_json::from_str(&raw).unwrap();
    assert_eq!(
        v,
        json!(["3", "4", t, "phx_reply", {"status":"ok","response":{"postgres_changes":[]}}])
    );
}

trait NextFrame {
    async fn next_frame(&mut self) -> tokio_tungstenite::tungstenite::Message;
}

impl NextFrame
    for tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>
{
    async fn next_frame(&mut self) -> tokio_tungstenite::tungstenite::Message {
        use futures_util::StreamExt;
        tokio::time::timeout(Duration::from_secs(5), self.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap()
    }
}

#[tokio::test]
async fn public_broadcast_honours_self_and_ack() {
    let env = env();
    for vsn in BOTH {
        let t = format!("realtime:{}", topic("bcast"));
        let mut a = Client::anon(&env, vsn).await;
        let mut b = Client::anon(&env, vsn).await;
        let mut c = Client::anon(&env, vsn).await;
        let ja = a
            .join_ok(
                &t,
                json!({"broadcast": {"self": false, "ack": false}}),
                None,
            )
            .await;
        let jb = b
            .join_ok(&t, json!({"broadcast": {"self": true, "ack": true}}), None)
            .await;
        c.join_ok(&t, json!({}), None).await;

        // a: no self, no ack.
        let payload = json!({"type":"broadcast","event":"hello","payload":{"n":1}});
        a.send(Some(&ja), Some("50"), &t, "broadcast", payload.clone())
            .await;
        assert_eq!(b.expect_event("broadcast").await.payload(), payload);
        assert_eq!(c.expect_event("broadcast").await.payload(), payload);
        a.expect_silence(SHORT).await;

        // b: self and ack: b gets the ack and its own broadcast.
        let payload = json!({"type":"broadcast","event":"hi","payload":{"n":2}});
        b.send(Some(&jb), Some("60"), &t, "broadcast", payload.clone())
            .await;
        let (mut acked, mut own) = (false, false);
        while !(acked && own) {
            let f = b.next().await.json();
            match f["event"].as_str().unwrap() {
                "phx_reply" => {
                    assert_eq!(f["ref"], "60");
                    assert_eq!(f["payload"], json!({"status":"ok","response":{}}));
                    acked = true;
                }
                "broadcast" => {
                    assert_eq!(f["payload"], payload);
                    own = true;
                }
                other => panic!("unexpected {other}"),
            }
        }
        assert_eq!(a.expect_event("broadcast").await.payload(), payload);
        assert_eq!(c.expect_event("broadcast").await.payload(), payload);
        b.expect_silence(SHORT).await;
    }
}

#[tokio::test]
async fn binary_user_broadcasts_in_both_header_layouts() {
    let env = env();
    let sub = topic("bin");
    let t = format!("realtime:{sub}");
    let mut sender = Client::anon(&env, Vsn::V2).await;
    let mut v2 = Client::anon(&env, Vsn::V2).await;
    let mut v1 = Client::anon(&env, Vsn::V1).await;
    let js = sender
        .join_ok(&t, json!({"broadcast": {"ack": true}}), None)
        .await;
    v2.join_ok(&t, json!({}), None).await;
    v1.join_ok(&t, json!({}), None).await;

    for old_layout in [false, true] {
        let ub = UserBroadcast {
            event: "typing".into(),
            encoding: Encoding::Json,
            payload: br#"{"on":true}"#.to_vec(),
            metadata: None,
        };
        let r = sender.new_ref();
        sender
            .send_binary(encode_user_broadcast_push(&js, &r, &t, &ub, old_layout))
            .await;
        let ack = sender.expect_event("phx_reply").await.json();
        assert_eq!(ack["ref"], json!(r));
        assert_eq!(ack["payload"]["status"], "ok");
        match v2.expect_event("broadcast").await {
            Frame::User(topic, got) => {
                assert_eq!(topic, t);
                assert_eq!(got, ub);
            }
            other => panic!("expected a kind-4 frame, got {other:?}"),
        }
        let f = v1.expect_event("broadcast").await.json();
        assert_eq!(
            f["payload"],
            json!({"type":"broadcast","event":"typing","payload":{"on":true}})
        );
    }

    // Binary payloads reach 2.0.0 sockets only.
    let ub = UserBroadcast {
        event: "blob".into(),
        encoding: Encoding::Binary,
        payload: vec![0, 159, 146, 150],
        metadata: None,
    };
    let r = sender.new_ref();
    sender
        .send_binary(encode_user_broadcast_push(&js, &r, &t, &ub, false))
        .await;
    match v2.expect_event("broadcast").await {
        Frame::User(_, got) => assert_eq!(got.payload, vec![0, 159, 146, 150]),
        other => panic!("{other:?}"),
    }
    v1.expect_silence(SHORT).await;
}

#[tokio::test]
async fn join_errors() {
    let env = env();
    for vsn in BOTH {
        let mut c = Client::anon(&env, vsn).await;
        let (_, r) = c.join("realtime:", json!({}), None).await;
        assert_eq!(
            r,
            json!({"status":"error","response":{"reason":"TopicNameRequired: You must provide a topic name"}})
        );
        let (_, r) = c.join("elsewhere:x", json!({}), None).await;
        assert_eq!(
            r,
            json!({"status":"error","response":{"reason":"unmatched topic"}})
        );
        let t = format!("realtime:{}", topic("jerr"));
        let (_, r) = c.join(&t, json!({}), Some("garbage")).await;
        assert_eq!(
            r["response"]["reason"],
            "MalformedJWT: The token provided is not a valid JWT"
        );
        let bad_sig = devstack::jwt::HmacSecret::new("nope, not the secret of this stack")
            .sign(&json!({"role":"anon","exp":4_000_000_000i64}));
        let (_, r) = c.join(&t, json!({}), Some(&bad_sig)).await;
        assert_eq!(
            r["response"]["reason"],
            "JwtSignatureError: Failed to validate JWT signature"
        );
        let now = devstack::clock::unix_secs();
        let expired = sign(&env, json!({"role":"authenticated","exp":now - 5}));
        let (_, r) = c.join(&t, json!({}), Some(&expired)).await;
        let reason = r["response"]["reason"].as_str().unwrap();
        assert!(
            reason.starts_with("InvalidJWTToken: Token has expired "),
            "{reason}"
        );
        let no_role = sign(&env, json!({"exp": now + 60}));
        let (_, r) = c.join(&t, json!({}), Some(&no_role)).await;
        assert_eq!(
            r["response"]["reason"],
            "InvalidJWTToken: Fields `role` and `exp` are required in JWT"
        );
        let (_, r) = c
            .join(&t, json!({"broadcast": {"replay": {"since": 0}}}), None)
            .await;
        assert_eq!(
            r["response"]["reason"],
            "UnableToReplayMessages: Replay is not allowed for public channels"
        );
    }
}

#[tokio::test]
async fn too_many_channels() {
    let env = env();
    let mut c = Client::anon(&env, Vsn::V2).await;
    let base = topic("many");
    for i in 0..100 {
        c.join_ok(&format!("realtime:{base}-{i}"), json!({}), None)
            .await;
    }
    let (_, r) = c
        .join(&format!("realtime:{base}-100"), json!({}), None)
        .await;
    assert_eq!(
        r,
        json!({"status":"error","response":{"reason":"ChannelRateLimitReached: Too many channels"}})
    );
}

#[tokio::test]
async fn postgres_changes_bindings_are_echoed_then_refused() {
    let env = env();
    let mut c = Client::anon(&env, Vsn::V2).await;
    let sub = topic("pgc");
    let t = format!("realtime:{sub}");
    let bindings = json!([
        {"event":"INSERT","schema":"public","table":"messages","filter":"room_id=eq.42"},
        {"event":"*","schema":"public"}
    ]);
    let (jr, r) = c
        .join(&t, json!({"postgres_changes": bindings}), None)
        .await;
    assert_eq!(r["status"], "ok");
    let echoed = r["response"]["postgres_changes"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(echoed.len(), 2);
    for (i, b) in bindings.as_array().unwrap().iter().enumerate() {
        let mut without_id = echoed[i].clone();
        assert!(without_id["id"].is_u64());
        without_id.as_object_mut().unwrap().remove("id");
        assert_eq!(&without_id, b);
    }
    let sys = c.expect_event("system").await.json();
    assert_eq!(sys["join_ref"], json!(jr));
    assert_eq!(sys["payload"]["extension"], "postgres_changes");
    assert_eq!(sys["payload"]["status"], "error");
    assert_eq!(sys["payload"]["channel"], json!(sub));
    assert!(sys["payload"]["message"]
        .as_str()
        .unwrap()
        .starts_with("Unable to subscribe to changes"));
}

#[tokio::test]
async fn leave_close_unmatched_and_duplicate_joins() {
    let env = env();
    for vsn in BOTH {
        let mut c = Client::anon(&env, vsn).await;
        let t = format!("realtime:{}", topic("leave"));
        // Messages to a channel that is not joined.
        let r = c
            .call(
                None,
                &t,
                "broadcast",
                json!({"type":"broadcast","event":"x","payload":{}}),
            )
            .await;
        assert_eq!(
            r,
            json!({"status":"error","response":{"reason":"unmatched topic"}})
        );
        let r = c.call(None, &t, "phx_leave", json!({})).await;
        assert_eq!(r, json!({"status":"ok","response":{}}));

        let j1 = c.join_ok(&t, json!({}), None).await;
        // A stale join ref is not this channel.
        let r = c
            .call(
                Some("stale"),
                &t,
                "broadcast",
                json!({"type":"broadcast","event":"x","payload":{}}),
            )
            .await;
        assert_eq!(r["response"]["reason"], "unmatched topic");
        // Joining again closes the first instance.
        let j2 = c.new_ref();
        c.send(Some(&j2), Some(&j2), &t, "phx_join", json!({"config": {}}))
            .await;
        let close = c.expect_event("phx_close").await.json();
        assert_eq!(close["ref"], json!(j1));
        let reply = c.expect_event("phx_reply").await.json();
        assert_eq!(reply["ref"], json!(j2));
        assert_eq!(reply["payload"]["status"], "ok");

        let r = c.new_ref();
        c.send(Some(&j2), Some(&r), &t, "phx_leave", json!({}))
            .await;
        let reply = c.expect_event("phx_reply").await.json();
        assert_eq!(reply["ref"], json!(r));
        assert_eq!(reply["payload"]["status"], "ok");
        let close = c.expect_event("phx_close").await.json();
        assert_eq!(close["ref"], json!(j2));
        assert_eq!(close["payload"], json!({}));
        if vsn == Vsn::V2 {
            assert_eq!(close["join_ref"], json!(j2));
        }
    }
}

#[tokio::test]
async fn undecodable_frames_close_the_socket() {
    let env = env();
    let mut c = Client::anon(&env, Vsn::V2).await;
    c.send_text(r#"{"topic":"phoenix"}"#).await;
    match c.next().await {
        Frame::Closed(code, reason) => {
            assert_eq!(code, Some(1007));
            assert!(reason.contains("JSON array"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    let mut c = Client::anon(&env, Vsn::V1).await;
    c.send_binary(vec![3, 0, 0]).await;
    assert!(matches!(c.next().await, Frame::Closed(Some(1007), _)));
    let mut c = Client::anon(&env, Vsn::V2).await;
    c.send_binary(vec![9, 1, 2]).await;
    assert!(matches!(c.next().await, Frame::Closed(Some(1007), _)));
}

#[tokio::test]
async fn user_tokens_join_public_channels() {
    let env = env();
    let mut c = Client::anon(&env, Vsn::V2).await;
    let tok = user_token(&env, "00000000-0000-0000-0000-0000000000aa", 60);
    c.join_ok(&format!("realtime:{}", topic("tok")), json!({}), Some(&tok))
        .await;
}

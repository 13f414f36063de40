//! Realtime bounds against a real stack started with a small send queue and
//! a short idle timeout: idle sockets close, heartbeats keep them open,
//! oversized frames and payloads are refused, and a client that does not
//! read is disconnected without holding up the others.

#[path = "realtime_client.rs"]
mod client;

use client::{env_with, topic, Client, Env, Frame};
use devstack::realtime::frame::Vsn;
use serde_json::json;
use std::time::Duration;

fn env() -> Env {
    env_with(&[
        ("DEVSTACK_REALTIME_SEND_QUEUE", "64"),
        ("DEVSTACK_REALTIME_IDLE_TIMEOUT_MS", "1500"),
    ])
}

#[tokio::test]
async fn idle_sockets_close_and_heartbeats_keep_them_open() {
    let env = env();
    let mut idle = Client::anon(&env, Vsn::V2).await;
    let mut alive = Client::anon(&env, Vsn::V2).await;
    for i in 0..6 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let r = alive.call(None, "phoenix", "heartbeat", json!({})).await;
        assert_eq!(r["status"], "ok", "heartbeat {i}");
    }
    match idle.next_within(Duration::from_secs(1)).await {
        Some(Frame::Closed(code, reason)) => {
            assert_eq!(code, Some(1000));
            assert_eq!(reason, "idle timeout");
        }
        other => panic!("expected the idle socket to be closed, got {other:?}"),
    }
}

#[tokio::test]
async fn oversized_frames_and_payloads_are_refused() {
    let env = env();
    let t = format!("realtime:{}", topic("big"));
    let mut c = Client::anon(&env, Vsn::V2).await;
    let j = c
        .join_ok(&t, json!({"broadcast": {"ack": true}}), None)
        .await;
    // Over the payload limit (3,000 KB) but within the frame limit: an
    // error reply to an acked broadcast.
    let big = "x".repeat(3_100_000);
    let r = c
        .call(
            Some(&j),
            &t,
            "broadcast",
            json!({"type":"broadcast","event":"e","payload":{"b": big}}),
        )
        .await;
    assert_eq!(
        r,
        json!({"status":"error","response":"payload_size_exceeded"})
    );
    // Over the frame limit (5,000,000 bytes): the socket is closed, possibly
    // before the client has finished writing the frame.
    let huge = "x".repeat(5_000_100);
    // A write error is the server cutting the frame off; either way the
    // socket must end up closed.
    let _ = c
        .try_send(
            Some(&j),
            Some("9"),
            &t,
            "broadcast",
            json!({"type":"broadcast","event":"e","payload":{"b": huge}}),
        )
        .await;
    match c.next().await {
        Frame::Closed(..) => {}
        other => panic!("expected close, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_does_not_read_is_disconnected_and_others_get_everything() {
    let env = env();
    let t = format!("realtime:{}", topic("slow"));
    let mut slow = Client::anon(&env, Vsn::V2).await;
    let mut fast = Client::anon(&env, Vsn::V2).await;
    let mut sender = Client::anon(&env, Vsn::V2).await;
    slow.join_ok(&t, json!({}), None).await;
    fast.join_ok(&t, json!({}), None).await;
    let js = sender.join_ok(&t, json!({}), None).await;

    let chunk = "y".repeat(64 * 1024);
    let total = 400;
    let reader = tokio::spawn(async move {
        let mut got = 0;
        let mut quiet = 0;
        let mut last_beat = tokio::time::Instant::now();
        while got < total && quiet < 25 {
            // Heartbeats keep this socket inside the short idle timeout.
            if last_beat.elapsed() > Duration::from_millis(400) {
                fast.send(None, Some("hb"), "phoenix", "heartbeat", json!({}))
                    .await;
                last_beat = tokio::time::Instant::now();
            }
            match fast.next_within(Duration::from_millis(400)).await {
                Some(f) if f.event() == "broadcast" => {
                    assert_eq!(f.payload()["payload"]["i"], got);
                    got += 1;
                    quiet = 0;
                }
                Some(Frame::Closed(c, r)) => panic!("fast client closed: {c:?} {r}"),
                Some(_) => {}
                None => quiet += 1,
            }
        }
        got
    });
    for i in 0..total {
        sender
            .send(
                Some(&js),
                None,
                &t,
                "broadcast",
                json!({"type":"broadcast","event":"e","payload":{"i": i, "c": chunk}}),
            )
            .await;
        // The slow client writes heartbeats (so the idle timeout is not
        // what closes it) but never reads.
        if i % 40 == 0 {
            use futures_util::SinkExt;
            let hb = json!([null, "hb", "phoenix", "heartbeat", {}]).to_string();
            let _ = slow
                .ws
                .send(tokio_tungstenite::tungstenite::Message::Text(hb.into()))
                .await;
        }
        // A steady rate (about 8 MB/s) that a reading client keeps up with
        // even in a debug build on a busy machine.
        tokio::time::sleep(Duration::from_millis(8)).await;
    }
    assert_eq!(reader.await.unwrap(), total);

    // The slow client finds its connection gone once it reads what the
    // network held.
    let mut closed = false;
    for _ in 0..total + 10 {
        match slow.next_within(Duration::from_secs(5)).await {
            Some(Frame::Closed(..)) | None => {
                closed = true;
                break;
            }
            Some(_) => {}
        }
    }
    assert!(closed, "the slow client was not disconnected");
    // The sender was never held up: it still gets heartbeat replies.
    assert_eq!(
        sender.call(None, "phoenix", "heartbeat", json!({})).await["status"],
        "ok"
    );
}

//! Realtime features against a real stack: private channels authorized by
//! RLS policies written here, broadcast from the database and over REST,
//! presence, and token updates and expiry.

#[path = "realtime_client.rs"]
mod client;

use client::{db, env, sign, topic, user_token, Client, Env, Frame};
use devstack::realtime::frame::{encode_user_broadcast_push, Encoding, UserBroadcast, Vsn};
use serde_json::{json, Value};
use std::sync::OnceLock;
use std::time::Duration;

const BOTH: [Vsn; 2] = [Vsn::V1, Vsn::V2];
const SHORT: Duration = Duration::from_millis(400);

/// Policies for the topics these tests use:
/// - `rt-allowed:*`: authenticated users read and write;
/// - `rt-readonly:*`: authenticated users read only;
/// - `rt-own:<sub>`: broadcasts readable by that user only, presence by
///   every authenticated user, writes by nobody.
fn policies(env: &Env) {
    static DONE: OnceLock<()> = OnceLock::new();
    DONE.get_or_init(|| {
        let env = env.clone();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(client::sql(
                &env,
                "create policy rt_test_read on realtime.messages for select to authenticated using (
                     (select realtime.topic()) like 'rt-allowed:%'
                  or (select realtime.topic()) like 'rt-readonly:%'
                  or ((select realtime.topic()) like 'rt-own:%' and (extension = 'presence'
                       or (select realtime.topic()) = 'rt-own:' || (select auth.jwt() ->> 'sub'))));
                 create policy rt_test_write on realtime.messages for insert to authenticated
                   with check ((select realtime.topic()) like 'rt-allowed:%');",
            ));
        })
        .join()
        .unwrap();
    });
}

#[tokio::test]
async fn private_channels_follow_rls_policies() {
    let env = env();
    policies(&env);
    for vsn in BOTH {
        let alice = user_token(&env, "00000000-0000-0000-0000-00000000a11c", 120);
        let allowed = format!("realtime:{}", topic("rt-allowed:room"));
        let mut a = Client::anon(&env, vsn).await;
        let mut b = Client::anon(&env, vsn).await;
        let ja = a
            .join_ok(
                &allowed,
                json!({"private": true, "broadcast": {"ack": true}}),
                Some(&alice),
            )
            .await;
        b.join_ok(&allowed, json!({"private": true}), Some(&alice))
            .await;

        // The public channel of the same name is another group.
        let mut public = Client::anon(&env, vsn).await;
        public.join_ok(&allowed, json!({}), None).await;

        let payload = json!({"type":"broadcast","event":"m","payload":{"x":1}});
        let r = a
            .call(Some(&ja), &allowed, "broadcast", payload.clone())
            .await;
        assert_eq!(r["status"], "ok");
        assert_eq!(b.expect_event("broadcast").await.payload(), payload);
        public.expect_silence(SHORT).await;

        // Read refused: the anon key, and a topic no policy covers.
        let sub = topic("rt-denied:room");
        let (_, r) = a
            .join(
                &format!("realtime:{sub}"),
                json!({"private": true}),
                Some(&alice),
            )
            .await;
        assert_eq!(
            r["response"]["reason"],
            format!(
                "Unauthorized: You do not have permissions to read from this Channel topic: {sub}"
            )
        );
        let (_, r) = a
            .join(
                &allowed.replace("realtime:", "realtime:x"),
                json!({"private": true}),
                None,
            )
            .await;
        assert_eq!(r["status"], "error");

        // Write refused: read-only topic drops the broadcast silently, even
        // with ack, and refuses a presence track.
        let ro = format!("realtime:{}", topic("rt-readonly:room"));
        let mut w = Client::anon(&env, vsn).await;
        let mut r_ = Client::anon(&env, vsn).await;
        let jw = w
            .join_ok(
                &ro,
                json!({"private": true, "broadcast": {"ack": true}}),
                Some(&alice),
            )
            .await;
        r_.join_ok(&ro, json!({"private": true}), Some(&alice))
            .await;
        w.send(Some(&jw), Some("9"), &ro, "broadcast", payload.clone())
            .await;
        w.expect_silence(SHORT).await;
        r_.expect_silence(SHORT).await;
        let reply = w
            .call(
                Some(&jw),
                &ro,
                "presence",
                json!({"type":"presence","event":"track","payload":{"u":1}}),
            )
            .await;
        assert_eq!(reply, json!({"status":"error","response":{}}));
    }
}

#[tokio::test]
async fn database_broadcasts_arrive_after_commit_in_commit_order() {
    let env = env();
    policies(&env);
    let alice = user_token(&env, "00000000-0000-0000-0000-00000000a11c", 120);
    let sub = topic("rt-allowed:db");
    let t = format!("realtime:{sub}");
    let mut v1 = Client::anon(&env, Vsn::V1).await;
    let mut v2 = Client::anon(&env, Vsn::V2).await;
    let mut public = Client::anon(&env, Vsn::V2).await;
    v1.join_ok(&t, json!({"private": true}), Some(&alice)).await;
    v2.join_ok(&t, json!({"private": true}), Some(&alice)).await;
    public.join_ok(&t, json!({}), None).await;

    let mut conn = db(&env).await;
    // Uncommitted: nothing yet; rolled back: never.
    let tx = conn.transaction().await.unwrap();
    tx.execute(
        "select realtime.send('{\"n\":0}'::jsonb, 'ev', $1, true)",
        &[&sub],
    )
    .await
    .unwrap();
    v2.expect_silence(SHORT).await;
    tx.rollback().await.unwrap();
    let tx = conn.transaction().await.unwrap();
    tx.execute(
        "select realtime.send('{\"n\":1}'::jsonb, 'ev', $1, true)",
        &[&sub],
    )
    .await
    .unwrap();
    v2.expect_silence(SHORT).await;
    tx.commit().await.unwrap();
    for n in 2..=20 {
        conn.execute(
            "select realtime.send(jsonb_build_object('n', $2::int), 'ev', $1, true)",
            &[&sub, &n],
        )
        .await
        .unwrap();
    }
    for c in [&mut v1, &mut v2] {
        for n in 1..=20 {
            let f = c.expect_event("broadcast").await;
            let p = f.payload();
            assert_eq!(p["event"], "ev");
            assert_eq!(p["payload"]["n"], n, "{p}");
            assert!(p["meta"]["id"].is_string());
            assert_eq!(p["payload"]["id"], p["meta"]["id"]);
        }
        c.expect_silence(SHORT).await;
    }
    // The kind-4 frame carries the row id as metadata.
    conn.execute("select realtime.send('{}'::jsonb, 'ev', $1, true)", &[&sub])
        .await
        .unwrap();
    assert!(
        matches!(v2.expect_event("broadcast").await, Frame::User(_, ub) if ub.metadata.is_some())
    );
    assert!(v1.expect_event("broadcast").await.payload()["meta"]["id"].is_string());
    public.expect_silence(SHORT).await;

    // A public message reaches the public group only.
    conn.execute(
        "select realtime.send('{\"p\":1}'::jsonb, 'pub', $1, false)",
        &[&sub],
    )
    .await
    .unwrap();
    assert_eq!(
        public.expect_event("broadcast").await.payload()["payload"]["p"],
        1
    );
    v1.expect_silence(SHORT).await;
}

#[tokio::test]
async fn database_listener_reconnects_without_losing_messages() {
    let env = env();
    let sub = topic("reconnect");
    let t = format!("realtime:{sub}");
    let mut c = Client::anon(&env, Vsn::V2).await;
    c.join_ok(&t, json!({}), None).await;
    let conn = db(&env).await;
    conn.execute(
        "select realtime.send('{\"n\":0}'::jsonb, 'e', $1, false)",
        &[&sub],
    )
    .await
    .unwrap();
    assert_eq!(
        c.expect_event("broadcast").await.payload()["payload"]["n"],
        0
    );
    let killed: i64 = conn
        .query_one(
            "select count(pg_terminate_backend(pid)) from pg_stat_activity where application_name = $1",
            &[&devstack::realtime::listener::APPLICATION_NAME],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(killed, 1);
    for n in 1..=5 {
        conn.execute(
            "select realtime.send(jsonb_build_object('n', $2::int), 'e', $1, false)",
            &[&sub, &n],
        )
        .await
        .unwrap();
    }
    for n in 1..=5 {
        assert_eq!(
            c.expect_event("broadcast").await.payload()["payload"]["n"],
            n
        );
    }
    c.expect_silence(SHORT).await;
}

async fn post(
    env: &Env,
    path: &str,
    token: Option<&str>,
    content_type: &str,
    body: Vec<u8>,
) -> (u16, Value) {
    let client = reqwest::Client::new();
    let mut req = client
        .post(format!("{}{}", env.url, path))
        .header("content-type", content_type)
        .body(body);
    if let Some(t) = token {
        req = req
            .header("apikey", &env.anon)
            .header("authorization", format!("Bearer {t}"));
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

#[tokio::test]
async fn rest_broadcast_batch_and_single() {
    let env = env();
    policies(&env);
    let pub_sub = topic("rest");
    let priv_sub = topic("rt-readonly:rest");
    let alice = user_token(&env, "00000000-0000-0000-0000-00000000a11c", 120);
    let mut public = Client::anon(&env, Vsn::V1).await;
    let mut private = Client::anon(&env, Vsn::V2).await;
    public
        .join_ok(&format!("realtime:{pub_sub}"), json!({}), None)
        .await;
    private
        .join_ok(
            &format!("realtime:{priv_sub}"),
            json!({"private": true}),
            Some(&alice),
        )
        .await;

    let batch = json!({"messages": [
        {"topic": pub_sub, "event": "a", "payload": {"n": 1}},
        {"topic": pub_sub, "event": "b", "payload": {"n": 2}, "id": "m-2"},
        {"topic": priv_sub, "event": "c", "payload": {"n": 3}, "private": true}
    ]});
    let body = serde_json::to_vec(&batch).unwrap();
    // A user without write permission: public messages go, private dropped.
    let (status, _) = post(
        &env,
        "/realtime/v1/api/broadcast",
        Some(&alice),
        "application/json",
        body.clone(),
    )
    .await;
    assert_eq!(status, 202);
    assert_eq!(
        public.expect_event("broadcast").await.payload(),
        json!({"type":"broadcast","event":"a","payload":{"n":1}})
    );
    assert_eq!(
        public.expect_event("broadcast").await.payload(),
        json!({"type":"broadcast","event":"b","payload":{"n":2},"meta":{"id":"m-2"}})
    );
    private.expect_silence(SHORT).await;
    // The service role bypasses RLS.
    let only_private = json!({"messages": [{"topic": priv_sub, "event": "c", "payload": {"n": 3}, "private": true}]});
    let body = serde_json::to_vec(&only_private).unwrap();
    let (status, _) = post(
        &env,
        "/realtime/v1/api/broadcast",
        Some(&env.service),
        "application/json",
        body,
    )
    .await;
    assert_eq!(status, 202);
    assert_eq!(
        private.expect_event("broadcast").await.payload()["payload"]["n"],
        3
    );

    // Errors.
    let (status, body) = post(
        &env,
        "/realtime/v1/api/broadcast",
        None,
        "application/json",
        b"{}".to_vec(),
    )
    .await;
    assert_eq!((status, body), (401, json!({"message":"Unauthorized"})));
    let bad = serde_json::to_vec(&json!({"messages":[{"topic": pub_sub, "payload": {}}]})).unwrap();
    let (status, body) = post(
        &env,
        "/realtime/v1/api/broadcast",
        Some(&env.anon),
        "application/json",
        bad,
    )
    .await;
    assert_eq!(
        (status, body),
        (
            422,
            json!({"errors":{"messages":[{"event":["can't be blank"]}]}})
        )
    );

    // Single-event form: JSON and raw bytes.
    let path = format!("/realtime/v1/api/broadcast/{pub_sub}/events/single");
    let (status, _) = post(
        &env,
        &path,
        Some(&env.anon),
        "application/json",
        br#"{"k":"v"}"#.to_vec(),
    )
    .await;
    assert_eq!(status, 202);
    assert_eq!(
        public.expect_event("broadcast").await.payload(),
        json!({"type":"broadcast","event":"single","payload":{"k":"v"}})
    );
    let mut v2 = Client::anon(&env, Vsn::V2).await;
    v2.join_ok(&format!("realtime:{pub_sub}"), json!({}), None)
        .await;
    let (status, _) = post(
        &env,
        &path,
        Some(&env.anon),
        "application/octet-stream",
        vec![1, 2, 3],
    )
    .await;
    assert_eq!(status, 202);
    match v2.expect_event("broadcast").await {
        Frame::User(_, ub) => {
            assert_eq!((ub.encoding, ub.payload), (Encoding::Binary, vec![1, 2, 3]))
        }
        other => panic!("{other:?}"),
    }
    public.expect_silence(SHORT).await;
    let (status, _) = post(&env, &path, Some(&env.anon), "text/plain", b"x".to_vec()).await;
    assert_eq!(status, 415);
    let priv_path = format!("/realtime/v1/api/broadcast/{priv_sub}/events/s?private=true");
    let (status, _) = post(
        &env,
        &priv_path,
        Some(&env.service),
        "application/json",
        b"{}".to_vec(),
    )
    .await;
    assert_eq!(status, 202);
    assert!(
        matches!(private.expect_event("broadcast").await, Frame::User(_, ub) if ub.event == "s")
    );
}

#[tokio::test]
async fn presence_state_diffs_and_leaves() {
    let env = env();
    for vsn in BOTH {
        let t = format!("realtime:{}", topic("presence"));
        let mut a = Client::anon(&env, vsn).await;
        let mut b = Client::anon(&env, vsn).await;
        let ja = a
            .join_ok(
                &t,
                json!({"presence": {"enabled": true, "key": "alice"}}),
                None,
            )
            .await;
        let st = a.expect_event("presence_state").await.json();
        assert_eq!(st["payload"], json!({}));
        if vsn == Vsn::V2 {
            assert_eq!(st["join_ref"], json!(ja));
        }
        let track = json!({"type":"presence","event":"track","payload":{"online_at":"now"}});
        assert_eq!(
            a.call(Some(&ja), &t, "presence", track.clone()).await["status"],
            "ok"
        );
        // The tracker gets the diff too.
        let d = a.expect_event("presence_diff").await.payload();
        let meta = &d["joins"]["alice"]["metas"][0];
        assert_eq!(meta["online_at"], "now");
        let ref1 = meta["phx_ref"].as_str().unwrap().to_string();

        let jb = b
            .join_ok(
                &t,
                json!({"presence": {"enabled": true, "key": "bob"}}),
                None,
            )
            .await;
        let st = b.expect_event("presence_state").await.payload();
        assert_eq!(st["alice"]["metas"][0]["phx_ref"], json!(ref1));

        // Re-tracking the same state changes nothing; a new state is a
        // join plus a leave.
        assert_eq!(
            a.call(Some(&ja), &t, "presence", track).await["status"],
            "ok"
        );
        b.expect_silence(SHORT).await;
        let track2 = json!({"type":"presence","event":"TRACK","payload":{"online_at":"later"}});
        assert_eq!(
            a.call(Some(&ja), &t, "presence", track2).await["status"],
            "ok"
        );
        let d = b.expect_event("presence_diff").await.payload();
        assert_eq!(d["joins"]["alice"]["metas"][0]["phx_ref_prev"], json!(ref1));
        assert_eq!(d["leaves"]["alice"]["metas"][0]["phx_ref"], json!(ref1));
        let own = a.expect_event("presence_diff").await.payload();
        assert_eq!(own["joins"]["alice"]["metas"][0]["online_at"], "later");

        // Invalid state.
        let r = b
            .call(
                Some(&jb),
                &t,
                "presence",
                json!({"type":"presence","event":"track","payload":[1]}),
            )
            .await;
        assert_eq!(
            r,
            json!({"status":"error","response":{"reason":"Presence track payload must be a map"}})
        );

        // Untrack, then a disconnect is a leave for the others.
        let r = b
            .call(
                Some(&jb),
                &t,
                "presence",
                json!({"type":"presence","event":"track","payload":{}}),
            )
            .await;
        assert_eq!(r["status"], "ok");
        assert!(a.expect_event("presence_diff").await.payload()["joins"]["bob"].is_object());
        let r = b
            .call(
                Some(&jb),
                &t,
                "presence",
                json!({"type":"presence","event":"untrack"}),
            )
            .await;
        assert_eq!(r["status"], "ok");
        assert!(a.expect_event("presence_diff").await.payload()["leaves"]["bob"].is_object());
        drop(a);
        // b first sees its own join and leave, then alice leaving.
        let mut seen = Vec::new();
        loop {
            let d = b.expect_event("presence_diff").await.payload();
            seen.push(d.clone());
            if d["leaves"]["alice"].is_object() {
                break;
            }
            assert!(seen.len() < 3, "{seen:?}");
        }
    }
}

#[tokio::test]
async fn presence_call_rate_limit_closes_the_channel() {
    let env = env();
    let sub = topic("presence-limit");
    let t = format!("realtime:{sub}");
    let mut c = Client::anon(&env, Vsn::V2).await;
    let j = c
        .join_ok(&t, json!({"presence": {"enabled": true}}), None)
        .await;
    for i in 0..5 {
        let r = c
            .call(
                Some(&j),
                &t,
                "presence",
                json!({"type":"presence","event":"track","payload":{"i":i}}),
            )
            .await;
        assert_eq!(r["status"], "ok");
    }
    c.send(
        Some(&j),
        Some("77"),
        &t,
        "presence",
        json!({"type":"presence","event":"track","payload":{"i":9}}),
    )
    .await;
    let sys = c.expect_event("system").await.payload();
    assert_eq!(
        sys,
        json!({"extension":"system","status":"error","message":"Client presence rate limit exceeded","channel":sub})
    );
    let close = c.expect_event("phx_close").await.json();
    assert_eq!(close["ref"], json!(j));
}

#[tokio::test]
async fn access_token_updates_and_expiry() {
    let env = env();
    policies(&env);
    let alice_id = "00000000-0000-0000-0000-0000000000a1";
    let own = topic(&format!("rt-own:{alice_id}"));
    // rt-own:<sub>-<uuid> is not the user's own topic: use the exact one.
    let _ = own;
    let sub = format!("rt-own:{alice_id}");
    let t = format!("realtime:{sub}");
    for vsn in BOTH {
        let mut c = Client::anon(&env, vsn).await;
        let alice = user_token(&env, alice_id, 120);
        let j = c
            .join_ok(
                &t,
                json!({"private": true, "presence": {"enabled": true}}),
                Some(&alice),
            )
            .await;
        c.expect_event("presence_state").await;
        // A fresh token for the same user keeps the channel.
        let again = user_token(&env, alice_id, 300);
        c.send(
            Some(&j),
            Some("1"),
            &t,
            "access_token",
            json!({"access_token": again}),
        )
        .await;
        c.expect_silence(SHORT).await;
        // Someone else's token loses broadcast read: closed.
        let bob = user_token(&env, "00000000-0000-0000-0000-0000000000b0", 300);
        c.send(
            Some(&j),
            Some("2"),
            &t,
            "access_token",
            json!({"access_token": bob}),
        )
        .await;
        let sys = c.expect_event("system").await.payload();
        assert_eq!(
            sys["message"],
            format!("You no longer have permission to read from this Channel topic: {sub}")
        );
        assert_eq!(c.expect_event("phx_close").await.json()["ref"], json!(j));

        // An expired token in an update closes the channel.
        let pt = format!("realtime:{}", topic("tok"));
        let j = c.join_ok(&pt, json!({}), Some(&alice)).await;
        let now = devstack::clock::unix_secs();
        let expired = sign(&env, json!({"role":"authenticated","exp": now - 3}));
        c.send(
            Some(&j),
            Some("3"),
            &pt,
            "access_token",
            json!({"access_token": expired}),
        )
        .await;
        let sys = c.expect_event("system").await.payload();
        assert_eq!(sys["status"], "error");
        assert!(
            sys["message"]
                .as_str()
                .unwrap()
                .starts_with("Token has expired"),
            "{sys}"
        );
        c.expect_event("phx_close").await;
    }
}

#[tokio::test]
async fn a_token_expiring_while_joined_closes_the_channel() {
    let env = env();
    let sub = topic("expiry");
    let t = format!("realtime:{sub}");
    let mut c = Client::anon(&env, Vsn::V2).await;
    let short = user_token(&env, "00000000-0000-0000-0000-0000000000cc", 2);
    let j = c.join_ok(&t, json!({}), Some(&short)).await;
    let sys = tokio::time::timeout(Duration::from_secs(6), c.expect_event("system"))
        .await
        .unwrap()
        .json();
    assert_eq!(sys["join_ref"], json!(j));
    assert_eq!(sys["payload"]["extension"], "system");
    assert_eq!(sys["payload"]["channel"], json!(sub));
    assert!(sys["payload"]["message"]
        .as_str()
        .unwrap()
        .starts_with("Token has expired"));
    assert_eq!(c.expect_event("phx_close").await.json()["ref"], json!(j));
    // The socket itself stays usable.
    assert_eq!(
        c.call(None, "phoenix", "heartbeat", json!({})).await["status"],
        "ok"
    );
}

#[tokio::test]
async fn private_binary_broadcast_checks_write_once() {
    let env = env();
    policies(&env);
    let alice = user_token(&env, "00000000-0000-0000-0000-00000000a11c", 120);
    let t = format!("realtime:{}", topic("rt-allowed:bin"));
    let mut a = Client::anon(&env, Vsn::V2).await;
    let mut b = Client::anon(&env, Vsn::V2).await;
    let ja = a
        .join_ok(
            &t,
            json!({"private": true, "broadcast": {"self": true}}),
            Some(&alice),
        )
        .await;
    b.join_ok(&t, json!({"private": true}), Some(&alice)).await;
    for i in 0..3u8 {
        let ub = UserBroadcast {
            event: "t".into(),
            encoding: Encoding::Json,
            payload: format!("{{\"i\":{i}}}").into_bytes(),
            metadata: None,
        };
        a.send_binary(encode_user_broadcast_push(&ja, "", &t, &ub, false))
            .await;
        for c in [&mut a, &mut b] {
            match c.expect_event("broadcast").await {
                Frame::User(_, got) => assert_eq!(got, ub),
                other => panic!("{other:?}"),
            }
        }
    }
}

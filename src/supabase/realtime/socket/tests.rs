//! The socket state machine driven by a fake clock and a scripted server.

use super::*;

const URL: &str = "ws://127.0.0.1:1/realtime/v1/websocket?apikey=k&vsn=1.0.0";
const SEC: u64 = 1_000;

/// A socket plus everything it has asked for, read back as frames.
struct Harness {
    socket: Socket,
    now: Millis,
    conn: Option<ConnId>,
    opens: Vec<(Millis, ConnId)>,
    sent: Vec<Frame>,
    closes: Vec<(ConnId, u16, String)>,
    events: Vec<Event>,
}

impl Harness {
    fn new() -> Self {
        Self::with(SocketOptions::new(URL))
    }

    fn with(options: SocketOptions) -> Self {
        Harness {
            socket: Socket::new(options),
            now: Millis(0),
            conn: None,
            opens: Vec::new(),
            sent: Vec::new(),
            closes: Vec::new(),
            events: Vec::new(),
        }
    }

    fn pump(&mut self) {
        while let Some(command) = self.socket.poll_command() {
            match command {
                Command::Open { conn, url } => {
                    assert_eq!(url, URL);
                    self.conn = Some(conn);
                    self.opens.push((self.now, conn));
                }
                Command::SendText { conn, text } => {
                    assert_eq!(Some(conn), self.conn, "sent on a connection not current");
                    self.sent.push(Frame::decode(&text, Vsn::V1).unwrap());
                }
                Command::Close { conn, code, reason } => self.closes.push((conn, code, reason)),
            }
        }
        while let Some(event) = self.socket.poll_event() {
            self.events.push(event);
        }
    }

    fn at(&mut self, ms: u64) {
        assert!(ms >= self.now.0, "time goes forward");
        self.now = Millis(ms);
        self.socket.tick(self.now);
        self.pump();
    }

    /// Ticks at every deadline up to `ms`, as the driver's timer would.
    fn run_until(&mut self, ms: u64) {
        while let Some(d) = self.socket.next_deadline() {
            if d.0 > ms {
                break;
            }
            self.at(d.0.max(self.now.0));
        }
        self.at(ms);
    }

    fn open(&mut self) {
        let conn = self.conn.expect("an open was asked for");
        self.socket.opened(conn, self.now);
        self.pump();
    }

    fn drop_connection(&mut self) {
        let conn = self.conn.unwrap();
        self.socket.closed(conn, self.now);
        self.pump();
    }

    fn server(&mut self, text: &str) {
        let conn = self.conn.unwrap();
        self.socket.received_text(conn, text, self.now);
        self.pump();
    }

    fn reply(&mut self, topic: &str, r#ref: &str, status: &str, response: Value) {
        let text = json!({"topic": topic, "event": "phx_reply", "ref": r#ref,
                          "payload": {"status": status, "response": response}})
        .to_string();
        self.server(&text);
    }

    fn last_sent(&self, event: &str) -> Frame {
        self.sent
            .iter()
            .rev()
            .find(|f| f.event == event)
            .unwrap_or_else(|| panic!("no {event} sent"))
            .clone()
    }

    fn sent_events(&self) -> Vec<String> {
        self.sent.iter().map(|f| f.event.clone()).collect()
    }

    fn take_events(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.events)
    }

    /// Connects, joins `config` and answers the join ok.
    fn joined(&mut self, config: ChannelConfig) -> ChannelId {
        let id = self.socket.channel(config.clone());
        self.socket.join(id, self.now);
        self.pump();
        if self.socket.state() != &ConnectionState::Open {
            self.open();
        }
        let join = self.last_sent("phx_join");
        self.reply(
            &config.full_topic(),
            join.r#ref.as_deref().unwrap(),
            "ok",
            json!({}),
        );
        assert_eq!(self.socket.channel_state(id), Some(&ChannelState::Joined));
        id
    }
}

fn topic() -> &'static str {
    "realtime:chat:1"
}

#[test]
fn join_sends_config_and_token_and_reports_joined() {
    let mut h = Harness::new();
    h.socket.set_access_token(Some("user-jwt".into()), h.now);
    let id = h
        .socket
        .channel(ChannelConfig::private("chat:1").with_presence_key("me"));
    h.socket.join(id, h.now);
    h.pump();
    assert_eq!(h.opens.len(), 1, "joining connects");
    assert_eq!(
        h.socket.state(),
        &ConnectionState::Connecting { attempt: 0 }
    );
    assert!(h.sent.is_empty(), "nothing is sent before the socket opens");
    h.open();
    let join = h.last_sent("phx_join");
    assert_eq!(join.topic, topic());
    assert_eq!(join.join_ref, join.r#ref);
    assert_eq!(join.payload["access_token"], "user-jwt");
    assert_eq!(join.payload["config"]["private"], true);
    assert_eq!(join.payload["config"]["presence"]["key"], "me");
    h.take_events();
    h.reply(topic(), join.r#ref.as_deref().unwrap(), "ok", json!({}));
    assert_eq!(
        h.take_events(),
        vec![
            Event::Channel {
                channel: id,
                state: ChannelState::Joined
            },
            Event::Joined {
                channel: id,
                rejoin: false
            }
        ]
    );
}

#[test]
fn heartbeat_every_25_seconds_and_timeout_when_unanswered() {
    let mut h = Harness::new();
    h.socket.connect(h.now);
    h.pump();
    h.open();
    h.at(24 * SEC);
    assert!(h.sent.is_empty());
    h.at(25 * SEC);
    let hb = h.last_sent("heartbeat");
    assert_eq!((hb.topic.as_str(), hb.join_ref.clone()), ("phoenix", None));
    assert_eq!(hb.payload, json!({}));
    h.reply("phoenix", hb.r#ref.as_deref().unwrap(), "ok", json!({}));
    assert_eq!(h.socket.next_deadline(), Some(Millis(50 * SEC)));
    h.at(50 * SEC);
    assert_eq!(h.sent_events(), vec!["heartbeat", "heartbeat"]);
    // No reply to the second one: when the third is due the socket gives up.
    h.at(75 * SEC - 1);
    assert!(h.closes.is_empty());
    h.at(75 * SEC);
    assert_eq!(h.sent_events().len(), 2, "no third heartbeat");
    let (_, code, reason) = h.closes.last().unwrap().clone();
    assert_eq!((code, reason.as_str()), (1000, "heartbeat timeout"));
    let ConnectionState::Waiting { attempt, retry_at } = h.socket.state().clone() else {
        panic!("{:?}", h.socket.state())
    };
    assert_eq!(attempt, 1);
    assert!(retry_at >= Millis(76 * SEC) && retry_at <= Millis(76 * SEC + 200));
}

#[test]
fn reconnect_backoff_is_1_2_5_10_then_10_with_jitter() {
    let mut h = Harness::new();
    h.socket.connect(h.now);
    h.pump();
    let mut delays = Vec::new();
    for _ in 0..7 {
        h.drop_connection(); // the attempt failed
        let ConnectionState::Waiting { retry_at, .. } = h.socket.state().clone() else {
            panic!()
        };
        delays.push(retry_at.0 - h.now.0);
        h.run_until(retry_at.0);
        assert_eq!(
            h.opens.last().unwrap().0,
            retry_at,
            "reconnects exactly when due"
        );
    }
    let bases = [1, 2, 5, 10, 10, 10, 10];
    for (delay, base) in delays.iter().zip(bases) {
        let base = base * SEC;
        assert!(*delay >= base && *delay <= base + base / 5, "{delays:?}");
    }
    // The jitter really varies.
    assert!(delays[3..].windows(2).any(|w| w[0] != w[1]), "{delays:?}");
    // An open connection resets the schedule.
    h.open();
    h.drop_connection();
    let ConnectionState::Waiting { attempt, retry_at } = h.socket.state().clone() else {
        panic!()
    };
    assert_eq!(attempt, 1);
    assert!(retry_at.0 - h.now.0 <= 1_200);
}

#[test]
fn backoff_delay_table() {
    let table: Vec<_> = [1, 2, 5, 10].into_iter().map(Duration::from_secs).collect();
    let at = |n, unit| backoff_delay(&table, n, 0.2, unit).as_millis();
    assert_eq!(
        [at(1, 0.0), at(2, 0.0), at(3, 0.0), at(4, 0.0), at(9, 0.0)],
        [1000, 2000, 5000, 10000, 10000]
    );
    assert_eq!(at(1, 0.5), 1100);
    assert_eq!(at(4, 0.999_999), 11_999);
    assert_eq!(backoff_delay(&[], 1, 0.2, 0.5), Duration::ZERO);
}

#[test]
fn connect_timeout() {
    let mut h = Harness::new();
    h.socket.connect(h.now);
    h.pump();
    h.run_until(10 * SEC);
    assert_eq!(h.closes.last().unwrap().2, "connect timeout");
    assert!(matches!(
        h.socket.state(),
        ConnectionState::Waiting { attempt: 1, .. }
    ));
}

#[test]
fn every_channel_rejoins_after_a_reconnect_with_the_current_token() {
    let mut h = Harness::new();
    h.socket.set_access_token(Some("t1".into()), h.now);
    let a = h.joined(ChannelConfig::private("chat:1"));
    let b = h.joined(ChannelConfig::private("workflow:9"));
    let first_joins: Vec<_> = h
        .sent
        .iter()
        .filter(|f| f.event == "phx_join")
        .cloned()
        .collect();
    h.take_events();
    h.drop_connection();
    let events = h.take_events();
    for id in [a, b] {
        assert!(events.contains(&Event::Channel {
            channel: id,
            state: ChannelState::Joining
        }));
    }
    h.socket.set_access_token(Some("t2".into()), h.now);
    h.pump();
    let before = h.sent.len();
    let ConnectionState::Waiting { retry_at, .. } = h.socket.state().clone() else {
        panic!()
    };
    h.run_until(retry_at.0);
    assert_eq!(h.sent.len(), before, "nothing sent while connecting");
    h.open();
    let rejoins: Vec<_> = h.sent[before..].to_vec();
    assert_eq!(rejoins.len(), 2);
    for (rejoin, first) in rejoins.iter().zip(&first_joins) {
        assert_eq!(rejoin.event, "phx_join");
        assert_eq!(rejoin.topic, first.topic);
        assert_ne!(rejoin.join_ref, first.join_ref, "a new join ref per join");
        assert_eq!(rejoin.payload["access_token"], "t2");
    }
    for rejoin in rejoins {
        h.reply(
            &rejoin.topic,
            rejoin.r#ref.as_deref().unwrap(),
            "ok",
            json!({}),
        );
    }
    let events = h.take_events();
    for id in [a, b] {
        assert!(events.contains(&Event::Joined {
            channel: id,
            rejoin: true
        }));
    }
}

#[test]
fn pushes_wait_in_a_buffer_until_the_channel_is_joined() {
    let mut h = Harness::new();
    let id = h.joined(ChannelConfig::private("chat:1"));
    h.drop_connection();
    let p1 = h.socket.broadcast(id, "typing", json!({"n": 1}), h.now);
    let p2 = h.socket.broadcast(id, "typing", json!({"n": 2}), h.now);
    h.pump();
    assert_eq!(h.socket.buffered(id), 2);
    let ConnectionState::Waiting { retry_at, .. } = h.socket.state().clone() else {
        panic!()
    };
    h.run_until(retry_at.0);
    h.open();
    assert_eq!(
        h.sent.last().unwrap().event,
        "phx_join",
        "buffer waits for the join"
    );
    let join = h.last_sent("phx_join");
    h.take_events();
    h.reply(topic(), join.r#ref.as_deref().unwrap(), "ok", json!({}));
    let pushed: Vec<_> = h.sent.iter().filter(|f| f.event == "broadcast").collect();
    assert_eq!(pushed.len(), 2);
    assert_eq!(
        pushed[0].payload,
        json!({"type":"broadcast","event":"typing","payload":{"n":1}})
    );
    assert_eq!(pushed[1].payload["payload"]["n"], 2, "in order");
    assert!(
        pushed.iter().all(|f| f.join_ref == join.join_ref),
        "under the new join"
    );
    let events = h.take_events();
    for p in [p1, p2] {
        assert!(events.contains(&Event::Push {
            channel: id,
            push: p,
            result: PushResult::Sent
        }));
    }
    assert_eq!(h.socket.buffered(id), 0);
}

#[test]
fn a_full_buffer_drops_the_oldest_push() {
    let mut options = SocketOptions::new(URL);
    options.buffer_limit = 3;
    let mut h = Harness::with(options);
    let id = h.socket.channel(ChannelConfig::public("x"));
    let pushes: Vec<_> = (0..5)
        .map(|n| h.socket.broadcast(id, "e", json!(n), h.now))
        .collect();
    h.pump();
    assert_eq!(h.socket.buffered(id), 3);
    let dropped: Vec<_> = h
        .events
        .iter()
        .filter_map(|e| match e {
            Event::Push {
                push,
                result: PushResult::Dropped,
                ..
            } => Some(*push),
            _ => None,
        })
        .collect();
    assert_eq!(dropped, pushes[..2]);
}

#[test]
fn a_refused_join_is_retried_with_backoff() {
    let mut h = Harness::new();
    let id = h.socket.channel(ChannelConfig::private("chat:1"));
    h.socket.join(id, h.now);
    h.pump();
    h.open();
    let join = h.last_sent("phx_join");
    h.reply(
        topic(),
        join.r#ref.as_deref().unwrap(),
        "error",
        json!({"reason": "Unauthorized: You do not have permissions to read from this Channel topic: chat:1"}),
    );
    let Some(ChannelState::Errored { reason, retry_at }) = h.socket.channel_state(id).cloned()
    else {
        panic!()
    };
    assert!(reason.starts_with("Unauthorized"));
    assert!(retry_at.0 >= h.now.0 + SEC && retry_at.0 <= h.now.0 + 1_200);
    h.run_until(retry_at.0);
    let again = h.last_sent("phx_join");
    assert_ne!(again.join_ref, join.join_ref);
    // Second refusal waits longer.
    h.reply(
        topic(),
        again.r#ref.as_deref().unwrap(),
        "error",
        json!({"reason": "x"}),
    );
    let Some(ChannelState::Errored { retry_at, .. }) = h.socket.channel_state(id).cloned() else {
        panic!()
    };
    assert!(retry_at.0 >= h.now.0 + 2 * SEC);
}

#[test]
fn a_join_without_reply_times_out_leaves_and_retries() {
    let mut h = Harness::new();
    let id = h.socket.channel(ChannelConfig::private("chat:1"));
    h.socket.join(id, h.now);
    h.pump();
    h.open();
    let join = h.last_sent("phx_join");
    h.run_until(10 * SEC);
    let leave = h.last_sent("phx_leave");
    assert_eq!(leave.join_ref, join.join_ref);
    assert!(matches!(
        h.socket.channel_state(id),
        Some(ChannelState::Errored { reason, .. }) if reason == "join timed out"
    ));
    // A late reply to the abandoned join changes nothing.
    h.reply(topic(), join.r#ref.as_deref().unwrap(), "ok", json!({}));
    assert!(matches!(
        h.socket.channel_state(id),
        Some(ChannelState::Errored { .. })
    ));
}

#[test]
fn server_close_after_token_expiry_rejoins_later() {
    let mut h = Harness::new();
    let id = h.joined(ChannelConfig::private("chat:1"));
    h.server(r#"{"topic":"realtime:chat:1","event":"system","payload":{"extension":"system","status":"error","message":"Token has expired 3 seconds ago","channel":"chat:1"},"ref":null}"#);
    h.server(r#"{"topic":"realtime:chat:1","event":"phx_close","payload":{},"ref":"1"}"#);
    let Some(ChannelState::Errored { reason, retry_at }) = h.socket.channel_state(id).cloned()
    else {
        panic!()
    };
    assert_eq!(reason, "Token has expired 3 seconds ago");
    h.socket.set_access_token(Some("fresh".into()), h.now);
    h.run_until(retry_at.0);
    assert_eq!(h.last_sent("phx_join").payload["access_token"], "fresh");
}

#[test]
fn token_updates_go_to_joined_channels() {
    let mut h = Harness::new();
    let _a = h.joined(ChannelConfig::private("chat:1"));
    let idle = h.socket.channel(ChannelConfig::private("chat:2"));
    let _ = idle;
    h.socket.set_access_token(Some("new".into()), h.now);
    h.pump();
    let updates: Vec<_> = h
        .sent
        .iter()
        .filter(|f| f.event == "access_token")
        .collect();
    assert_eq!(updates.len(), 1, "only joined channels");
    assert_eq!(updates[0].topic, topic());
    assert_eq!(updates[0].payload, json!({"access_token": "new"}));
    // The same token again sends nothing.
    h.socket.set_access_token(Some("new".into()), h.now);
    h.pump();
    assert_eq!(
        h.sent.iter().filter(|f| f.event == "access_token").count(),
        1
    );
}

#[test]
fn news_from_an_old_connection_is_ignored() {
    let mut h = Harness::new();
    h.socket.connect(h.now);
    h.pump();
    let old = h.conn.unwrap();
    h.run_until(10 * SEC); // connect timeout
    let ConnectionState::Waiting { retry_at, .. } = h.socket.state().clone() else {
        panic!()
    };
    h.run_until(retry_at.0);
    assert_ne!(h.conn, Some(old));
    h.socket.opened(old, h.now);
    h.socket.closed(old, h.now);
    h.pump();
    assert!(matches!(
        h.socket.state(),
        ConnectionState::Connecting { .. }
    ));
}

#[test]
fn waking_reconnects_at_once_or_probes_with_a_heartbeat() {
    let mut h = Harness::new();
    h.socket.connect(h.now);
    h.pump();
    h.open();
    h.at(3 * SEC);
    h.socket.wake(h.now);
    h.pump();
    assert_eq!(h.sent_events(), vec!["heartbeat"], "probe an open socket");
    h.drop_connection();
    assert!(matches!(h.socket.state(), ConnectionState::Waiting { .. }));
    h.socket.wake(h.now);
    h.pump();
    assert_eq!(h.opens.len(), 2);
    assert_eq!(h.opens[1].0, h.now, "no waiting for the backoff");
}

#[test]
fn going_offline_drops_the_connection() {
    let mut h = Harness::new();
    h.socket.connect(h.now);
    h.pump();
    h.open();
    h.socket.offline(h.now);
    h.pump();
    assert_eq!(h.closes.last().unwrap().2, "network offline");
    assert!(matches!(h.socket.state(), ConnectionState::Waiting { .. }));
}

#[test]
fn disconnect_stops_reconnecting_and_connect_rejoins() {
    let mut h = Harness::new();
    let id = h.joined(ChannelConfig::private("chat:1"));
    h.socket.disconnect(h.now);
    h.pump();
    assert_eq!(h.socket.state(), &ConnectionState::Closed);
    assert_eq!(h.socket.next_deadline(), None);
    h.at(100 * SEC);
    assert_eq!(h.opens.len(), 1);
    h.socket.connect(h.now);
    h.pump();
    h.open();
    assert_eq!(h.last_sent("phx_join").topic, topic());
    assert_eq!(h.socket.channel_state(id), Some(&ChannelState::Joining));
}

#[test]
fn presence_is_tracked_again_after_rejoin() {
    let mut h = Harness::new();
    let id = h
        .socket
        .channel(ChannelConfig::private("chat:1").with_presence_key("me"));
    // Tracked before the join: sent once joined.
    let push = h.socket.track(id, json!({"name": "Me"}), h.now);
    h.socket.join(id, h.now);
    h.pump();
    h.open();
    assert!(!h.sent_events().contains(&"presence".to_owned()));
    let join = h.last_sent("phx_join");
    h.reply(topic(), join.r#ref.as_deref().unwrap(), "ok", json!({}));
    let track = h.last_sent("presence");
    assert_eq!(
        track.payload,
        json!({"type":"presence","event":"track","payload":{"name":"Me"}})
    );
    h.reply(topic(), track.r#ref.as_deref().unwrap(), "ok", json!({}));
    assert!(h.events.contains(&Event::Push {
        channel: id,
        push,
        result: PushResult::Ok(json!({}))
    }));
    h.server(r#"{"topic":"realtime:chat:1","event":"presence_state","payload":{"me":{"metas":[{"phx_ref":"r1","name":"Me"}]}},"ref":null}"#);
    assert_eq!(
        h.socket.presence(id).unwrap().keys().collect::<Vec<_>>(),
        vec!["me"]
    );
    // Reconnect: the track is sent again after the new join.
    h.drop_connection();
    let ConnectionState::Waiting { retry_at, .. } = h.socket.state().clone() else {
        panic!()
    };
    h.run_until(retry_at.0);
    h.open();
    let join = h.last_sent("phx_join");
    h.reply(topic(), join.r#ref.as_deref().unwrap(), "ok", json!({}));
    assert_eq!(h.sent.iter().filter(|f| f.event == "presence").count(), 2);
    // Untracking stops it.
    h.socket.untrack(id, h.now);
    h.pump();
    assert_eq!(h.last_sent("presence").payload["event"], "untrack");
}

#[test]
fn presence_diffs_and_broadcasts_become_events() {
    let mut h = Harness::new();
    let id = h.joined(ChannelConfig::private("chat:1").with_presence_key("me"));
    h.take_events();
    // A diff before the state of this join is held back.
    h.server(r#"{"topic":"realtime:chat:1","event":"presence_diff","payload":{"joins":{"bob":{"metas":[{"phx_ref":"b1"}]}},"leaves":{}},"ref":null}"#);
    assert!(h.take_events().is_empty());
    h.server(r#"{"topic":"realtime:chat:1","event":"presence_state","payload":{},"ref":null}"#);
    let Event::Presence { change, .. } = &h.take_events()[0] else {
        panic!()
    };
    assert_eq!(change.joins.keys().collect::<Vec<_>>(), vec!["bob"]);
    h.server(r#"{"topic":"realtime:chat:1","event":"broadcast","payload":{"type":"broadcast","event":"message_created","payload":{"seq":4},"meta":{"id":"m"}},"ref":null}"#);
    assert_eq!(
        h.take_events(),
        vec![Event::Broadcast {
            channel: id,
            event: "message_created".into(),
            payload: json!({"seq": 4}),
            meta: Some(json!({"id": "m"}))
        }]
    );
    // Frames for topics we did not join are ignored.
    h.server(r#"{"topic":"realtime:other","event":"broadcast","payload":{"type":"broadcast","event":"x","payload":{}},"ref":null}"#);
    h.server("not json");
    assert!(h.take_events().is_empty());
}

#[test]
fn acknowledged_broadcasts_report_the_reply_or_a_timeout() {
    let mut h = Harness::new();
    let id = h.joined(ChannelConfig::private("chat:1").with_broadcast_ack(true));
    let ok = h.socket.broadcast(id, "e", json!({}), h.now);
    h.pump();
    let frame = h.last_sent("broadcast");
    h.reply(topic(), frame.r#ref.as_deref().unwrap(), "ok", json!({}));
    let lost = h.socket.broadcast(id, "e", json!({}), h.now);
    h.pump();
    h.run_until(h.now.0 + 10 * SEC);
    let results: Vec<_> = h
        .events
        .iter()
        .filter_map(|e| match e {
            Event::Push { push, result, .. } => Some((*push, result.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(
        results,
        vec![(ok, PushResult::Ok(json!({}))), (lost, PushResult::Timeout)]
    );
}

#[test]
fn leaving_sends_phx_leave_and_forgets_the_channel() {
    let mut h = Harness::new();
    let id = h.joined(ChannelConfig::private("chat:1"));
    let join = h.last_sent("phx_join");
    h.socket.leave(id, h.now);
    h.pump();
    let leave = h.last_sent("phx_leave");
    assert_eq!(leave.join_ref, join.join_ref);
    assert_eq!(h.socket.channel_state(id), None);
    // The server's close for it is not an error.
    h.server(r#"{"topic":"realtime:chat:1","event":"phx_close","payload":{},"ref":"1"}"#);
    assert_eq!(h.socket.channel_ids(), vec![]);
}

#[test]
fn v2_frames_of_an_earlier_join_are_dropped() {
    let mut options = SocketOptions::new(URL);
    options.vsn = Vsn::V2;
    let mut socket = Socket::new(options);
    let id = socket.channel(ChannelConfig::public("room"));
    socket.join(id, Millis(0));
    let Some(Command::Open { conn, .. }) = socket.poll_command() else {
        panic!()
    };
    socket.opened(conn, Millis(1));
    let Some(Command::SendText { text, .. }) = socket.poll_command() else {
        panic!()
    };
    let join = Frame::decode(&text, Vsn::V2).unwrap();
    let r = join.r#ref.unwrap();
    socket.received_text(
        conn,
        &format!(r#"["{r}","{r}","realtime:room","phx_reply",{{"status":"ok","response":{{}}}}]"#),
        Millis(2),
    );
    assert_eq!(socket.channel_state(id), Some(&ChannelState::Joined));
    while socket.poll_event().is_some() {}
    socket.received_text(
        conn,
        r#"["old",null,"realtime:room","broadcast",{"type":"broadcast","event":"x","payload":{}}]"#,
        Millis(3),
    );
    assert_eq!(socket.poll_event(), None);
    socket.received_text(conn, &format!(r#"["{r}",null,"realtime:room","broadcast",{{"type":"broadcast","event":"x","payload":{{}}}}]"#), Millis(3));
    assert!(matches!(socket.poll_event(), Some(Event::Broadcast { .. })));
}

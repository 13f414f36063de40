//! The Realtime client in headless Chromium against a devstack: private
//! channels, messages from another client, presence, typing on its own
//! topic, forged chat events refused, and no message lost across a dropped
//! connection.
//!
//! ```text
//! devstack exec -- env CHROMEDRIVER=/usr/bin/chromedriver \
//!     cargo test --target wasm32-unknown-unknown --test client_realtime
//! ```
#![cfg(target_arch = "wasm32")]

mod stack;

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use leptos::prelude::GetUntracked;
use serde_json::json;
use uuid::Uuid;
use wasm_bindgen_test::*;
use workflow_chat::chat::api::{Api, ChatApi, NewMessage};
use workflow_chat::chat::events::{
    chat_channel, typing_channel, workflow_channel, ChatEvent, PresenceInfo, Typing, WorkflowEvent,
    TYPING_EVENT,
};
use workflow_chat::chat::presence::{online, TypingIndicators};
use workflow_chat::chat::sessions::SessionList;
use workflow_chat::chat::timeline::Timeline;
use workflow_chat::chat::types::Role;
use workflow_chat::supabase::realtime::{
    ChannelConfig, ChannelId, ChannelState, ConnectionState, Event, PushId, PushResult, Realtime,
    SocketOptions,
};
use workflow_chat::supabase::time::Millis;

use stack::{config, new_user};

wasm_bindgen_test_configure!(run_in_browser);

/// A Realtime client following `chat`'s token, recording every event.
fn realtime_for(chat: &ChatApi) -> (Realtime, Rc<RefCell<Vec<Event>>>) {
    realtime_with(chat, SocketOptions::new(chat.config().realtime_url()))
}

/// Same, with `options`.
fn realtime_with(chat: &ChatApi, options: SocketOptions) -> (Realtime, Rc<RefCell<Vec<Event>>>) {
    let realtime = Realtime::new(options);
    realtime.bind_token(chat.tokens());
    let log = Rc::new(RefCell::new(Vec::new()));
    let sink = log.clone();
    realtime.on_event(move |e| sink.borrow_mut().push(e.clone()));
    (realtime, log)
}

/// Waits up to `limit` for `done`, checking every 20 ms.
async fn until(limit: Duration, what: &str, mut done: impl FnMut() -> bool) {
    let step = Duration::from_millis(20);
    let mut waited = Duration::ZERO;
    while !done() {
        assert!(
            waited < limit,
            "timed out after {limit:?} waiting for {what}"
        );
        gloo_timers::future::sleep(step).await;
        waited += step;
    }
}

fn joined(realtime: &Realtime, channel: ChannelId) -> bool {
    realtime.channel_state(channel) == Some(ChannelState::Joined)
}

fn chat_events(log: &RefCell<Vec<Event>>, channel: ChannelId) -> Vec<ChatEvent> {
    log.borrow()
        .iter()
        .filter_map(|e| match e {
            Event::Broadcast {
                channel: c,
                event,
                payload,
                ..
            } if *c == channel => ChatEvent::parse(event, payload).ok(),
            _ => None,
        })
        .collect()
}

/// Broadcasts received on `channel`, as (event, payload).
fn broadcasts(log: &RefCell<Vec<Event>>, channel: ChannelId) -> Vec<(String, serde_json::Value)> {
    log.borrow()
        .iter()
        .filter_map(|e| match e {
            Event::Broadcast {
                channel: c,
                event,
                payload,
                ..
            } if *c == channel => Some((event.clone(), payload.clone())),
            _ => None,
        })
        .collect()
}

/// How push `push` ended, once it has.
fn push_result(log: &RefCell<Vec<Event>>, push: PushId) -> Option<PushResult> {
    log.borrow().iter().find_map(|e| match e {
        Event::Push {
            push: p, result, ..
        } if *p == push => Some(result.clone()),
        _ => None,
    })
}

/// Two members of one session: Ada sends, Bob listens.
async fn two_members() -> (ChatApi, ChatApi, Uuid, Uuid) {
    let api = Api::new(config());
    let (ada, _) = new_user(&api, "Ada").await;
    let (bob, bob_email) = new_user(&api, "Bob").await;
    let workflow = ada.create_workflow("Realtime", "").await.unwrap();
    ada.add_member(workflow.id, &bob_email, Role::Member)
        .await
        .unwrap();
    let session = ada
        .create_session(workflow.id, "Live", json!({}))
        .await
        .unwrap();
    (ada, bob, workflow.id, session.id)
}

#[wasm_bindgen_test]
async fn receives_messages_sent_by_another_client_on_a_private_channel() {
    let (ada, bob, workflow_id, session_id) = two_members().await;
    let bob_id = bob.account_id().unwrap();
    let (realtime, log) = realtime_for(&bob);
    let chat = realtime.channel(chat_channel(session_id, bob_id));
    let workflow = realtime.channel(workflow_channel(workflow_id));
    realtime.join(chat);
    realtime.join(workflow);
    until(Duration::from_secs(10), "both joins", || {
        joined(&realtime, chat) && joined(&realtime, workflow)
    })
    .await;
    assert_eq!(realtime.current_state(), ConnectionState::Open);
    assert_eq!(
        realtime.connection_state().get_untracked(),
        ConnectionState::Open
    );

    let sent = ada
        .send_message(session_id, &NewMessage::text("hi Bob"))
        .await
        .unwrap();
    until(Duration::from_secs(5), "message_created", || {
        chat_events(&log, chat)
            .iter()
            .any(|e| matches!(e, ChatEvent::MessageCreated(m) if m.id == sent.id))
    })
    .await;

    // The workflow topic feeds the session list's unread count.
    let mut list = SessionList::new(workflow_id, bob_id, 30);
    list.apply_page(
        bob.list_sessions(workflow_id, None, 30, false)
            .await
            .unwrap(),
    );
    until(Duration::from_secs(5), "session_updated", || {
        log.borrow().iter().any(|e| {
            matches!(e, Event::Broadcast { channel, event, .. } if *channel == workflow && event == "session_updated")
        })
    })
    .await;
    for e in log.borrow().iter() {
        if let Event::Broadcast {
            channel,
            event,
            payload,
            ..
        } = e
        {
            if *channel == workflow {
                list.apply_event(WorkflowEvent::parse(event, payload).unwrap());
            }
        }
    }
    assert_eq!(list.unread(session_id), 1);

    // Presence: Bob tracks himself and sees himself in the list.
    realtime.track(
        chat,
        json!({"account_id": bob_id, "display_name": "Bob", "online_at": "now"}),
    );
    until(Duration::from_secs(5), "presence", || {
        realtime
            .presence(chat)
            .is_some_and(|p| p.keys().any(|k| k == bob_id.to_string()))
    })
    .await;

    realtime.reset();
    assert_eq!(realtime.current_state(), ConnectionState::Closed);
}

#[wasm_bindgen_test]
async fn no_message_is_lost_while_the_connection_is_down() {
    let (ada, bob, _workflow_id, session_id) = two_members().await;
    let (realtime, log) = realtime_for(&bob);
    let chat = realtime.channel(chat_channel(session_id, bob.account_id().unwrap()));
    let mut timeline = Timeline::new(session_id, 2);
    realtime.join(chat);
    until(Duration::from_secs(10), "join", || joined(&realtime, chat)).await;
    let range = timeline.begin_fetch().unwrap();
    timeline.apply_page(range, bob.get_messages(session_id, range, 2).await.unwrap());

    let first = ada
        .send_message(session_id, &NewMessage::text("one"))
        .await
        .unwrap();
    until(Duration::from_secs(5), "first message", || {
        chat_events(&log, chat)
            .iter()
            .any(|e| matches!(e, ChatEvent::MessageCreated(m) if m.id == first.id))
    })
    .await;

    // The connection drops; Ada keeps sending meanwhile.
    realtime.drop_transport();
    until(Duration::from_secs(5), "the drop to be noticed", || {
        !matches!(realtime.current_state(), ConnectionState::Open)
    })
    .await;
    let mut missed = Vec::new();
    for text in ["two", "three", "four", "five"] {
        missed.push(
            ada.send_message(session_id, &NewMessage::text(text))
                .await
                .unwrap()
                .seq,
        );
    }

    // The socket reconnects by itself and rejoins.
    until(Duration::from_secs(15), "rejoin", || {
        log.borrow()
            .iter()
            .any(|e| matches!(e, Event::Joined { channel, rejoin: true } if *channel == chat))
    })
    .await;
    for event in chat_events(&log, chat) {
        if let ChatEvent::MessageCreated(m) = event {
            timeline.merge(m);
        }
    }
    timeline.on_rejoined();
    // Catch up page by page (page size 2) until the timeline asks no more.
    while let Some(range) = timeline.begin_fetch() {
        let page = bob.get_messages(session_id, range, 2).await.unwrap();
        timeline.apply_page(range, page);
    }
    let seqs: Vec<i64> = timeline.messages().map(|m| m.seq).collect();
    assert_eq!(
        seqs,
        (1..=5).collect::<Vec<_>>(),
        "every message, in order, once"
    );
    assert_eq!(missed, vec![2, 3, 4, 5]);

    // Live delivery works again after the reconnect.
    let six = ada
        .send_message(session_id, &NewMessage::text("six"))
        .await
        .unwrap();
    until(
        Duration::from_secs(5),
        "live message after reconnect",
        || {
            chat_events(&log, chat)
                .iter()
                .any(|e| matches!(e, ChatEvent::MessageCreated(m) if m.id == six.id))
        },
    )
    .await;
    realtime.reset();
}

/// Typing travels on `typing:<session>`, where members write and viewers
/// only read; the chat topic refuses every client broadcast, so a member
/// cannot pass off a made-up `message_created` as the server's.
#[wasm_bindgen_test]
async fn typing_has_its_own_topic_and_the_chat_topic_refuses_forged_events() {
    let (ada, bob, workflow_id, session_id) = two_members().await;
    let (vic, vic_email) = new_user(&Api::new(config()), "Vic").await;
    ada.add_member(workflow_id, &vic_email, Role::Viewer)
        .await
        .unwrap();
    let (ada_id, bob_id, vic_id) = (
        ada.account_id().unwrap(),
        bob.account_id().unwrap(),
        vic.account_id().unwrap(),
    );
    // Refused broadcasts get no reply even when acknowledged: time out soon.
    let quick = |chat: &ChatApi| SocketOptions {
        push_timeout: Duration::from_secs(4),
        ..SocketOptions::new(chat.config().realtime_url())
    };
    let acked = |config: ChannelConfig| ChannelConfig {
        broadcast_ack: true,
        ..config
    };

    let (ada_rt, ada_log) = realtime_with(&ada, quick(&ada));
    let ada_chat = ada_rt.channel(acked(chat_channel(session_id, ada_id)));
    let ada_typing = ada_rt.channel(acked(typing_channel(session_id)));
    let (bob_rt, bob_log) = realtime_for(&bob);
    let bob_chat = bob_rt.channel(chat_channel(session_id, bob_id));
    let bob_typing = bob_rt.channel(typing_channel(session_id));
    let (vic_rt, vic_log) = realtime_with(&vic, quick(&vic));
    let vic_chat = vic_rt.channel(chat_channel(session_id, vic_id));
    let vic_typing = vic_rt.channel(acked(typing_channel(session_id)));
    for (rt, channel) in [
        (&ada_rt, ada_chat),
        (&ada_rt, ada_typing),
        (&bob_rt, bob_chat),
        (&bob_rt, bob_typing),
        (&vic_rt, vic_chat),
        (&vic_rt, vic_typing),
    ] {
        rt.join(channel);
    }
    until(Duration::from_secs(10), "every join", || {
        joined(&ada_rt, ada_chat)
            && joined(&ada_rt, ada_typing)
            && joined(&bob_rt, bob_chat)
            && joined(&bob_rt, bob_typing)
            && joined(&vic_rt, vic_chat)
            && joined(&vic_rt, vic_typing)
    })
    .await;

    // Everyone who may read the session may be shown online, viewers too.
    let me = |id: Uuid, name: &str| {
        json!(PresenceInfo {
            account_id: id,
            display_name: name.into(),
            online_at: "now".into(),
        })
    };
    let ada_track = ada_rt.track(ada_chat, me(ada_id, "Ada"));
    let vic_track = vic_rt.track(vic_chat, me(vic_id, "Vic"));
    until(Duration::from_secs(5), "Ada and Vic online for Bob", || {
        bob_rt.presence(bob_chat).is_some_and(|p| {
            let people: Vec<Uuid> = online(&p).iter().map(|i| i.account_id).collect();
            people.contains(&ada_id) && people.contains(&vic_id)
        })
    })
    .await;
    until(Duration::from_secs(5), "both tracks acknowledged", || {
        push_result(&ada_log, ada_track).is_some() && push_result(&vic_log, vic_track).is_some()
    })
    .await;
    assert!(matches!(
        push_result(&ada_log, ada_track),
        Some(PushResult::Ok(_))
    ));
    assert!(matches!(
        push_result(&vic_log, vic_track),
        Some(PushResult::Ok(_))
    ));

    // Ada, a member, forges a server event on the chat topic; Vic, a
    // viewer, tries to type; Ada types.
    let forged = ada_rt.broadcast(
        ada_chat,
        "message_created",
        json!({"id": Uuid::new_v4(), "session_id": session_id, "seq": 1, "body": "forged"}),
    );
    let viewer_typing = vic_rt.broadcast(
        vic_typing,
        TYPING_EVENT,
        json!(Typing {
            account_id: vic_id,
            typing: true
        }),
    );
    let ada_typing_push = ada_rt.broadcast(
        ada_typing,
        TYPING_EVENT,
        json!(Typing {
            account_id: ada_id,
            typing: true
        }),
    );
    until(
        Duration::from_secs(5),
        "Ada's typing at Bob and Vic",
        || {
            !broadcasts(&bob_log, bob_typing).is_empty()
                && !broadcasts(&vic_log, vic_typing).is_empty()
        },
    )
    .await;
    assert!(matches!(
        push_result(&ada_log, ada_typing_push),
        Some(PushResult::Ok(_))
    ));
    until(
        Duration::from_secs(8),
        "the refused broadcasts to time out",
        || {
            push_result(&ada_log, forged).is_some()
                && push_result(&vic_log, viewer_typing).is_some()
        },
    )
    .await;
    assert_eq!(
        push_result(&ada_log, forged),
        Some(PushResult::Timeout),
        "forged event refused"
    );
    assert_eq!(
        push_result(&vic_log, viewer_typing),
        Some(PushResult::Timeout),
        "a viewer does not type"
    );

    // Bob heard nothing on the chat topic, and only Ada on the typing one.
    assert_eq!(broadcasts(&bob_log, bob_chat), vec![]);
    assert_eq!(
        broadcasts(&vic_log, vic_chat),
        vec![],
        "the forged event reached nobody"
    );
    let heard: Vec<Typing> = broadcasts(&bob_log, bob_typing)
        .iter()
        .map(|(event, payload)| Typing::parse(event, payload).unwrap())
        .collect();
    assert_eq!(
        heard,
        vec![Typing {
            account_id: ada_id,
            typing: true
        }]
    );
    let mut indicators = TypingIndicators::new(bob_id);
    indicators.set_present(&online(&bob_rt.presence(bob_chat).unwrap()));
    for t in &heard {
        indicators.apply(t, Millis(0));
    }
    assert_eq!(indicators.names(Millis(1)), vec!["Ada"]);

    // The server's own events still reach the chat topic.
    let sent = ada
        .send_message(session_id, &NewMessage::text("real"))
        .await
        .unwrap();
    until(Duration::from_secs(5), "the real message_created", || {
        chat_events(&bob_log, bob_chat)
            .iter()
            .any(|e| matches!(e, ChatEvent::MessageCreated(m) if m.id == sent.id))
    })
    .await;
    for rt in [ada_rt, bob_rt, vic_rt] {
        rt.reset();
    }
}

//! The Realtime client in headless Chromium against a devstack: private
//! channels, messages from another client, presence, and no message lost
//! across a dropped connection.
//!
//! ```text
//! devstack exec -- env CHROMEDRIVER=/usr/bin/chromedriver \
//!     cargo test --target wasm32-unknown-unknown --test client_realtime
//! ```
#![cfg(target_arch = "wasm32")]

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use leptos::prelude::GetUntracked;
use serde_json::json;
use uuid::Uuid;
use wasm_bindgen_test::*;
use workflow_chat::chat::api::{Api, ChatApi, NewMessage};
use workflow_chat::chat::events::{chat_channel, workflow_channel, ChatEvent, WorkflowEvent};
use workflow_chat::chat::sessions::SessionList;
use workflow_chat::chat::timeline::Timeline;
use workflow_chat::chat::types::Role;
use workflow_chat::config::{MountOptions, SupabaseConfig};
use workflow_chat::supabase::realtime::{
    ChannelId, ChannelState, ConnectionState, Event, Realtime, SocketOptions,
};

wasm_bindgen_test_configure!(run_in_browser);

/// The stack under test, from the environment `devstack exec` sets,
/// captured when the test is compiled.
fn config() -> SupabaseConfig {
    let url = required("SUPABASE_URL", option_env!("SUPABASE_URL"));
    let key = required("SUPABASE_ANON_KEY", option_env!("SUPABASE_ANON_KEY"));
    SupabaseConfig::from_options(&MountOptions::new().url(url).anon_key(key)).unwrap()
}

fn required(name: &str, value: Option<&'static str>) -> &'static str {
    value.unwrap_or_else(|| panic!("{name} must be set at build time: run under `devstack exec`"))
}

async fn new_user(api: &Api, name: &str) -> (ChatApi, String) {
    let email = format!("{name}-{}@example.com", Uuid::new_v4().simple());
    let chat = api
        .register(&email, "correct horse battery", name)
        .await
        .unwrap_or_else(|e| panic!("register {email}: {e}"));
    (chat, email)
}

/// A Realtime client following `chat`'s token, recording every event.
fn realtime_for(chat: &ChatApi) -> (Realtime, Rc<RefCell<Vec<Event>>>) {
    let realtime = Realtime::new(SocketOptions::new(chat.config().realtime_url()));
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

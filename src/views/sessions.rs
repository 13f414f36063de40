//! A workflow's sessions in the navigation: last message, unread badge,
//! live updates from `workflow:<id>`, creating sessions.

use leptos::prelude::*;
use leptos::task::spawn_local;
use send_wrapper::SendWrapper;
use uuid::Uuid;

use super::clock::{format_short, instant};
use super::ctx::AppCtx;
use super::model::format::preview_line;
use super::router::{navigate, Link};
use crate::chat::events::{workflow_channel, WorkflowEvent};
use crate::chat::sessions::SessionList;
use crate::chat::types::{Role, Session};
use crate::i18n::{fill, texts};
use crate::routes::Route;
use crate::supabase::realtime::Event;
use crate::supabase::rpc::RpcError;

/// Sessions fetched per page.
pub const PAGE_SIZE: u32 = 30;

#[derive(Clone, Debug, PartialEq)]
enum Status {
    Loading,
    Ready,
    NoAccess,
    Failed(String),
}

/// The session list of one workflow, with its header and actions.
#[component]
pub fn SessionNav(
    /// The workflow.
    workflow: Uuid,
) -> impl IntoView {
    let ctx = expect_context::<AppCtx>();
    let t = texts();
    let Some(signed) = ctx.signed_in_untracked() else {
        return ().into_any();
    };
    let me = signed.account.id;
    let chat = StoredValue::new_local(signed.chat.clone());
    let include_archived = RwSignal::new(false);
    let list = RwSignal::new(SessionList::new(workflow, me, PAGE_SIZE));
    let status = RwSignal::new(Status::Loading);

    // First page, and again after a rejoin (frames may have been missed)
    // or when the archive filter changes.
    let load_first = move |fresh: bool| {
        let chat = chat.get_value();
        let archived = include_archived.get_untracked();
        spawn_local(async move {
            match chat
                .list_sessions(workflow, None, PAGE_SIZE, archived)
                .await
            {
                Ok(page) => {
                    list.try_update(|l| {
                        if fresh {
                            *l = SessionList::new(workflow, me, PAGE_SIZE).with_archived(archived);
                        }
                        l.apply_page(page);
                        l.set_open(ctx.route.get_untracked().session());
                    });
                    status.try_set(Status::Ready);
                }
                Err(RpcError::NotFound(_)) => {
                    status.try_set(Status::NoAccess);
                }
                Err(e) => {
                    status.try_set(Status::Failed(e.to_string()));
                }
            }
        });
    };
    Effect::new(move |_| {
        include_archived.track();
        load_first(true);
    });
    let load_more = move |_| {
        let Some((at, id)) = list.with_untracked(|l| l.next_page_cursor()) else {
            return;
        };
        let chat = chat.get_value();
        let archived = include_archived.get_untracked();
        spawn_local(async move {
            match chat
                .list_sessions(workflow, Some((&at, id)), PAGE_SIZE, archived)
                .await
            {
                Ok(page) => {
                    list.try_update(|l| l.apply_page(page));
                    status.try_set(Status::Ready);
                }
                Err(e) => {
                    status.try_set(Status::Failed(e.to_string()));
                }
            }
        });
    };

    // Live updates.
    let realtime = signed.realtime.clone();
    let channel = realtime.channel(workflow_channel(workflow));
    let listener = realtime.on_event(move |event| match event {
        Event::Broadcast {
            channel: c,
            event,
            payload,
            ..
        } if *c == channel => {
            let Ok(parsed) = WorkflowEvent::parse(event, payload) else {
                return;
            };
            let (WorkflowEvent::SessionCreated(s) | WorkflowEvent::SessionUpdated(s)) = &parsed;
            // The payload carries no read state: for a session the list
            // does not hold yet (beyond the first page), fetch it with the
            // user's read position rather than count everything unread.
            let unknown = list.with_untracked(|l| l.get(s.id).is_none()) && s.last_seq > 0;
            if unknown {
                let (chat, id) = (chat.get_value(), s.id);
                spawn_local(async move {
                    if let Ok(full) = chat.get_session(id).await {
                        list.try_update(|l| l.apply_event(WorkflowEvent::SessionUpdated(full)));
                    }
                });
            } else {
                list.try_update(|l| l.apply_event(parsed));
            }
        }
        Event::Joined {
            channel: c,
            rejoin: true,
        } if *c == channel => load_first(false),
        _ => {}
    });
    realtime.join(channel);
    let cleanup = SendWrapper::new((realtime, channel, listener));
    on_cleanup(move || {
        let (realtime, channel, listener) = cleanup.take();
        realtime.off(listener);
        realtime.leave(channel);
    });

    // The open session counts as read; the chat reports how far.
    Effect::new(move |_| {
        let open = ctx.route.get().session();
        list.update(|l| l.set_open(open));
    });
    Effect::new(move |_| {
        if let Some((session, seq)) = ctx.read_mark.get() {
            list.update(|l| l.mark_read(session, seq));
        }
    });

    let role = Memo::new(move |_| ctx.workflow(workflow).map(|w| w.my_role));
    let name = Memo::new(move |_| ctx.workflow(workflow).map(|w| w.name));
    let open_session = Memo::new(move |_| ctx.route.get().session());
    let members_current = Signal::derive(move || ctx.route.get() == Route::Members { workflow });

    let items = move || {
        list.with(|l| l.sorted().into_iter().cloned().collect::<Vec<_>>())
            .into_iter()
            .map(|s| {
                let open = open_session.get() == Some(s.id);
                let unread = list.with_untracked(|l| l.unread(s.id));
                view! { <SessionItem session=s workflow open unread/> }
            })
            .collect_view()
    };

    view! {
        <section class="nav-sessions" aria-labelledby="nav-sessions-title">
            <div class="nav-sessions-header">
                <h2 id="nav-sessions-title" class="nav-heading">
                    {move || name.get().unwrap_or_else(|| t.sessions.to_owned())}
                </h2>
                <Link to=Route::Members { workflow } class="members-link" current=members_current>
                    {t.members}
                </Link>
            </div>
            {move || role.get().is_some_and(Role::can_write).then(|| view! {
                <NewSession workflow list/>
            })}
            <label class="archived-toggle">
                <input type="checkbox" prop:checked=move || include_archived.get()
                    on:change=move |ev| include_archived.set(event_target_checked(&ev)) />
                {t.show_archived}
            </label>
            {move || match status.get() {
                Status::Loading => view! { <p class="nav-status">{t.loading}</p> }.into_any(),
                Status::NoAccess => view! { <p class="nav-status" role="alert">{t.no_access}</p> }.into_any(),
                Status::Failed(e) => view! {
                    <div class="nav-status" role="alert">
                        <p>{e}</p>
                        <button type="button" on:click=move |_| load_first(true)>{t.retry}</button>
                    </div>
                }.into_any(),
                Status::Ready => view! {
                    {move || list.with(|l| l.sorted().is_empty())
                        .then(|| view! { <p class="nav-status">{t.no_sessions}</p> })}
                    <ul class="session-list">{items}</ul>
                    {move || (!list.with(|l| l.reached_end())).then(|| view! {
                        <button type="button" class="load-more" on:click=load_more>{t.load_more}</button>
                    })}
                }.into_any(),
            }}
        </section>
    }
    .into_any()
}

/// One entry of the session list.
#[component]
fn SessionItem(session: Session, workflow: Uuid, open: bool, unread: i64) -> impl IntoView {
    let t = texts();
    let at = instant(&session.last_activity_at);
    let preview = preview_line(session.last_message.as_ref());
    let badge = (unread > 0 && !open).then(|| {
        let label = fill(t.unread_count, &[("count", &unread.to_string())]);
        view! {
            <span class="unread-badge" aria-label=label.clone() title=label>
                {if unread > 99 { "99+".to_owned() } else { unread.to_string() }}
            </span>
        }
    });
    let archived = session
        .archived_at
        .is_some()
        .then(|| view! { <span class="archived-badge">{t.archived}</span> });
    view! {
        <li class="session-item" data-session=session.id.to_string()
            class=("session-item--unread", unread > 0 && !open)>
            <Link to=Route::Session { workflow, session: session.id } class="session-link"
                current=Signal::derive(move || open)>
                <span class="session-line">
                    <span class="session-title">{session.title.clone()}</span>
                    <time class="session-time" datetime=session.last_activity_at.clone()>
                        {format_short(at)}
                    </time>
                </span>
                <span class="session-line">
                    <span class="session-preview">{preview}</span>
                    {archived}
                    {badge}
                </span>
            </Link>
        </li>
    }
}

/// The "new session" button and its form.
#[component]
fn NewSession(workflow: Uuid, list: RwSignal<SessionList>) -> impl IntoView {
    let ctx = expect_context::<AppCtx>();
    let t = texts();
    let open = RwSignal::new(false);
    let title = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let input = NodeRef::<leptos::html::Input>::new();
    Effect::new(move |_| {
        if open.get() {
            if let Some(el) = input.get() {
                let _ = el.focus();
            }
        }
    });
    let submit = move |ev: web_sys::SubmitEvent| {
        ev.prevent_default();
        let text = title.get_untracked().trim().to_owned();
        if text.is_empty() || busy.get_untracked() {
            return;
        }
        let Some(signed) = ctx.signed_in_untracked() else {
            return;
        };
        busy.set(true);
        spawn_local(async move {
            match signed
                .chat
                .create_session(workflow, &text, serde_json::json!({}))
                .await
            {
                Ok(session) => {
                    let id = session.id;
                    list.try_update(|l| l.apply_event(WorkflowEvent::SessionCreated(session)));
                    title.set(String::new());
                    open.set(false);
                    error.set(None);
                    navigate(
                        ctx,
                        Route::Session {
                            workflow,
                            session: id,
                        },
                    );
                }
                Err(e) => error.set(Some(fill(t.error_with, &[("error", &e.to_string())]))),
            }
            busy.set(false);
        });
    };
    view! {
        <div class="new-session">
            <button type="button" class="new-session-button" aria-expanded=move || open.get().to_string()
                on:click=move |_| open.update(|o| *o = !*o)>
                "+ " {t.new_session}
            </button>
            <Show when=move || open.get()>
                <form class="new-session-form" on:submit=submit>
                    <label for="new-session-title">{t.session_title}</label>
                    <input id="new-session-title" type="text" maxlength="200" required node_ref=input
                        prop:value=move || title.get()
                        on:input=move |ev| title.set(event_target_value(&ev))
                        on:keydown=move |ev: web_sys::KeyboardEvent| if ev.key() == "Escape" { open.set(false) } />
                    {move || error.get().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
                    <div class="form-actions">
                        <button type="submit" class="primary" disabled=move || busy.get()>{t.create}</button>
                        <button type="button" on:click=move |_| open.set(false)>{t.cancel}</button>
                    </div>
                </form>
            </Show>
        </div>
    }
}

//! One message: author and time, quote, text with links, edited and deleted
//! states, attachment, reactions, read receipts, send state, actions.
//!
//! The row element stays in place while the message changes (an edit, a
//! reaction), and so do its controls, so keyboard focus is never lost.

use leptos::prelude::*;

use super::attachment::AttachmentView;
use super::room::Room;
use super::rows::{Item, MessageRow};
use crate::chat::timeline::SendState;
use crate::chat::types::{Message, Reaction};
use crate::i18n::{fill, list_names, texts};
use crate::views::avatar::Avatar;
use crate::views::clock::{format_full, format_time, iso};
use crate::views::model::linkify::{linkify, Segment};
use crate::views::model::roles::{can_delete_message, can_edit_message};

/// Emojis offered by the reaction picker.
pub const QUICK_REACTIONS: [&str; 6] = ["👍", "❤️", "😂", "🎉", "😮", "🙏"];

/// Text with clickable links and nothing else interpreted.
#[component]
pub fn RichText(
    /// The text.
    text: String,
) -> impl IntoView {
    linkify(&text)
        .into_iter()
        .map(|segment| match segment {
            Segment::Text(text) => text.into_any(),
            Segment::Link { text, href } => view! {
                <a href=href target="_blank" rel="noopener noreferrer nofollow">{text}</a>
            }
            .into_any(),
        })
        .collect_view()
}

/// A message row.
#[component]
pub fn MessageView(room: Room, row: Memo<Option<MessageRow>>, row_key: String) -> impl IntoView {
    let t = texts();
    let stored = Memo::new(move |_| {
        row.with(|r| match r.as_ref().map(|r| &r.item) {
            Some(Item::Stored(m)) => Some((**m).clone()),
            _ => None,
        })
    });
    let send_state = Memo::new(move |_| {
        row.with(|r| match r.as_ref().map(|r| &r.item) {
            Some(Item::Pending(p)) => Some(p.state.clone()),
            _ => None,
        })
    });
    let group_start = Memo::new(move |_| row.with(|r| r.as_ref().is_some_and(|r| r.group_start)));
    let group_end = Memo::new(move |_| row.with(|r| r.as_ref().is_some_and(|r| r.group_end)));
    let at_ms = Memo::new(move |_| row.with(|r| r.as_ref().map_or(0, |r| r.at_ms)));
    let author = Memo::new(move |_| {
        stored.with(|m| match m {
            Some(m) => (
                m.author.id,
                m.author.display_name.clone(),
                m.author.avatar_url.clone(),
            ),
            None => (room.me, room.name_of(room.me), None),
        })
    });
    let deleted = Memo::new(move |_| stored.with(|m| m.as_ref().is_some_and(Message::is_deleted)));
    let palette_open = RwSignal::new(false);
    let article = NodeRef::<leptos::html::Article>::new();

    let gutter = move || {
        if group_start.get() {
            let (id, name, url) = author.get();
            view! { <Avatar id name url/> }.into_any()
        } else {
            view! { <span class="msg-gutter-time" aria-hidden="true">{format_time(at_ms.get())}</span> }
                .into_any()
        }
    };
    let head = move || {
        let (_, name, _) = author.get();
        let ms = at_ms.get();
        if group_start.get() {
            view! {
                <div class="msg-head">
                    <span class="msg-author">{name}</span>
                    <time class="msg-time" datetime=iso(ms) title=format_full(ms)>{format_time(ms)}</time>
                </div>
            }
            .into_any()
        } else {
            view! {
                <span class="visually-hidden">{name} ", " {format_time(ms)}</span>
            }
            .into_any()
        }
    };
    let quote = move || {
        row.with(|r| r.as_ref().and_then(|r| r.quote.clone()))
            .map(|q| {
                let preview = q
                    .preview
                    .clone()
                    .unwrap_or_else(|| t.quote_deleted.to_owned());
                let target = q.seq;
                let title = preview.clone();
                view! {
                    <button type="button" class="msg-quote" title=title
                        on:click=move |_| scroll_to_seq(target)>
                        <strong>{q.author_name.clone()}</strong> ": " {preview}
                    </button>
                }
            })
    };
    let body = move || {
        if deleted.get() {
            return view! { <p class="msg-body msg-deleted">{t.message_deleted}</p> }.into_any();
        }
        let text = row.with(|r| match r.as_ref().map(|r| &r.item) {
            Some(Item::Stored(m)) => m.body.clone(),
            Some(Item::Pending(p)) => p.message.body.clone(),
            None => None,
        });
        let edited = stored.with(|m| m.as_ref().and_then(|m| m.edited_at.clone()));
        let text = text.filter(|b| !b.is_empty());
        if text.is_none() && edited.is_none() {
            return ().into_any();
        }
        view! {
            <p class="msg-body">
                {text.map(|text| view! { <RichText text/> })}
                {edited.map(|at| view! {
                    <span class="msg-edited" title=format_full(crate::views::clock::instant(&at))>{t.edited}</span>
                })}
            </p>
        }
        .into_any()
    };
    let attachment = move || {
        stored
            .with(|m| {
                m.as_ref()
                    .and_then(|m| m.attachment.clone().map(|a| (m.kind, a)))
            })
            .map(|(kind, attachment)| view! { <AttachmentView room kind attachment/> })
    };
    let receipts = move || {
        let names = row.with(|r| r.as_ref().map(|r| r.receipts.clone()).unwrap_or_default());
        (!names.is_empty()).then(|| {
            let text = fill(t.seen_by, &[("names", &list_names(&names))]);
            view! { <div class="receipt">{text}</div> }
        })
    };
    let state = move || {
        let key = row.with(|r| r.as_ref().map(|r| r.key));
        match (send_state.get(), key) {
            (Some(SendState::Sending), _) => {
                view! { <div class="send-state">{t.sending}</div> }.into_any()
            }
            (Some(SendState::Failed(reason)), Some(key)) => view! {
                <div class="send-state" role="alert">
                    <span title=reason>{t.send_failed}</span>
                    <button type="button" class="retry" on:click=move |_| room.retry(key)>{t.retry}</button>
                    <button type="button" class="discard" on:click=move |_| room.discard(key)>{t.discard}</button>
                </div>
            }
            .into_any(),
            _ => ().into_any(),
        }
    };
    let focus_row = move || {
        if let Some(el) = article.get_untracked() {
            let _ = el.focus();
        }
    };
    let palette = move || {
        let id = stored.with(|m| m.as_ref().map(|m| m.id))?;
        palette_open.get().then(|| {
            view! {
                <div class="emoji-palette" role="group" aria-label=t.react>
                    {QUICK_REACTIONS.iter().map(|emoji| {
                        let e = emoji.to_string();
                        view! {
                            <button type="button" aria-label=e.clone() on:click=move |_| {
                                room.toggle_reaction(id, e.clone());
                                palette_open.set(false);
                                focus_row();
                            }>{*emoji}</button>
                        }
                    }).collect_view()}
                </div>
            }
        })
    };
    let actions = move || {
        let message = stored.get()?;
        if message.is_deleted() || !room.can_write() {
            return None;
        }
        let role = room.role.get()?;
        let id = message.id;
        let can_edit = can_edit_message(role, room.me, message.author.id);
        let can_delete = can_delete_message(role, room.me, message.author.id);
        let for_reply = message.clone();
        let for_edit = message.clone();
        Some(view! {
            <div class="msg-actions" role="toolbar" aria-label=t.react>
                <button type="button" class="action-react" aria-expanded=move || palette_open.get().to_string()
                    on:click=move |_| palette_open.update(|o| *o = !*o)>
                    <span aria-hidden="true">"☺ "</span>{t.react}
                </button>
                <button type="button" class="action-reply" on:click=move |_| {
                    room.editing.set(None);
                    room.reply_to.set(Some(for_reply.clone()));
                    focus_composer();
                }>{t.reply}</button>
                {can_edit.then(|| view! {
                    <button type="button" class="action-edit" on:click=move |_| {
                        room.reply_to.set(None);
                        room.editing.set(Some(for_edit.clone()));
                        focus_composer();
                    }>{t.edit}</button>
                })}
                {can_delete.then(|| view! {
                    <button type="button" class="action-delete" on:click=move |_| {
                        let confirmed = web_sys::window()
                            .and_then(|w| w.confirm_with_message(t.confirm_delete).ok())
                            .unwrap_or(false);
                        if confirmed {
                            room.delete(id);
                            focus_row();
                        }
                    }>{t.delete}</button>
                })}
            </div>
        })
    };

    let seq = move || stored.with(|m| m.as_ref().map(|m| m.seq.to_string()));
    view! {
        <article class="msg" node_ref=article tabindex="-1" data-row=row_key data-message=""
            data-seq=seq
            class=("msg--group-start", move || group_start.get())
            class=("msg--group-end", move || group_end.get())
            class=("msg--pending", move || matches!(send_state.get(), Some(SendState::Sending)))
            class=("msg--failed", move || matches!(send_state.get(), Some(SendState::Failed(_))))
            class=("msg--deleted", move || deleted.get())>
            <div class="msg-gutter">{gutter}</div>
            <div class="msg-main">
                {head}
                {quote}
                {body}
                {attachment}
                <Reactions room stored/>
                {palette}
                {receipts}
                {state}
            </div>
            {actions}
        </article>
    }
}

/// The reaction chips of a message, each a toggle.
#[component]
fn Reactions(room: Room, stored: Memo<Option<Message>>) -> impl IntoView {
    let list = Memo::new(move |_| {
        stored.with(|m| m.as_ref().map(|m| m.reactions.clone()).unwrap_or_default())
    });
    let id = Memo::new(move |_| stored.with(|m| m.as_ref().map(|m| m.id)));
    let emojis = move || list.with(|l| l.iter().map(|r| r.emoji.clone()).collect::<Vec<_>>());
    view! {
        <div class="reactions" hidden=move || list.with(Vec::is_empty)>
            <For each=emojis key=|e| e.clone() children=move |emoji: String| {
                let lookup = emoji.clone();
                let reaction = Memo::new(move |_| {
                    list.with(|l| l.iter().find(|r| r.emoji == lookup).cloned())
                });
                let mine = move || reaction.with(|r| r.as_ref().is_some_and(|r| r.account_ids.contains(&room.me)));
                let title = move || reaction.with(|r| r.as_ref().map(|r| who_reacted(room, r)).unwrap_or_default());
                let count = move || reaction.with(|r| r.as_ref().map_or(0, |r| r.count));
                let toggle_emoji = emoji.clone();
                let label_emoji = emoji.clone();
                let label = move || format!("{label_emoji} {}", count());
                view! {
                    <button type="button" class="reaction" aria-pressed=move || mine().to_string()
                        title=title aria-label=move || format!("{}, {}", label(), title())
                        disabled=move || !room.can_write()
                        on:click=move |_| if let Some(id) = id.get_untracked() {
                            room.toggle_reaction(id, toggle_emoji.clone())
                        }>
                        <span aria-hidden="true">{emoji.clone()}</span>
                        <span class="reaction-count" aria-hidden="true">{count}</span>
                    </button>
                }
            }/>
        </div>
    }
}

fn who_reacted(room: Room, reaction: &Reaction) -> String {
    let names: Vec<String> = reaction
        .account_ids
        .iter()
        .map(|id| room.name_of(*id))
        .collect();
    fill(
        texts().reacted_with,
        &[("names", &list_names(&names)), ("emoji", &reaction.emoji)],
    )
}

fn focus_composer() {
    if let Some(el) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id("composer-input"))
        .and_then(|e| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(e).ok())
    {
        let _ = el.focus();
    }
}

/// Scrolls to a message if it is rendered.
fn scroll_to_seq(seq: i64) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    if let Ok(Some(el)) = document.query_selector(&format!(".msg[data-seq=\"{seq}\"]")) {
        let options = web_sys::ScrollIntoViewOptions::new();
        options.set_block(web_sys::ScrollLogicalPosition::Center);
        el.scroll_into_view_with_scroll_into_view_options(&options);
        if let Ok(el) = wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(el) {
            let _ = el.focus();
        }
    }
}

//! The composer: Enter sends, Shift+Enter adds a line, Escape cancels a
//! reply or an edit; the draft of each session survives navigation,
//! reloads and the end of a sign-in session.

use leptos::html;
use leptos::prelude::*;
use uuid::Uuid;

use super::room::Room;
use super::upload::{file_list, limits_text, AttachButton, Attachments, RecordButton, Uploads};
use crate::chat::types::MessageKind;
use crate::i18n::{fill, texts};
use crate::views::local;

/// The message composer of a session.
#[component]
pub fn Composer(room: Room) -> impl IntoView {
    let t = texts();
    let text = RwSignal::new(local::load_draft(room.me, room.session_id));
    let input = NodeRef::<html::Textarea>::new();
    let uploads = Uploads::new(room);
    let dragging = RwSignal::new(false);
    let on_dragover = move |ev: web_sys::DragEvent| {
        ev.prevent_default();
        dragging.set(true);
    };
    let on_drop = move |ev: web_sys::DragEvent| {
        ev.prevent_default();
        dragging.set(false);
        let files = file_list(ev.data_transfer().and_then(|d| d.files()));
        if !files.is_empty() {
            uploads.add_files(files);
        }
    };
    let on_paste = move |ev: web_sys::ClipboardEvent| {
        let files = file_list(ev.clipboard_data().and_then(|d| d.files()));
        if !files.is_empty() {
            ev.prevent_default();
            uploads.add_files(files);
        }
    };

    // Editing puts the message's text in the field; leaving it brings the
    // draft back.
    Effect::new(move |previous: Option<Option<Uuid>>| {
        let editing = room.editing.get();
        let id = editing.as_ref().map(|m| m.id);
        let was = previous.flatten();
        if id != was {
            match editing {
                Some(m) => text.set(m.body.unwrap_or_default()),
                None if was.is_some() => text.set(local::load_draft(room.me, room.session_id)),
                None => {}
            }
        }
        id
    });

    let submit = move || {
        let value = text.get_untracked();
        if let Some(message) = room.editing.get_untracked() {
            if value.trim().is_empty() && message.kind == MessageKind::Text {
                return;
            }
            room.edit(message.id, value.trim().to_owned());
            room.editing.set(None);
            return;
        }
        let body = value.trim();
        if body.is_empty() {
            return;
        }
        room.send_text(body.to_owned());
        text.set(String::new());
        local::save_draft(room.me, room.session_id, "");
    };

    let on_input = move |ev| {
        let value = event_target_value(&ev);
        if room.editing.get_untracked().is_none() {
            local::save_draft(room.me, room.session_id, &value);
            room.typing_input(value.trim().is_empty());
        }
        text.set(value);
    };
    let on_keydown = move |ev: web_sys::KeyboardEvent| match ev.key().as_str() {
        "Enter" if !ev.shift_key() && !ev.is_composing() => {
            ev.prevent_default();
            submit();
        }
        "Escape"
            if room.editing.get_untracked().is_some()
                || room.reply_to.get_untracked().is_some() =>
        {
            ev.prevent_default();
            room.editing.set(None);
            room.reply_to.set(None);
        }
        _ => {}
    };
    let on_submit = move |ev: web_sys::SubmitEvent| {
        ev.prevent_default();
        submit();
        if let Some(el) = input.get_untracked() {
            let _ = el.focus();
        }
    };

    let context = move || {
        if room.editing.with(Option::is_some) {
            Some(view! {
                <div class="composer-context">
                    <span>{t.editing}</span>
                    <button type="button" on:click=move |_| room.editing.set(None)>{t.cancel}</button>
                </div>
            }.into_any())
        } else {
            room.reply_to.get().map(|m| {
                let label = fill(t.replying_to, &[("name", &m.author.display_name)]);
                view! {
                    <div class="composer-context">
                        <span>{label}</span>
                        <button type="button" aria-label=t.cancel_reply
                            on:click=move |_| room.reply_to.set(None)>"×"</button>
                    </div>
                }
                .into_any()
            })
        }
    };

    move || {
        if room.archived.get() {
            return view! { <div class="composer"><p class="composer-readonly">{t.archived_banner}</p></div> }.into_any();
        }
        if !room.role.get().is_some_and(|r| r.can_write()) {
            return view! { <div class="composer"><p class="composer-readonly">{t.read_only}</p></div> }.into_any();
        }
        view! {
            <form class="composer" on:submit=on_submit
                class=("composer--dragging", move || dragging.get())
                on:dragover=on_dragover on:dragleave=move |_| dragging.set(false) on:drop=on_drop>
                {context}
                <Attachments uploads/>
                <div class="composer-row">
                    <AttachButton uploads/>
                    <label for="composer-input" class="visually-hidden">{t.composer_label}</label>
                    <textarea id="composer-input" node_ref=input rows="1"
                        placeholder=t.composer_placeholder
                        aria-describedby="composer-hint"
                        prop:value=move || text.get()
                        on:input=on_input on:keydown=on_keydown on:paste=on_paste
                        on:blur=move |_| room.typing_input(true)></textarea>
                    <RecordButton uploads/>
                    <button type="submit" class="primary send-button">{t.send}</button>
                </div>
                <p id="composer-hint" class="composer-hint">{t.composer_hint}</p>
                <p id="attach-limits" class="limits">{limits_text()}</p>
            </form>
        }
        .into_any()
    }
}

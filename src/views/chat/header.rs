//! The chat header: title, who is online, rename and archive.

use leptos::html;
use leptos::prelude::*;

use super::room::Room;
use crate::i18n::{fill, list_names, texts};
use crate::views::avatar::Avatar;
use crate::views::model::roles::can_manage_session;

/// Most avatars shown in the presence list.
const PRESENCE_AVATARS: usize = 5;

/// The header of a chat session.
#[component]
pub fn ChatHeader(room: Room) -> impl IntoView {
    let t = texts();
    let renaming = RwSignal::new(false);
    let draft = RwSignal::new(String::new());
    let input = NodeRef::<html::Input>::new();
    let title = move || {
        room.session
            .with(|s| s.as_ref().map(|s| s.title.clone()).unwrap_or_default())
    };
    let can_manage = Memo::new(move |_| {
        let creator = room.session.with(|s| s.as_ref().map(|s| s.created_by));
        match (room.role.get(), creator) {
            (Some(role), Some(creator)) => can_manage_session(role, room.me, creator),
            _ => false,
        }
    });
    Effect::new(move |_| {
        if renaming.get() {
            if let Some(el) = input.get() {
                let _ = el.focus();
                el.select();
            }
        }
    });
    let start_rename = move |_| {
        draft.set(title());
        renaming.set(true);
    };
    let submit = move |ev: web_sys::SubmitEvent| {
        ev.prevent_default();
        let value = draft.get_untracked().trim().to_owned();
        if !value.is_empty() && value != title() {
            room.rename(value);
        }
        renaming.set(false);
    };

    let presence = move || {
        let people = room.online.get();
        let count = people.len();
        let names: Vec<String> = people.iter().map(|p| p.display_name.clone()).collect();
        let label = format!(
            "{}: {}",
            fill(t.online_count, &[("count", &count.to_string())]),
            list_names(&names)
        );
        (count > 0).then(|| view! {
            <div class="presence" role="group" aria-label=label.clone() title=label>
                <span class="presence-dot" aria-hidden="true"></span>
                <ul class="presence-list" aria-hidden="true">
                    {people.into_iter().take(PRESENCE_AVATARS).map(|p| view! {
                        <li><Avatar id=p.account_id name=p.display_name.clone() small=true/></li>
                    }).collect_view()}
                </ul>
                <span class="presence-count">{fill(t.online_count, &[("count", &count.to_string())])}</span>
            </div>
        })
    };

    view! {
        <header class="chat-header">
            {move || if renaming.get() {
                view! {
                    <form class="rename-form" on:submit=submit>
                        <label for="rename-input" class="visually-hidden">{t.session_title}</label>
                        <input id="rename-input" type="text" maxlength="200" required node_ref=input
                            prop:value=move || draft.get()
                            on:input=move |ev| draft.set(event_target_value(&ev))
                            on:keydown=move |ev: web_sys::KeyboardEvent| if ev.key() == "Escape" { renaming.set(false) } />
                        <button type="submit" class="primary">{t.save}</button>
                        <button type="button" on:click=move |_| renaming.set(false)>{t.cancel}</button>
                    </form>
                }.into_any()
            } else {
                view! { <h2 class="chat-title" id="chat-title">{title}</h2> }.into_any()
            }}
            {presence}
            <Show when=move || can_manage.get() && !renaming.get()>
                <div class="chat-header-actions">
                    <button type="button" class="rename-session" on:click=start_rename>{t.rename}</button>
                    <button type="button" class="archive-session"
                        on:click=move |_| room.set_archived(!room.archived.get_untracked())>
                        {move || if room.archived.get() { t.unarchive } else { t.archive }}
                    </button>
                </div>
            </Show>
        </header>
    }
}

/// "Ada is typing…", announced politely.
#[component]
pub fn TypingIndicator(room: Room) -> impl IntoView {
    let t = texts();
    let label = move || {
        let names = room.typing_names.get();
        match names.as_slice() {
            [] => String::new(),
            [one] => fill(t.typing_one, &[("name", one)]),
            [a, b] => fill(t.typing_two, &[("a", a), ("b", b)]),
            more => fill(t.typing_many, &[("count", &more.len().to_string())]),
        }
    };
    view! { <div class="typing-indicator" aria-live="polite">{label}</div> }
}

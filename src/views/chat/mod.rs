//! The chat view of one session: header, message list, typing indicator,
//! composer, all fed by one [`room::Room`].

pub mod attachment;
pub mod composer;
pub mod header;
pub mod list;
pub mod message;
pub mod room;
pub mod rows;
pub mod upload;
pub mod uploader;

use leptos::prelude::*;
use uuid::Uuid;

use self::composer::Composer;
use self::header::{ChatHeader, TypingIndicator};
use self::list::MessageList;
use self::room::{Room, RoomStatus};
use super::ctx::AppCtx;
use crate::i18n::texts;

/// One chat session.
#[component]
pub fn ChatView(
    /// Its workflow.
    workflow: Uuid,
    /// The session.
    session: Uuid,
) -> impl IntoView {
    let ctx = expect_context::<AppCtx>();
    let t = texts();
    let Some(room) = Room::open(ctx, workflow, session) else {
        return ().into_any();
    };
    on_cleanup(move || room.close());
    let status = Memo::new(move |_| room.status.get());
    view! {
        <section class="chat" aria-labelledby="chat-title" data-session=session.to_string()>
            {move || match status.get() {
                RoomStatus::Loading => view! { <p class="placeholder">{t.loading}</p> }.into_any(),
                RoomStatus::NoAccess => view! {
                    <p class="placeholder no-access" role="alert">{t.no_access}</p>
                }.into_any(),
                RoomStatus::Failed(e) => view! {
                    <div class="placeholder" role="alert">
                        <p>{e}</p>
                        <button type="button" on:click=move |_| room.reopen()>{t.retry}</button>
                    </div>
                }.into_any(),
                RoomStatus::Ready => view! {
                    <ChatHeader room/>
                    {move || room.action_error.get().map(|e| view! {
                        <p class="form-error chat-error" role="alert">{e}</p>
                    })}
                    <MessageList room/>
                    <TypingIndicator room/>
                    <Composer room/>
                }.into_any(),
            }}
        </section>
    }
    .into_any()
}

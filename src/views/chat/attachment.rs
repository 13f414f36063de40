//! An attachment inside a message: an image shown inline, a voice note
//! with play/pause and a seek bar, any other file as a card (name, size,
//! type, download). The bytes come through a short-lived signed URL of the
//! private bucket.

use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::room::Room;
use crate::chat::attachments::BUCKET;
use crate::chat::types::{Attachment, MessageKind};
use crate::i18n::texts;
use crate::views::model::format::{format_duration, format_size};

/// Lifetime of the signed URLs the views ask for, in seconds.
const SIGNED_URL_SECONDS: u32 = 3600;

/// An attachment.
#[component]
pub fn AttachmentView(room: Room, kind: MessageKind, attachment: Attachment) -> impl IntoView {
    let t = texts();
    // None: loading; Some(None): unavailable.
    let url = RwSignal::new(None::<Option<String>>);
    if let Some(storage) = room.storage() {
        let path = attachment.path.clone();
        spawn_local(async move {
            let signed = storage
                .signed_url(BUCKET, &path, SIGNED_URL_SECONDS)
                .await
                .ok();
            url.try_set(Some(signed));
        });
    }
    let name = attachment.file_name.clone();
    let is_image = attachment.mime_type.starts_with("image/");
    if kind == MessageKind::Audio {
        return view! {
            <VoiceNote url duration_ms=attachment.duration_ms.unwrap_or(0) name/>
        }
        .into_any();
    }
    let detail = format!(
        "{} · {}",
        format_size(attachment.size_bytes),
        attachment.mime_type
    );
    let card_name = name.clone();
    let card = move || {
        let href = url.get().flatten();
        let unavailable = matches!(url.get(), Some(None));
        view! {
            <div class="file-card">
                <span class="file-icon" aria-hidden="true">"📄"</span>
                <span class="file-meta">
                    <span class="file-name">{card_name.clone()}</span>
                    <span class="file-detail">{detail.clone()}</span>
                    {unavailable.then(|| view! { <span class="file-detail">{t.attachment_unavailable}</span> })}
                </span>
                {href.map(|href| view! {
                    <a class="file-download" href=href download=card_name.clone()
                        target="_blank" rel="noopener">{t.download}</a>
                })}
            </div>
        }
    };
    let preview = move || {
        if !is_image {
            return None;
        }
        url.get().flatten().map(|src| {
            view! { <img class="attachment-image" src=src alt=name.clone() loading="lazy"/> }
        })
    };
    view! { {preview} {card} }.into_any()
}

/// A voice note player: play/pause, a seek bar and the time.
#[component]
fn VoiceNote(
    url: RwSignal<Option<Option<String>>>,
    duration_ms: i64,
    name: String,
) -> impl IntoView {
    let t = texts();
    let audio = NodeRef::<html::Audio>::new();
    let playing = RwSignal::new(false);
    let position = RwSignal::new(0i64);
    // Recordings from MediaRecorder often carry no duration: the stored one
    // is the truth, the element's is used only when it knows better.
    let total = RwSignal::new(duration_ms.max(0));
    let toggle = move |_| {
        let Some(el) = audio.get_untracked() else {
            return;
        };
        if el.paused() {
            let _ = el.play();
        } else {
            let _ = el.pause();
        }
    };
    let on_time = move |_| {
        if let Some(el) = audio.get_untracked() {
            position.set((el.current_time() * 1000.0) as i64);
        }
    };
    let on_meta = move |_| {
        if let Some(el) = audio.get_untracked() {
            let d = el.duration();
            if d.is_finite() && d > 0.0 && total.get_untracked() == 0 {
                total.set((d * 1000.0) as i64);
            }
        }
    };
    let on_seek = move |ev| {
        let Ok(ms) = event_target_value(&ev).parse::<i64>() else {
            return;
        };
        position.set(ms);
        if let Some(el) = audio.get_untracked() {
            el.set_current_time(ms as f64 / 1000.0);
        }
    };
    let unavailable = move || matches!(url.get(), Some(None));
    view! {
        <div class="voice-note" role="group" aria-label=format!("{} {}", t.voice_note, name)>
            <audio node_ref=audio preload="metadata" src=move || url.get().flatten()
                on:play=move |_| playing.set(true) on:pause=move |_| playing.set(false)
                on:ended=move |_| { playing.set(false); position.set(0) }
                on:timeupdate=on_time on:loadedmetadata=on_meta></audio>
            <button type="button" class="play" on:click=toggle
                disabled=move || url.get().flatten().is_none()
                aria-label=move || if playing.get() { t.pause } else { t.play }>
                <span aria-hidden="true">{move || if playing.get() { "❚❚" } else { "▶" }}</span>
            </button>
            <input type="range" min="0" step="100" aria-label=t.seek
                max=move || total.get().to_string()
                prop:value=move || position.get().to_string()
                aria-valuetext=move || format_duration(position.get())
                on:input=on_seek/>
            <span class="voice-time">
                {move || format!("{} / {}", format_duration(position.get()), format_duration(total.get()))}
            </span>
            {move || unavailable().then(|| view! { <span class="file-detail">{t.attachment_unavailable}</span> })}
        </div>
    }
}

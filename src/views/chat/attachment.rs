//! An attachment inside a message.

use leptos::prelude::*;

use super::room::Room;
use crate::chat::types::{Attachment, MessageKind};
use crate::i18n::texts;
use crate::views::model::format::{format_duration, format_size};

/// A file card or voice note.
#[component]
pub fn AttachmentView(room: Room, kind: MessageKind, attachment: Attachment) -> impl IntoView {
    let _ = room;
    let t = texts();
    let detail = match (kind, attachment.duration_ms) {
        (MessageKind::Audio, Some(ms)) => format!("{} · {}", t.voice_note, format_duration(ms)),
        _ => format!(
            "{} · {}",
            format_size(attachment.size_bytes),
            attachment.mime_type
        ),
    };
    view! {
        <div class="file-card">
            <span class="file-icon" aria-hidden="true">
                {if kind == MessageKind::Audio { "🎤" } else { "📄" }}
            </span>
            <span class="file-meta">
                <span class="file-name">{attachment.file_name.clone()}</span>
                <span class="file-detail">{detail}</span>
            </span>
        </div>
    }
}

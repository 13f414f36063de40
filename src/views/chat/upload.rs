//! Attaching files and recording voice notes in the composer.

use leptos::prelude::*;

use super::room::Room;

/// Uploads in progress above the composer.
#[component]
pub fn Attachments(room: Room) -> impl IntoView {
    let _ = room;
}

/// The button that picks files.
#[component]
pub fn AttachButton(room: Room) -> impl IntoView {
    let _ = room;
}

/// The voice note recorder.
#[component]
pub fn RecordButton(room: Room) -> impl IntoView {
    let _ = room;
}

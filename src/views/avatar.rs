//! A person's avatar: their picture, or their initials on a colour derived
//! from their id.

use leptos::prelude::*;
use uuid::Uuid;

use super::model::format::{avatar_hue, initials};

/// An avatar; decorative (the name is always shown or announced beside it).
#[component]
pub fn Avatar(
    /// Account id (for the colour).
    id: Uuid,
    /// Name (for the initials).
    #[prop(into)]
    name: String,
    /// Picture URL.
    #[prop(default = None)]
    url: Option<String>,
    /// Size class: "small" or "normal".
    #[prop(optional)]
    small: bool,
) -> impl IntoView {
    let class = if small {
        "avatar avatar--small"
    } else {
        "avatar"
    };
    let style = format!("--avatar-hue: {}", avatar_hue(id));
    match url.filter(|u| u.starts_with("https://") || u.starts_with("http://")) {
        Some(url) => view! {
            <img class=class src=url alt="" aria-hidden="true" loading="lazy" style=style/>
        }
        .into_any(),
        None => view! {
            <span class=class aria-hidden="true" style=style>{initials(&name)}</span>
        }
        .into_any(),
    }
}

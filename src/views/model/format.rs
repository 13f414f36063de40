//! Small presentation rules: initials and colours of avatars, sizes,
//! durations, previews of the last message of a session.
//!
//! ```
//! use workflow_chat::views::model::format::{initials, format_size, format_duration};
//! assert_eq!(initials("Ada Lovelace"), "AL");
//! assert_eq!(format_size(1536), "1.5 KB");
//! assert_eq!(format_duration(9_400), "0:09");
//! ```

use uuid::Uuid;

use crate::chat::types::{MessageKind, MessagePreview};
use crate::i18n::{fill, texts};

/// Up to two initials of a name, upper case; `?` for a blank name.
pub fn initials(name: &str) -> String {
    let words: Vec<&str> = name.split_whitespace().collect();
    let letter = |w: &str| {
        w.chars()
            .next()
            .map(|c| c.to_uppercase().collect::<String>())
    };
    let picked: String = match words.as_slice() {
        [] => return "?".to_owned(),
        [one] => letter(one).unwrap_or_default(),
        [first, .., last] => letter(first).unwrap_or_default() + &letter(last).unwrap_or_default(),
    };
    picked
}

/// A hue (0–359) derived from an account id, so a person keeps the same
/// avatar colour everywhere.
pub fn avatar_hue(id: Uuid) -> u16 {
    let folded = id.as_bytes().iter().fold(0u32, |acc, b| {
        acc.wrapping_mul(31).wrapping_add(u32::from(*b))
    });
    (folded % 360) as u16
}

/// A byte count for people: `512 B`, `1.5 KB`, `25 MB` (units of 1024).
pub fn format_size(bytes: i64) -> String {
    let bytes = bytes.max(0) as f64;
    let units = ["B", "KB", "MB", "GB"];
    let mut value = bytes;
    let mut unit = 0;
    while value >= 1024.0 && unit < units.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{} B", bytes as i64)
    } else if value < 10.0 && value.fract() >= 0.05 {
        format!("{value:.1} {}", units[unit])
    } else {
        format!("{} {}", value.round() as i64, units[unit])
    }
}

/// A duration as `m:ss` (or `h:mm:ss` from an hour).
pub fn format_duration(ms: i64) -> String {
    let total = ms.max(0) / 1000;
    let (h, m, s) = (total / 3600, (total / 60) % 60, total % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

/// The one-line preview of a session's last message.
pub fn preview_line(preview: Option<&MessagePreview>) -> String {
    let t = texts();
    let Some(p) = preview else {
        return t.no_messages_yet.to_owned();
    };
    let text = if p.deleted {
        t.preview_deleted.to_owned()
    } else {
        match p.kind {
            MessageKind::Text => one_line(p.body.as_deref().unwrap_or_default()),
            MessageKind::Audio => t.preview_audio.to_owned(),
            MessageKind::File => fill(
                t.preview_file,
                &[("name", p.file_name.as_deref().unwrap_or_default())],
            ),
        }
    };
    fill(
        t.preview_line,
        &[("author", &p.author_name), ("text", &text)],
    )
}

/// Collapses runs of whitespace (line breaks included) into single spaces.
pub fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initials_of_names() {
        assert_eq!(initials("Ada Lovelace"), "AL");
        assert_eq!(initials("  chloé  "), "C");
        assert_eq!(initials("Ben van der Berg"), "BB");
        assert_eq!(initials("   "), "?");
        assert_eq!(initials("élodie Ünal"), "ÉÜ");
    }

    #[test]
    fn hues_are_stable_and_spread() {
        let a = Uuid::from_u128(1);
        assert_eq!(avatar_hue(a), avatar_hue(a));
        let hues: std::collections::BTreeSet<u16> = (0..50u128)
            .map(|n| avatar_hue(Uuid::from_u128(n * 7919)))
            .collect();
        assert!(hues.len() > 20, "{hues:?}");
        assert!(hues.iter().all(|h| *h < 360));
    }

    #[test]
    fn sizes_and_durations() {
        assert_eq!(format_size(0), "0 B");
        assert_eq!(format_size(1023), "1023 B");
        assert_eq!(format_size(1024), "1 KB");
        assert_eq!(format_size(48_213), "47 KB");
        assert_eq!(format_size(26_214_400), "25 MB");
        assert_eq!(format_size(2_621_440), "2.5 MB");
        assert_eq!(format_size(-5), "0 B");
        assert_eq!(format_duration(0), "0:00");
        assert_eq!(format_duration(61_999), "1:01");
        assert_eq!(format_duration(3_600_000 + 5_000), "1:00:05");
    }

    fn preview(kind: MessageKind, body: Option<&str>, deleted: bool) -> MessagePreview {
        MessagePreview {
            id: Uuid::nil(),
            seq: 1,
            kind,
            author_id: Uuid::nil(),
            author_name: "Ben".into(),
            body: body.map(Into::into),
            file_name: Some("receipt.pdf".into()),
            created_at: String::new(),
            deleted,
        }
    }

    #[test]
    fn previews() {
        assert_eq!(preview_line(None), "No messages yet");
        assert_eq!(
            preview_line(Some(&preview(MessageKind::Text, Some("a\n\nb  c"), false))),
            "Ben: a b c"
        );
        assert_eq!(
            preview_line(Some(&preview(MessageKind::File, Some("caption"), false))),
            "Ben: File: receipt.pdf"
        );
        assert_eq!(
            preview_line(Some(&preview(MessageKind::Audio, None, false))),
            "Ben: Voice note"
        );
        assert_eq!(
            preview_line(Some(&preview(MessageKind::Text, Some("x"), true))),
            "Ben: Message deleted"
        );
    }
}

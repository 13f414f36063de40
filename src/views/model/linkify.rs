//! Message text as the views render it: plain text with web links.
//!
//! Nothing in a message is interpreted except `http://`, `https://` and
//! `www.` links, which become clickable. The views put each [`Segment`] into
//! the page as a text node or as an `<a>` whose `href` is the link itself,
//! so markup in a message shows as the characters typed.
//!
//! ```
//! use workflow_chat::views::model::linkify::{linkify, Segment};
//! assert_eq!(linkify("see https://example.org."), vec![
//!     Segment::Text("see ".into()),
//!     Segment::Link { text: "https://example.org".into(), href: "https://example.org".into() },
//!     Segment::Text(".".into()),
//! ]);
//! ```

/// A piece of message text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Segment {
    /// Text shown as typed.
    Text(String),
    /// A link: the text as typed and where it leads.
    Link {
        /// The link as it appears in the message.
        text: String,
        /// The URL opened (`www.` links get `https://`).
        href: String,
    },
}

/// Splits `text` into text and links.
pub fn linkify(text: &str) -> Vec<Segment> {
    let mut segments = Vec::new();
    let mut plain_start = 0;
    let mut i = 0;
    while i < text.len() {
        if let Some(len) = link_at(text, i) {
            if plain_start < i {
                segments.push(Segment::Text(text[plain_start..i].to_owned()));
            }
            let link = &text[i..i + len];
            let href = if starts_with_ignore_case(link, "www.") {
                format!("https://{link}")
            } else {
                link.to_owned()
            };
            segments.push(Segment::Link {
                text: link.to_owned(),
                href,
            });
            i += len;
            plain_start = i;
        } else {
            i += text[i..].chars().next().map_or(1, char::len_utf8);
        }
    }
    if plain_start < text.len() {
        segments.push(Segment::Text(text[plain_start..].to_owned()));
    }
    segments
}

fn starts_with_ignore_case(text: &str, prefix: &str) -> bool {
    text.get(..prefix.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(prefix))
}

/// Length in bytes of a link starting at byte `at`, if one does.
fn link_at(text: &str, at: usize) -> Option<usize> {
    // A link starts a word: "xhttp://" or "awww." are not links.
    if let Some(prev) = text[..at].chars().next_back() {
        if prev.is_alphanumeric() || matches!(prev, '/' | '.' | '@' | '-' | '_') {
            return None;
        }
    }
    let rest = &text[at..];
    let scheme_len = ["https://", "http://", "www."]
        .iter()
        .find(|p| starts_with_ignore_case(rest, p))?
        .len();
    let mut end = rest
        .char_indices()
        .find(|(_, c)| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | '"' | '`'))
        .map_or(rest.len(), |(i, _)| i);
    // Sentence punctuation after a link is not part of it; a closing
    // bracket is, only if the link opened one ("…/Rust_(language)").
    loop {
        let candidate = &rest[..end];
        let Some(last) = candidate.chars().next_back() else {
            break;
        };
        let strip = match last {
            '.' | ',' | ';' | ':' | '!' | '?' | '\'' | '*' => true,
            ')' => candidate.matches('(').count() < candidate.matches(')').count(),
            ']' => candidate.matches('[').count() < candidate.matches(']').count(),
            _ => false,
        };
        if !strip {
            break;
        }
        end -= last.len_utf8();
    }
    // Something must follow the scheme, and a host needs a letter or digit.
    let host = &rest[scheme_len..end];
    if !host.chars().next().is_some_and(char::is_alphanumeric) {
        return None;
    }
    Some(end)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(text: &str) -> Segment {
        Segment::Link {
            text: text.into(),
            href: text.into(),
        }
    }

    fn t(text: &str) -> Segment {
        Segment::Text(text.into())
    }

    #[test]
    fn plain_text_and_markup_stay_text() {
        assert_eq!(linkify(""), vec![]);
        assert_eq!(linkify("hello"), vec![t("hello")]);
        let hostile = "<script>alert(1)</script> <a href=\"javascript:x\">x</a>";
        assert_eq!(linkify(hostile), vec![t(hostile)]);
        assert_eq!(
            linkify("javascript:alert(1) data:text/html,x"),
            vec![t("javascript:alert(1) data:text/html,x")]
        );
    }

    #[test]
    fn finds_links_among_text() {
        assert_eq!(
            linkify("a https://x.org/p?q=1#f b http://y.io"),
            vec![
                t("a "),
                link("https://x.org/p?q=1#f"),
                t(" b "),
                link("http://y.io")
            ]
        );
        assert_eq!(
            linkify("HTTPS://X.ORG"),
            vec![link("HTTPS://X.ORG")],
            "schemes are case-insensitive"
        );
        assert_eq!(
            linkify("go to www.example.org now"),
            vec![
                t("go to "),
                Segment::Link {
                    text: "www.example.org".into(),
                    href: "https://www.example.org".into()
                },
                t(" now")
            ]
        );
    }

    #[test]
    fn trailing_punctuation_and_brackets() {
        assert_eq!(
            linkify("(see https://en.wikipedia.org/wiki/Rust_(language)), ok?"),
            vec![
                t("(see "),
                link("https://en.wikipedia.org/wiki/Rust_(language)"),
                t("), ok?")
            ]
        );
        assert_eq!(
            linkify("https://x.org/a!?"),
            vec![link("https://x.org/a"), t("!?")]
        );
        assert_eq!(
            linkify("\"https://x.org\""),
            vec![t("\""), link("https://x.org"), t("\"")]
        );
        assert_eq!(
            linkify("<https://x.org>"),
            vec![t("<"), link("https://x.org"), t(">")]
        );
    }

    #[test]
    fn not_links() {
        assert_eq!(linkify("https://"), vec![t("https://")]);
        assert_eq!(linkify("https://."), vec![t("https://.")]);
        assert_eq!(linkify("xhttps://x.org"), vec![t("xhttps://x.org")]);
        assert_eq!(linkify("awww.x.org"), vec![t("awww.x.org")]);
        assert_eq!(linkify("mail@www.x.org"), vec![t("mail@www.x.org")]);
    }

    #[test]
    fn unicode_around_links() {
        assert_eq!(
            linkify("👋 https://x.org/é 🎉"),
            vec![t("👋 "), link("https://x.org/é"), t(" 🎉")]
        );
        assert_eq!(
            linkify("line\nhttps://x.org\tend"),
            vec![t("line\n"), link("https://x.org"), t("\tend")]
        );
    }
}

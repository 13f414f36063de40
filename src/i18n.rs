//! Every string the app shows to users, in one place.
//!
//! A translation is another [`Texts`] value. Strings with variable parts are
//! templates with named `{placeholders}`, filled by [`fill`], so a
//! translator can move the parts around:
//!
//! ```
//! use workflow_chat::i18n::{fill, texts};
//! assert_eq!(fill(texts().typing_one, &[("name", "Ada")]), "Ada is typing…");
//! ```

/// The user-facing strings of one language.
#[derive(Debug)]
pub struct Texts {
    /// BCP 47 language tag, for `<html lang>`.
    pub lang: &'static str,
    /// Product name in the header and the page title.
    pub product: &'static str,
    /// Shown while the app starts.
    pub loading: &'static str,
    /// Heading of the screen shown when the page lacks its configuration.
    pub config_error_title: &'static str,
    /// Generic failure, with `{error}`.
    pub error_with: &'static str,
    /// A retry button.
    pub retry: &'static str,
    /// A cancel button.
    pub cancel: &'static str,
    /// A save button.
    pub save: &'static str,
    /// A close button.
    pub close: &'static str,
    /// Back to the list (narrow screens).
    pub back: &'static str,
    /// Skip link to the main content.
    pub skip_to_main: &'static str,
    /// The word joining the last two names of a list ("Ada and Ben").
    pub list_and: &'static str,

    // ----- account ---------------------------------------------------------
    /// Sign-in heading and button.
    pub sign_in: &'static str,
    /// Registration heading and button.
    pub register: &'static str,
    /// Sign-out button.
    pub sign_out: &'static str,
    /// Email field label.
    pub email: &'static str,
    /// Password field label.
    pub password: &'static str,
    /// Display name field label.
    pub display_name: &'static str,
    /// Password rule shown under the field.
    pub password_hint: &'static str,
    /// Link from sign-in to registration.
    pub no_account: &'static str,
    /// Link from registration to sign-in.
    pub have_account: &'static str,
    /// Shown on the sign-in form after the session expired.
    pub session_expired: &'static str,
    /// Wrong email or password.
    pub bad_credentials: &'static str,
    /// Too many failed attempts.
    pub too_many_attempts: &'static str,
    /// Registration with a known email.
    pub email_taken: &'static str,
    /// Malformed email.
    pub invalid_email: &'static str,
    /// Password too short.
    pub password_too_short: &'static str,
    /// The server could not be reached.
    pub network_error: &'static str,
    /// Signed in as `{name}`.
    pub signed_in_as: &'static str,

    // ----- theme -----------------------------------------------------------
    /// Theme switcher label.
    pub theme: &'static str,
    /// Follow the system setting.
    pub theme_system: &'static str,
    /// Light theme.
    pub theme_light: &'static str,
    /// Dark theme.
    pub theme_dark: &'static str,

    // ----- navigation ------------------------------------------------------
    /// Navigation landmark label.
    pub navigation: &'static str,
    /// Heading of the workflow list.
    pub workflows: &'static str,
    /// No workflow yet.
    pub no_workflows: &'static str,
    /// Heading of a session list.
    pub sessions: &'static str,
    /// No session in a workflow.
    pub no_sessions: &'static str,
    /// Prompt on the home screen.
    pub pick_workflow: &'static str,
    /// Prompt when a workflow is open but no session.
    pub pick_session: &'static str,
    /// Button: new session.
    pub new_session: &'static str,
    /// New session title label.
    pub session_title: &'static str,
    /// Button: create.
    pub create: &'static str,
    /// Toggle: show archived sessions.
    pub show_archived: &'static str,
    /// Badge on an archived session.
    pub archived: &'static str,
    /// Unread badge label, with `{count}`.
    pub unread_count: &'static str,
    /// Preview of a session without messages.
    pub no_messages_yet: &'static str,
    /// Preview of a deleted last message.
    pub preview_deleted: &'static str,
    /// Preview of a voice note.
    pub preview_audio: &'static str,
    /// Preview of a file, with `{name}`.
    pub preview_file: &'static str,
    /// Preview line, with `{author}` and `{text}`.
    pub preview_line: &'static str,
    /// Load more sessions.
    pub load_more: &'static str,
    /// A path the app does not know.
    pub not_found: &'static str,
    /// A workflow or session that does not exist or is not shared with me.
    pub no_access: &'static str,

    // ----- roles and members ----------------------------------------------
    /// Members link and panel heading.
    pub members: &'static str,
    /// Role name.
    pub role_owner: &'static str,
    /// Role name.
    pub role_admin: &'static str,
    /// Role name.
    pub role_member: &'static str,
    /// Role name.
    pub role_viewer: &'static str,
    /// Role column / select label.
    pub role: &'static str,
    /// Add member form heading.
    pub add_member: &'static str,
    /// Add button.
    pub add: &'static str,
    /// Remove a member.
    pub remove: &'static str,
    /// Leave the workflow.
    pub leave_workflow: &'static str,
    /// No account with that email.
    pub account_not_found: &'static str,
    /// Already a member.
    pub already_member: &'static str,
    /// The last owner cannot go.
    pub last_owner: &'static str,
    /// Not allowed by the role.
    pub insufficient_role: &'static str,
    /// "(you)" after one's own name.
    pub you_suffix: &'static str,

    // ----- chat ------------------------------------------------------------
    /// Label of the message list (ARIA log).
    pub messages_label: &'static str,
    /// Rename the session.
    pub rename: &'static str,
    /// Archive the session.
    pub archive: &'static str,
    /// Restore an archived session.
    pub unarchive: &'static str,
    /// Banner of an archived session.
    pub archived_banner: &'static str,
    /// Loading older messages.
    pub loading_older: &'static str,
    /// The start of the session is reached.
    pub history_start: &'static str,
    /// The unread divider.
    pub new_messages: &'static str,
    /// Jump to the newest messages.
    pub jump_to_latest: &'static str,
    /// Day separator: today.
    pub today: &'static str,
    /// Day separator: yesterday.
    pub yesterday: &'static str,
    /// Marker of an edited message.
    pub edited: &'static str,
    /// Body of a deleted message.
    pub message_deleted: &'static str,
    /// Reply action.
    pub reply: &'static str,
    /// Replying-to bar, with `{name}`.
    pub replying_to: &'static str,
    /// Cancel the reply.
    pub cancel_reply: &'static str,
    /// Quote of a deleted message.
    pub quote_deleted: &'static str,
    /// Edit action.
    pub edit: &'static str,
    /// Delete action.
    pub delete: &'static str,
    /// Confirmation of a deletion.
    pub confirm_delete: &'static str,
    /// React action.
    pub react: &'static str,
    /// Reaction chip title, with `{emoji}` and `{names}`.
    pub reacted_with: &'static str,
    /// Read receipt, with `{names}`.
    pub seen_by: &'static str,
    /// Pending send.
    pub sending: &'static str,
    /// Failed send.
    pub send_failed: &'static str,
    /// Discard a failed send.
    pub discard: &'static str,
    /// One person typing, with `{name}`.
    pub typing_one: &'static str,
    /// Two typing, with `{a}` and `{b}`.
    pub typing_two: &'static str,
    /// Several typing, with `{count}`.
    pub typing_many: &'static str,
    /// Presence label, with `{count}`.
    pub online_count: &'static str,
    /// Presence list label.
    pub online: &'static str,
    /// Connection banner: offline.
    pub offline_banner: &'static str,
    /// Connection banner: reconnecting.
    pub reconnecting_banner: &'static str,
    /// Connection banner: connecting for the first time.
    pub connecting_banner: &'static str,
    /// Composer placeholder.
    pub composer_placeholder: &'static str,
    /// Composer label.
    pub composer_label: &'static str,
    /// Composer hint.
    pub composer_hint: &'static str,
    /// Send button.
    pub send: &'static str,
    /// Viewers cannot write.
    pub read_only: &'static str,
    /// Editing bar.
    pub editing: &'static str,
    /// Someone's name when unknown.
    pub someone: &'static str,

    // ----- attachments -----------------------------------------------------
    /// Attach a file button.
    pub attach: &'static str,
    /// Drop zone text.
    pub drop_here: &'static str,
    /// Upload progress, with `{percent}`.
    pub uploading: &'static str,
    /// Download link.
    pub download: &'static str,
    /// Limits shown before upload, with `{size}`.
    pub attachment_limits: &'static str,
    /// Too large, with `{name}` and `{size}`.
    pub file_too_large: &'static str,
    /// Type not allowed, with `{name}`.
    pub file_type_refused: &'static str,
    /// Empty file, with `{name}`.
    pub file_empty: &'static str,
    /// Upload failed.
    pub upload_failed: &'static str,
    /// Record a voice note.
    pub record: &'static str,
    /// Stop and send the recording.
    pub stop_and_send: &'static str,
    /// Recording label, with `{time}`.
    pub recording: &'static str,
    /// Microphone refused.
    pub mic_refused: &'static str,
    /// Recording unsupported.
    pub recording_unsupported: &'static str,
    /// Voice note label.
    pub voice_note: &'static str,
    /// Play.
    pub play: &'static str,
    /// Pause.
    pub pause: &'static str,
    /// Seek slider label.
    pub seek: &'static str,
    /// Attachment could not be loaded.
    pub attachment_unavailable: &'static str,
}

/// English.
pub const EN: Texts = Texts {
    lang: "en",
    product: "workflow-chat",
    loading: "Loading…",
    config_error_title: "This page is not configured",
    error_with: "Something went wrong: {error}",
    retry: "Retry",
    cancel: "Cancel",
    save: "Save",
    close: "Close",
    back: "Back",
    skip_to_main: "Skip to content",
    list_and: "and",

    sign_in: "Sign in",
    register: "Create account",
    sign_out: "Sign out",
    email: "Email",
    password: "Password",
    display_name: "Display name",
    password_hint: "At least 8 characters.",
    no_account: "No account yet? Create one",
    have_account: "Already registered? Sign in",
    session_expired: "Your session has ended. Sign in again to continue where you left off.",
    bad_credentials: "Wrong email or password.",
    too_many_attempts: "Too many failed attempts. Wait a few minutes, then try again.",
    email_taken: "An account with this email already exists.",
    invalid_email: "Enter a valid email address.",
    password_too_short: "The password needs at least 8 characters.",
    network_error: "The server cannot be reached. Check your connection and try again.",
    signed_in_as: "Signed in as {name}",

    theme: "Theme",
    theme_system: "System",
    theme_light: "Light",
    theme_dark: "Dark",

    navigation: "Workflows and sessions",
    workflows: "Workflows",
    no_workflows: "You are not a member of any workflow yet.",
    sessions: "Sessions",
    no_sessions: "No sessions yet.",
    pick_workflow: "Choose a workflow to see its sessions.",
    pick_session: "Choose a session, or start a new one.",
    new_session: "New session",
    session_title: "Title",
    create: "Create",
    show_archived: "Show archived",
    archived: "Archived",
    unread_count: "{count} unread",
    no_messages_yet: "No messages yet",
    preview_deleted: "Message deleted",
    preview_audio: "Voice note",
    preview_file: "File: {name}",
    preview_line: "{author}: {text}",
    load_more: "Load more",
    not_found: "There is nothing at this address.",
    no_access: "This does not exist, or it is not shared with you.",

    members: "Members",
    role_owner: "Owner",
    role_admin: "Admin",
    role_member: "Member",
    role_viewer: "Viewer",
    role: "Role",
    add_member: "Add a member",
    add: "Add",
    remove: "Remove",
    leave_workflow: "Leave workflow",
    account_not_found: "No account has this email.",
    already_member: "This person is already a member.",
    last_owner: "A workflow needs at least one owner.",
    insufficient_role: "Your role does not allow this.",
    you_suffix: "(you)",

    messages_label: "Messages",
    rename: "Rename",
    archive: "Archive",
    unarchive: "Restore",
    archived_banner: "This session is archived: it can be read but not written to.",
    loading_older: "Loading earlier messages…",
    history_start: "This is the beginning of the session.",
    new_messages: "New messages",
    jump_to_latest: "Jump to latest",
    today: "Today",
    yesterday: "Yesterday",
    edited: "(edited)",
    message_deleted: "This message was deleted.",
    reply: "Reply",
    replying_to: "Replying to {name}",
    cancel_reply: "Cancel reply",
    quote_deleted: "Deleted message",
    edit: "Edit",
    delete: "Delete",
    confirm_delete: "Delete this message for everyone?",
    react: "React",
    reacted_with: "{names} reacted with {emoji}",
    seen_by: "Seen by {names}",
    sending: "Sending…",
    send_failed: "Not sent.",
    discard: "Discard",
    typing_one: "{name} is typing…",
    typing_two: "{a} and {b} are typing…",
    typing_many: "{count} people are typing…",
    online_count: "{count} online",
    online: "Online",
    offline_banner: "You are offline. Messages will arrive when the connection is back.",
    reconnecting_banner: "Connection lost. Reconnecting…",
    connecting_banner: "Connecting…",
    composer_placeholder: "Write a message",
    composer_label: "Message",
    composer_hint: "Enter to send, Shift+Enter for a new line",
    send: "Send",
    read_only: "You can read this session but not write in it.",
    editing: "Editing message",
    someone: "Someone",

    attach: "Attach files",
    drop_here: "Drop files to attach them",
    uploading: "Uploading… {percent}%",
    download: "Download",
    attachment_limits: "Up to {size} each: images, PDF, text, CSV, JSON, ZIP, audio and video.",
    file_too_large: "{name} is larger than {size}.",
    file_type_refused: "{name}: this type of file cannot be attached.",
    file_empty: "{name} is empty.",
    upload_failed: "Upload failed.",
    record: "Record a voice note",
    stop_and_send: "Stop and send",
    recording: "Recording {time}",
    mic_refused: "The microphone is not available.",
    recording_unsupported: "This browser cannot record audio.",
    voice_note: "Voice note",
    play: "Play",
    pause: "Pause",
    seek: "Position",
    attachment_unavailable: "This attachment cannot be loaded.",
};

/// The strings of the current language.
pub fn texts() -> &'static Texts {
    &EN
}

/// Replaces each `{name}` in `template` by its value; unknown placeholders
/// stay as they are, so a mistake shows instead of vanishing.
pub fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) => {
                let name = &after[..close];
                match values.iter().find(|(k, _)| *k == name) {
                    Some((_, v)) => out.push_str(v),
                    None => {
                        out.push('{');
                        out.push_str(name);
                        out.push('}');
                    }
                }
                rest = &after[close + 1..];
            }
            None => {
                out.push_str(&rest[open..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// Joins names as a sentence list: "A", "A and B", "A, B and C".
pub fn list_names(names: &[String]) -> String {
    match names {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} {} {last}", init.join(", "), texts().list_and),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_named_placeholders() {
        assert_eq!(
            fill("{a} and {b} are typing…", &[("b", "Ben"), ("a", "Ada")]),
            "Ada and Ben are typing…"
        );
        assert_eq!(fill("{x} stays", &[]), "{x} stays");
        assert_eq!(fill("open { brace", &[]), "open { brace");
        assert_eq!(fill("no placeholders", &[("a", "b")]), "no placeholders");
        assert_eq!(fill("{n}{n}", &[("n", "1")]), "11");
    }

    #[test]
    fn every_template_uses_only_known_placeholders() {
        // A template's placeholders must be filled by the code that uses it:
        // check that each one has a name from the closed set the views pass.
        let known = [
            "error", "name", "count", "author", "text", "emoji", "names", "a", "b", "percent",
            "size", "time",
        ];
        let t = texts();
        let all = [
            t.error_with,
            t.signed_in_as,
            t.unread_count,
            t.preview_file,
            t.preview_line,
            t.replying_to,
            t.reacted_with,
            t.seen_by,
            t.typing_one,
            t.typing_two,
            t.typing_many,
            t.online_count,
            t.uploading,
            t.attachment_limits,
            t.file_too_large,
            t.file_type_refused,
            t.file_empty,
            t.recording,
        ];
        for template in all {
            let values: Vec<(&str, &str)> = known.iter().map(|k| (*k, "")).collect();
            assert!(!fill(template, &values).contains('{'), "{template}");
        }
    }

    #[test]
    fn lists_names() {
        let n = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(list_names(&n(&[])), "");
        assert_eq!(list_names(&n(&["Ada"])), "Ada");
        assert_eq!(list_names(&n(&["Ada", "Ben"])), "Ada and Ben");
        assert_eq!(
            list_names(&n(&["Ada", "Ben", "Chloé"])),
            "Ada, Ben and Chloé"
        );
    }
}

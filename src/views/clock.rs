//! The browser's clock and calendar: the current time, the local zone, and
//! dates and times formatted in the user's locale.

use wasm_bindgen::JsValue;

use super::model::time::{day_label, local_day, parse_timestamp, DayLabel};
use crate::i18n::texts;

/// Milliseconds since the epoch, now.
pub fn now_ms() -> i64 {
    js_sys::Date::now() as i64
}

fn date(ms: i64) -> js_sys::Date {
    js_sys::Date::new(&JsValue::from_f64(ms as f64))
}

/// The local zone's offset east of UTC at `ms`, in minutes.
pub fn offset_minutes(ms: i64) -> i32 {
    -(date(ms).get_timezone_offset() as i32)
}

/// The local day number of an instant.
pub fn local_day_of(ms: i64) -> i64 {
    local_day(ms, offset_minutes(ms))
}

/// The instant of a server timestamp (now, if unreadable).
pub fn instant(timestamp: &str) -> i64 {
    parse_timestamp(timestamp).unwrap_or_else(now_ms)
}

fn locale() -> String {
    web_sys::window()
        .and_then(|w| w.navigator().language())
        .unwrap_or_else(|| texts().lang.to_owned())
}

fn options(pairs: &[(&str, &str)]) -> JsValue {
    let object = js_sys::Object::new();
    for (k, v) in pairs {
        let _ = js_sys::Reflect::set(&object, &(*k).into(), &(*v).into());
    }
    object.into()
}

/// Hours and minutes, e.g. `14:05` or `2:05 PM`.
pub fn format_time(ms: i64) -> String {
    date(ms)
        .to_locale_time_string_with_options(
            &locale(),
            &options(&[("hour", "numeric"), ("minute", "2-digit")]),
        )
        .into()
}

/// Date and time in full, for tooltips.
pub fn format_full(ms: i64) -> String {
    date(ms)
        .to_locale_string(
            &locale(),
            &options(&[("dateStyle", "full"), ("timeStyle", "short")]),
        )
        .into()
}

/// A day separator: "Today", "Yesterday" or a date.
pub fn format_day(ms: i64) -> String {
    let t = texts();
    match day_label(local_day_of(ms), local_day_of(now_ms())) {
        DayLabel::Today => t.today.to_owned(),
        DayLabel::Yesterday => t.yesterday.to_owned(),
        DayLabel::Date => date(ms)
            .to_locale_date_string(
                &locale(),
                &options(&[
                    ("weekday", "long"),
                    ("day", "numeric"),
                    ("month", "long"),
                    ("year", "numeric"),
                ]),
            )
            .into(),
    }
}

/// A short time for lists: the time today, else the date.
pub fn format_short(ms: i64) -> String {
    if local_day_of(ms) == local_day_of(now_ms()) {
        format_time(ms)
    } else {
        date(ms)
            .to_locale_date_string(
                &locale(),
                &options(&[("day", "numeric"), ("month", "short")]),
            )
            .into()
    }
}

/// ISO-8601 for `<time datetime>`.
pub fn iso(ms: i64) -> String {
    date(ms).to_iso_string().into()
}

//! The message list: anchored at the bottom, windowed, keeping the reading
//! position while older history loads above, and navigable by keyboard.
//!
//! Scrolling is handled here rather than by the browser's scroll anchoring
//! (switched off in CSS), because rows appear and disappear at both ends:
//! before the window changes, the first visible row and its offset are
//! noted; after the DOM has changed and before it is painted, the list is
//! scrolled so that row is where it was.

use std::collections::HashMap;

use leptos::html;
use leptos::prelude::*;
use send_wrapper::SendWrapper;
use uuid::Uuid;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;

use super::message::MessageView;
use super::room::{Room, RoomStatus};
use super::rows::{build_rows, entry_keys, RowData, RowInputs};
use crate::i18n::texts;
use crate::views::clock::{format_day, instant, local_day_of, now_ms};
use crate::views::model::window::RenderWindow;

/// Distance from an end of the list (px) within which more is revealed.
const REVEAL_MARGIN: f64 = 400.0;
/// Distance from the bottom (px) within which the user counts as there.
const BOTTOM_SLACK: f64 = 48.0;

/// The scrollable message list with its "jump to latest" button.
#[component]
pub fn MessageList(room: Room) -> impl IntoView {
    let t = texts();
    let scroller = NodeRef::<html::Div>::new();
    let window = RwSignal::new(RenderWindow::<Uuid>::default());
    let at_bottom = RwSignal::new(true);
    let stick = StoredValue::new(true);
    let anchor = StoredValue::new(None::<(String, f64)>);
    let positioned = StoredValue::new(false);

    let keys = Memo::new(move |_| room.timeline.with(entry_keys));
    let rows = Memo::new(move |_| {
        let range = keys.with(|k| window.with(|w| w.range(k)));
        let readers = room.readers.get();
        let pending = room.pending_since.get();
        let anchor = room.unread_anchor.get();
        room.timeline.with(|timeline| {
            build_rows(
                timeline,
                RowInputs {
                    range,
                    unread_anchor: anchor,
                    readers: &readers,
                    me: room.me,
                    pending_since: &pending,
                    local_day: local_day_of,
                    instant,
                    now_ms: now_ms(),
                },
            )
        })
    });
    let by_key = Memo::new(move |_| {
        rows.with(|rows| {
            rows.iter()
                .map(|r| (r.key(), r.clone()))
                .collect::<HashMap<String, RowData>>()
        })
    });
    let row_keys =
        Memo::new(move |_| rows.with(|r| r.iter().map(RowData::key).collect::<Vec<_>>()));
    let loaded = Memo::new(move |_| room.timeline.with(|t| t.is_loaded()));
    let reached_start = Memo::new(move |_| room.timeline.with(|t| t.reached_start()));
    let window_at_start = Memo::new(move |_| keys.with(|k| window.with(|w| w.range(k).start == 0)));
    let follows = Memo::new(move |_| window.with(RenderWindow::follows_latest));
    let newest_seq = Memo::new(move |_| room.timeline.with(|t| t.newest_seq()));

    let element = move || scroller.get_untracked();

    // The anchor is a row's offset from the top of the content, which the
    // user's own scrolling does not change: restoring scrolls by exactly
    // what was added or removed above that row since it was noted.
    let offset_of = move |el: &web_sys::HtmlDivElement, node: &web_sys::Element| {
        node.get_bounding_client_rect().top() - el.get_bounding_client_rect().top()
            + f64::from(el.scroll_top())
    };
    // The anchor stays until the next capture: a change may reach the page
    // in several steps (a loading row, then the page of messages), and each
    // must be compensated.
    let restore_anchor = move || {
        let Some((key, before)) = anchor.try_get_value().flatten() else {
            return false;
        };
        let Some(el) = element() else { return false };
        let selector = format!("[data-row=\"{key}\"]");
        if let Ok(Some(node)) = el.query_selector(&selector) {
            let now = offset_of(&el, &node);
            let moved = (now - before).round() as i32;
            if moved != 0 {
                el.set_scroll_top(el.scroll_top() + moved);
                anchor.set_value(Some((key, now)));
            }
        }
        true
    };
    // Notes the first message whose bottom is below the top edge (not a
    // day separator: the separator of a day moves up as older messages of
    // that day arrive). A change still pending is settled first.
    let capture_anchor = move || {
        restore_anchor();
        let Some(el) = element() else { return };
        let top = el.get_bounding_client_rect().top();
        let Ok(list) = el.query_selector_all("[data-message]") else {
            return;
        };
        for i in 0..list.length() {
            let Some(node) = list
                .item(i)
                .and_then(|n| n.dyn_into::<web_sys::Element>().ok())
            else {
                continue;
            };
            if node.get_bounding_client_rect().bottom() > top {
                if let Some(key) = node.get_attribute("data-row") {
                    anchor.set_value(Some((key, offset_of(&el, &node))));
                }
                return;
            }
        }
    };
    let scroll_to_bottom = move || {
        if let Some(el) = element() {
            el.set_scroll_top(el.scroll_height());
        }
    };

    let reveal_older = move || {
        if !loaded.get_untracked() {
            return;
        }
        capture_anchor();
        let shown = keys.with_untracked(|k| window.try_update(|w| w.show_older(k)));
        if shown != Some(true) && !reached_start.get_untracked() {
            room.load_older();
        }
    };
    let reveal_newer = move || {
        capture_anchor();
        keys.with_untracked(|k| {
            window.update(|w| {
                w.show_newer(k);
            })
        });
    };

    let check_read = move || {
        let visible = web_sys::window()
            .and_then(|w| w.document())
            .is_some_and(|d| d.visibility_state() == web_sys::VisibilityState::Visible);
        if visible && at_bottom.get_untracked() && follows.get_untracked() {
            if let Some(seq) = newest_seq.get_untracked() {
                room.mark_read(seq);
            }
        }
    };

    let on_scroll = move |_| {
        let Some(el) = element() else { return };
        let top = f64::from(el.scroll_top());
        let distance = f64::from(el.scroll_height()) - top - f64::from(el.client_height());
        let bottom = distance <= BOTTOM_SLACK;
        if at_bottom.get_untracked() != bottom {
            at_bottom.set(bottom);
        }
        stick.set_value(bottom && follows.get_untracked());
        if top < REVEAL_MARGIN {
            reveal_older();
        }
        if distance < REVEAL_MARGIN && !follows.get_untracked() {
            reveal_newer();
        }
        if bottom {
            check_read();
        }
    };

    // When the rows' height changes (after layout, before paint, so nothing
    // visibly jumps): keep the reading position, or stay at the bottom.
    let content = NodeRef::<html::Div>::new();
    let on_resize = Closure::<dyn FnMut()>::new(move || {
        if positioned.try_get_value() != Some(true) {
            return;
        }
        restore_anchor();
        if stick.get_value() {
            scroll_to_bottom();
        }
    });
    let observer = web_sys::ResizeObserver::new(on_resize.as_ref().unchecked_ref()).ok();
    let observed = SendWrapper::new((observer.clone(), on_resize));
    content.on_load(move |el| {
        if let Some(observer) = &observer {
            observer.observe(&el);
        }
    });
    on_cleanup(move || {
        let (observer, _closure) = observed.take();
        if let Some(observer) = observer {
            observer.disconnect();
        }
    });

    // After every change of the rows: the same, for changes that keep the
    // height; the first time, go to the unread divider; near the top, keep
    // revealing history.
    Effect::new(move |_| {
        rows.track();
        request_animation_frame(move || {
            // The list may have closed before the frame.
            if positioned.try_get_value().is_none() {
                return;
            }
            restore_anchor();
            if !positioned.get_value() && loaded.get_untracked() {
                positioned.set_value(true);
                let divider =
                    element().and_then(|el| el.query_selector(".unread-divider").ok().flatten());
                match divider {
                    Some(d) => {
                        let options = web_sys::ScrollIntoViewOptions::new();
                        options.set_block(web_sys::ScrollLogicalPosition::Center);
                        d.scroll_into_view_with_scroll_into_view_options(&options);
                    }
                    None => scroll_to_bottom(),
                }
                if let Some(el) = element() {
                    let distance = el.scroll_height() - el.scroll_top() - el.client_height();
                    let bottom = f64::from(distance) <= BOTTOM_SLACK;
                    stick.set_value(bottom);
                    at_bottom.set(bottom);
                }
                // A short first page may not fill the view: keep loading.
                if let Some(el) = element() {
                    if el.scroll_height() <= el.client_height() + REVEAL_MARGIN as i32 {
                        reveal_older();
                    }
                }
                check_read();
                return;
            }
            if stick.get_value() {
                scroll_to_bottom();
                check_read();
            } else if let Some(el) = element() {
                // History arrived while the user sits at the top.
                if f64::from(el.scroll_top()) < REVEAL_MARGIN && loaded.get_untracked() {
                    reveal_older();
                }
            }
        });
    });

    // A page of older history arrived while the user waits at the top:
    // show it (it lands outside the window, so the rows did not change).
    Effect::new(move |_| {
        keys.track();
        request_animation_frame(move || {
            if positioned.try_get_value() != Some(true) {
                return;
            }
            if element().is_some_and(|el| f64::from(el.scroll_top()) < REVEAL_MARGIN) {
                reveal_older();
            }
        });
    });
    // At the very top the list cannot scroll further, so no scroll event
    // comes: a wheel or touch upwards asks for more too.
    let on_wheel = move |ev: web_sys::WheelEvent| {
        if ev.delta_y() < 0.0
            && element().is_some_and(|el| f64::from(el.scroll_top()) < REVEAL_MARGIN)
        {
            reveal_older();
        }
    };

    // Reading resumes when the tab comes back.
    let visibility = window_event_listener_untyped("visibilitychange", move |_| check_read());
    on_cleanup(move || visibility.remove());

    let jump = move |_| {
        window.update(RenderWindow::jump_to_latest);
        stick.set_value(true);
        at_bottom.set(true);
        request_animation_frame(move || {
            if positioned.try_get_value().is_none() {
                return;
            }
            scroll_to_bottom();
            if let Some(el) = element() {
                let _ = el.focus();
            }
        });
    };

    // Arrow keys move between messages; Home/End to the ends.
    let on_keydown = move |ev: web_sys::KeyboardEvent| {
        let key = ev.key();
        if !matches!(key.as_str(), "ArrowUp" | "ArrowDown" | "Home" | "End") {
            return;
        }
        let Some(el) = element() else { return };
        let target = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok());
        // Only when a message or the list itself has focus, not a control.
        let on_row = target
            .as_ref()
            .is_some_and(|t| t.has_attribute("data-message") || t.is_same_node(Some(&el)));
        if !on_row {
            return;
        }
        let Ok(list) = el.query_selector_all("[data-message]") else {
            return;
        };
        let count = list.length();
        if count == 0 {
            return;
        }
        let current = (0..count).find(|&i| {
            list.item(i)
                .zip(target.as_ref())
                .is_some_and(|(n, t)| n.is_same_node(Some(t)))
        });
        let next = match (key.as_str(), current) {
            ("Home", _) => 0,
            ("End", _) => count - 1,
            ("ArrowUp", Some(i)) => i.saturating_sub(1),
            ("ArrowDown", Some(i)) => (i + 1).min(count - 1),
            (_, None) => count - 1,
            _ => return,
        };
        if let Some(node) = list
            .item(next)
            .and_then(|n| n.dyn_into::<web_sys::HtmlElement>().ok())
        {
            ev.prevent_default();
            let _ = node.focus();
        }
    };

    view! {
        <div class="chat-scroll" node_ref=scroller on:scroll=on_scroll on:wheel=on_wheel on:keydown=on_keydown
            role="log" aria-label=t.messages_label tabindex="0"
            aria-busy=move || (!loaded.get()).to_string()>
            <div class="chat-rows" node_ref=content>
                <div class="history-edge">
                    {move || {
                        if !loaded.get() {
                            Some(t.loading)
                        } else if reached_start.get() && window_at_start.get() {
                            Some(t.history_start)
                        } else if window_at_start.get() {
                            Some(t.loading_older)
                        } else {
                            None
                        }
                    }}
                </div>
                <For each=move || row_keys.get() key=|k| k.clone() let:key>
                    <RowView room key by_key/>
                </For>
            </div>
        </div>
        <Show when=move || (!at_bottom.get() || !follows.get()) && room.status.get() == RoomStatus::Ready>
            <button type="button" class="jump-latest" on:click=jump>
                {t.jump_to_latest} " ↓"
            </button>
        </Show>
    }
}

/// One row, following its data by key.
#[component]
fn RowView(room: Room, key: String, by_key: Memo<HashMap<String, RowData>>) -> impl IntoView {
    let lookup = key.clone();
    let data = Memo::new(move |_| by_key.with(|m| m.get(&lookup).cloned()));
    let initial = data.get_untracked();
    match initial {
        Some(RowData::Day { at_ms, .. }) => view! {
            <h3 class="day-separator" data-row=key>{format_day(at_ms)}</h3>
        }
        .into_any(),
        Some(RowData::Unread) => view! {
            <div class="unread-divider" data-row=key role="separator">{texts().new_messages}</div>
        }
        .into_any(),
        Some(RowData::Message(_)) => {
            let row = Memo::new(move |_| match data.get() {
                Some(RowData::Message(m)) => Some(*m),
                _ => None,
            });
            view! { <MessageView room row row_key=key/> }.into_any()
        }
        None => ().into_any(),
    }
}

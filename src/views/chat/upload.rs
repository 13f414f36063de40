//! Attaching files (button, drag and drop, paste) and recording voice
//! notes in the composer. Limits are checked before anything is sent; each
//! upload shows its progress and can be cancelled; the message goes out
//! only once its upload has succeeded, and is then retried like any send.

use std::collections::HashMap;

use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;
use uuid::Uuid;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;

use super::room::Room;
use super::uploader::{start_upload, Outgoing, Upload, UploadFailure};
use crate::chat::attachments::{check_file, AttachmentError, ALLOWED_TYPES, MAX_BYTES};
use crate::chat::NewMessage;
use crate::i18n::{fill, texts};
use crate::views::clock::now_ms;
use crate::views::model::format::{format_duration, format_size};

/// One upload in the composer.
#[derive(Clone, Debug, PartialEq)]
pub struct UploadItem {
    /// Its id.
    pub id: Uuid,
    /// File name.
    pub name: String,
    /// Fraction sent.
    pub progress: f64,
}

/// The composer's uploads; `Copy`, shared by the attach button, the
/// recorder, drag and drop, paste and the progress list.
#[derive(Clone, Copy)]
pub struct Uploads {
    room: Room,
    /// Uploads in progress.
    pub items: RwSignal<Vec<UploadItem>>,
    handles: StoredValue<HashMap<Uuid, Upload>, LocalStorage>,
    /// A refusal or failure to show.
    pub notice: RwSignal<Option<String>>,
}

/// What to tell the user about a file the bucket would refuse.
pub fn refusal(name: &str, error: &AttachmentError) -> String {
    let t = texts();
    match error {
        AttachmentError::Empty => fill(t.file_empty, &[("name", name)]),
        AttachmentError::TooLarge(_) => fill(
            t.file_too_large,
            &[("name", name), ("size", &format_size(MAX_BYTES as i64))],
        ),
        AttachmentError::TypeNotAllowed(_) | AttachmentError::BadName => {
            fill(t.file_type_refused, &[("name", name)])
        }
        AttachmentError::Upload(e) => fill(t.error_with, &[("error", &e.to_string())]),
    }
}

impl Uploads {
    /// Upload state for a room's composer.
    pub fn new(room: Room) -> Self {
        Self {
            room,
            items: RwSignal::new(Vec::new()),
            handles: StoredValue::new_local(HashMap::new()),
            notice: RwSignal::new(None),
        }
    }

    /// Checks and uploads files the user picked, dropped or pasted.
    pub fn add_files(self, files: Vec<web_sys::File>) {
        let mut refused = Vec::new();
        for file in files {
            let name = file.name();
            let mime = file.type_();
            if let Err(e) = check_file(&mime, file.size() as u64) {
                refused.push(refusal(&name, &e));
                continue;
            }
            self.start(Outgoing {
                blob: file.into(),
                name,
                mime,
                duration_ms: None,
            });
        }
        self.notice
            .set((!refused.is_empty()).then(|| refused.join(" ")));
    }

    /// Uploads a recording.
    pub fn add_recording(self, blob: web_sys::Blob, mime: String, duration_ms: i64) {
        let extension = if mime.starts_with("audio/mp4") {
            "m4a"
        } else {
            "webm"
        };
        self.start(Outgoing {
            blob,
            name: format!("voice-note.{extension}"),
            mime,
            duration_ms: Some(duration_ms),
        });
    }

    fn start(self, file: Outgoing) {
        let Some(storage) = self.room.storage() else {
            return;
        };
        let id = Uuid::new_v4();
        let name = file.name.clone();
        let items = self.items;
        let progress = move |fraction: f64| {
            items.try_update(|list| {
                if let Some(item) = list.iter_mut().find(|i| i.id == id) {
                    item.progress = fraction;
                }
            });
        };
        let started = start_upload(
            &storage,
            self.room.workflow_id,
            self.room.session_id,
            file,
            progress,
        );
        let (handle, result) = match started {
            Ok(started) => started,
            Err(UploadFailure::Failed(e)) => {
                self.notice.set(Some(format!("{name}: {e}")));
                return;
            }
            Err(UploadFailure::Cancelled) => return,
        };
        self.items.update(|list| {
            list.push(UploadItem {
                id,
                name: name.clone(),
                progress: 0.0,
            })
        });
        self.handles.update_value(|h| {
            h.insert(id, handle);
        });
        let room = self.room;
        spawn_local(async move {
            let outcome = result.await;
            self.items.try_update(|list| list.retain(|i| i.id != id));
            self.handles.try_update_value(|h| h.remove(&id));
            match outcome {
                Ok((kind, attachment)) => {
                    if room.timeline.try_with_untracked(|_| ()).is_some() {
                        room.send(NewMessage::attachment(kind, attachment, None));
                    }
                }
                Err(UploadFailure::Cancelled) => {}
                Err(UploadFailure::Failed(e)) => {
                    self.notice
                        .try_set(Some(format!("{name}: {} {e}", texts().upload_failed)));
                }
            }
        });
    }

    /// Cancels an upload.
    pub fn cancel(self, id: Uuid) {
        if let Some(handle) = self.handles.with_value(|h| h.get(&id).cloned()) {
            handle.cancel();
        }
    }
}

/// Uploads in progress, and refusals, above the composer's field.
#[component]
pub fn Attachments(uploads: Uploads) -> impl IntoView {
    let t = texts();
    view! {
        {move || uploads.notice.get().map(|n| view! {
            <p class="form-error upload-error" role="alert">
                {n} " "
                <button type="button" on:click=move |_| uploads.notice.set(None)>{t.close}</button>
            </p>
        })}
        <ul class="upload-list" hidden=move || uploads.items.with(Vec::is_empty) aria-live="polite">
            <For each=move || uploads.items.get() key=|i| (i.id, (i.progress * 100.0) as u32)
                children=move |item: UploadItem| {
                    let percent = (item.progress * 100.0).round() as u32;
                    let id = item.id;
                    view! {
                        <li class="upload">
                            <span class="upload-name">{item.name.clone()}</span>
                            <progress max="100" value=percent.to_string()
                                aria-label=item.name.clone()></progress>
                            <span>{fill(t.uploading, &[("percent", &percent.to_string())])}</span>
                            <button type="button" class="upload-cancel"
                                on:click=move |_| uploads.cancel(id)>{t.cancel}</button>
                        </li>
                    }
                }/>
        </ul>
    }
}

/// The paperclip button and its hidden file input.
#[component]
pub fn AttachButton(uploads: Uploads) -> impl IntoView {
    let t = texts();
    let input = NodeRef::<html::Input>::new();
    let accept = ["audio/*"]
        .into_iter()
        .chain(ALLOWED_TYPES.iter().copied())
        .collect::<Vec<_>>()
        .join(",");
    let on_change = move |_| {
        let Some(el) = input.get_untracked() else {
            return;
        };
        let files = file_list(el.files());
        el.set_value("");
        uploads.add_files(files);
    };
    view! {
        <input type="file" multiple class="visually-hidden" id="attach-input" tabindex="-1"
            accept=accept node_ref=input on:change=on_change aria-hidden="true"/>
        <button type="button" class="attach-button" aria-label=t.attach title=t.attach
            aria-describedby="attach-limits"
            on:click=move |_| if let Some(el) = input.get_untracked() { el.click() }>
            <span aria-hidden="true">"📎"</span>
        </button>
    }
}

/// The files of a `FileList`.
pub fn file_list(list: Option<web_sys::FileList>) -> Vec<web_sys::File> {
    list.map(|l| (0..l.length()).filter_map(|i| l.get(i)).collect())
        .unwrap_or_default()
}

/// What the limits line says.
pub fn limits_text() -> String {
    fill(
        texts().attachment_limits,
        &[("size", &format_size(MAX_BYTES as i64))],
    )
}

/// Recording formats, preferred first: MP4/AAC plays in every major
/// browser; Chromium and Firefox record only WebM/Opus.
pub const RECORDING_TYPES: [&str; 3] = ["audio/mp4", "audio/webm;codecs=opus", "audio/webm"];

struct Recorder {
    recorder: web_sys::MediaRecorder,
    stream: web_sys::MediaStream,
    chunks: std::rc::Rc<std::cell::RefCell<Vec<web_sys::Blob>>>,
    _on_data: Closure<dyn FnMut(web_sys::BlobEvent)>,
}

impl Recorder {
    fn stop_tracks(&self) {
        for track in self.stream.get_tracks().iter() {
            if let Ok(track) = track.dyn_into::<web_sys::MediaStreamTrack>() {
                track.stop();
            }
        }
    }
}

/// Records a voice note: press to start, then stop-and-send or cancel.
#[component]
pub fn RecordButton(uploads: Uploads) -> impl IntoView {
    let t = texts();
    let started = RwSignal::new(None::<i64>);
    let now = RwSignal::new(0i64);
    let recorder = StoredValue::new_local(None::<Recorder>);
    let problem = RwSignal::new(None::<&'static str>);
    let supported = web_sys::window()
        .and_then(|w| js_sys::Reflect::get(&w, &"MediaRecorder".into()).ok())
        .is_some_and(|v| !v.is_undefined());

    let tick = move || {
        if started.try_get_untracked().flatten().is_some() {
            now.set(now_ms());
        }
    };
    let ticker = StoredValue::new_local(None::<gloo_timers::callback::Interval>);

    let begin = move |_| {
        problem.set(None);
        let Some(devices) = web_sys::window().and_then(|w| w.navigator().media_devices().ok())
        else {
            problem.set(Some(t.recording_unsupported));
            return;
        };
        let constraints = web_sys::MediaStreamConstraints::new();
        constraints.set_audio(&true.into());
        let Ok(promise) = devices.get_user_media_with_constraints(&constraints) else {
            problem.set(Some(t.mic_refused));
            return;
        };
        spawn_local(async move {
            let Ok(stream) = wasm_bindgen_futures::JsFuture::from(promise).await else {
                problem.try_set(Some(t.mic_refused));
                return;
            };
            let stream: web_sys::MediaStream = stream.unchecked_into();
            let mime = RECORDING_TYPES
                .into_iter()
                .find(|m| web_sys::MediaRecorder::is_type_supported(m));
            let options = web_sys::MediaRecorderOptions::new();
            if let Some(m) = mime {
                options.set_mime_type(m);
            }
            let Ok(media) =
                web_sys::MediaRecorder::new_with_media_stream_and_media_recorder_options(
                    &stream, &options,
                )
            else {
                problem.try_set(Some(t.recording_unsupported));
                return;
            };
            let chunks = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
            let sink = chunks.clone();
            let on_data =
                Closure::<dyn FnMut(web_sys::BlobEvent)>::new(move |e: web_sys::BlobEvent| {
                    if let Some(data) = e.data() {
                        if data.size() > 0.0 {
                            sink.borrow_mut().push(data);
                        }
                    }
                });
            media.set_ondataavailable(Some(on_data.as_ref().unchecked_ref()));
            if media.start_with_time_slice(250).is_err() {
                problem.try_set(Some(t.recording_unsupported));
                return;
            }
            recorder.try_set_value(Some(Recorder {
                recorder: media,
                stream,
                chunks,
                _on_data: on_data,
            }));
            let at = now_ms();
            started.try_set(Some(at));
            now.try_set(at);
            ticker.try_set_value(Some(gloo_timers::callback::Interval::new(250, tick)));
        });
    };

    // Stops; with `send`, uploads what was recorded once the last data is in.
    let finish = move |send: bool| {
        let Some(rec) = recorder.try_update_value(Option::take).flatten() else {
            return;
        };
        ticker.set_value(None);
        let begun = started.get_untracked().unwrap_or_else(now_ms);
        started.set(None);
        let duration = now_ms() - begun;
        let mime = rec.recorder.mime_type();
        let media = rec.recorder.clone();
        let on_stop = Closure::once_into_js(move || {
            rec.stop_tracks();
            if !send {
                return;
            }
            let parts = js_sys::Array::new();
            for chunk in rec.chunks.borrow().iter() {
                parts.push(chunk);
            }
            let bag = web_sys::BlobPropertyBag::new();
            bag.set_type(&mime);
            if let Ok(blob) = web_sys::Blob::new_with_blob_sequence_and_options(&parts, &bag) {
                let mime = if mime.is_empty() {
                    "audio/webm".to_owned()
                } else {
                    mime
                };
                uploads.add_recording(blob, mime, duration);
            }
        });
        let _ = media.add_event_listener_with_callback("stop", on_stop.unchecked_ref());
        let _ = media.stop();
    };
    on_cleanup(move || {
        if let Some(Some(rec)) = recorder.try_update_value(Option::take) {
            let _ = rec.recorder.stop();
            rec.stop_tracks();
        }
    });

    view! {
        {move || match started.get() {
            Some(begun) => {
                let elapsed = format_duration(now.get() - begun);
                view! {
                    <span class="recording" role="status">
                        <span class="recording-dot" aria-hidden="true"></span>
                        {fill(t.recording, &[("time", &elapsed)])}
                    </span>
                    <button type="button" class="record-cancel" on:click=move |_| finish(false)>{t.cancel}</button>
                    <button type="button" class="record-stop primary" on:click=move |_| finish(true)>{t.stop_and_send}</button>
                }.into_any()
            }
            None => view! {
                <button type="button" class="record-button" aria-label=t.record title=t.record
                    disabled=!supported on:click=begin>
                    <span aria-hidden="true">"🎤"</span>
                </button>
            }.into_any(),
        }}
        {move || problem.get().map(|p| view! { <span class="upload-error" role="alert">{p}</span> })}
    }
}

//! Broadcast from the database: a dedicated connection LISTENs on
//! `devstack_realtime`, which an AFTER INSERT trigger on `realtime.messages`
//! notifies with the row id. PostgreSQL delivers notifications at commit and
//! in commit order, so rows are read and fanned out in that order, and only
//! once committed. If the connection drops, it reconnects, LISTENs again and
//! catches up from the last row it saw, skipping rows already delivered.

use super::frame::{Encoding, UserBroadcast};
use super::hub::{Broadcast, GroupKey, Hub};
use futures_util::StreamExt;
use serde_json::{Map, Value};
use std::collections::{HashSet, VecDeque};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_postgres::{AsyncMessage, NoTls};

/// The notification channel the bootstrap's trigger uses.
pub const CHANNEL: &str = "devstack_realtime";

/// `application_name` of the listener's connection (lets tests find it).
pub const APPLICATION_NAME: &str = "devstack realtime listener";

/// How far before the last row seen a catch-up looks: a transaction that
/// began earlier (its `inserted_at` is its start time) may commit later.
const CATCH_UP_MARGIN: &str = "10 minutes";

/// Ids delivered recently, so a catch-up does not deliver twice.
struct Delivered {
    order: VecDeque<String>,
    ids: HashSet<String>,
    /// `inserted_at` (as PostgreSQL prints it) of the newest row seen.
    last_inserted_at: Option<String>,
}

impl Delivered {
    const CAPACITY: usize = 200_000;

    fn new() -> Delivered {
        Delivered {
            order: VecDeque::new(),
            ids: HashSet::new(),
            last_inserted_at: None,
        }
    }

    /// Records `id`; false if it was already delivered.
    fn insert(&mut self, id: &str, inserted_at: &str) -> bool {
        if !self.ids.insert(id.to_string()) {
            return false;
        }
        self.order.push_back(id.to_string());
        if self.order.len() > Self::CAPACITY {
            if let Some(old) = self.order.pop_front() {
                self.ids.remove(&old);
            }
        }
        // Timestamps in the same format compare correctly as text.
        if self
            .last_inserted_at
            .as_deref()
            .is_none_or(|l| l < inserted_at)
        {
            self.last_inserted_at = Some(inserted_at.to_string());
        }
        true
    }
}

const SELECT_ROWS: &str = "select id::text, topic, event, payload::text, binary_payload, \
     coalesce(private, false), inserted_at::text from realtime.messages m";

struct Row {
    id: String,
    topic: String,
    event: String,
    payload: Option<String>,
    binary: Option<Vec<u8>>,
    private: bool,
    inserted_at: String,
}

impl Row {
    fn from_pg(r: &tokio_postgres::Row) -> Row {
        Row {
            id: r.get(0),
            topic: r.get(1),
            event: r.get::<_, Option<String>>(2).unwrap_or_default(),
            payload: r.get(3),
            binary: r.get(4),
            private: r.get(5),
            inserted_at: r.get(6),
        }
    }

    /// The broadcast Realtime makes of a row: the user event with the row's
    /// payload, and the row id as `meta.id`.
    fn broadcast(&self) -> Broadcast {
        let (encoding, payload) = match (&self.binary, &self.payload) {
            (Some(b), _) => (Encoding::Binary, b.clone()),
            (None, Some(p)) => (Encoding::Json, p.clone().into_bytes()),
            (None, None) => (Encoding::Json, b"null".to_vec()),
        };
        let mut meta = Map::new();
        meta.insert("id".into(), Value::String(self.id.clone()));
        Broadcast::User(UserBroadcast {
            event: self.event.clone(),
            encoding,
            payload,
            metadata: Some(meta),
        })
    }
}

/// Runs forever: listens, delivers, reconnects.
pub async fn run(hub: Arc<Hub>, mut config: tokio_postgres::Config) {
    config.application_name(APPLICATION_NAME);
    let mut delivered = Delivered::new();
    let mut backoff = Duration::from_millis(50);
    loop {
        match session(&hub, &config, &mut delivered).await {
            Ok(()) => backoff = Duration::from_millis(50),
            Err(e) => {
                let detail = e
                    .as_db_error()
                    .map_or_else(|| e.to_string(), |d| d.message().to_string());
                eprintln!("devstack realtime: database listener: {detail}; reconnecting");
            }
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(1));
    }
}

async fn session(
    hub: &Hub,
    config: &tokio_postgres::Config,
    delivered: &mut Delivered,
) -> Result<(), tokio_postgres::Error> {
    let (client, mut connection) = config.connect(NoTls).await?;
    let (note_tx, mut note_rx) = mpsc::unbounded_channel::<String>();
    let driver = tokio::spawn(async move {
        let mut messages = futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
        while let Some(m) = messages.next().await {
            match m {
                Ok(AsyncMessage::Notification(n)) if n.channel() == CHANNEL => {
                    if note_tx.send(n.payload().to_string()).is_err() {
                        break;
                    }
                }
                Ok(_) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    });
    client.batch_execute(&format!("LISTEN {CHANNEL}")).await?;
    if delivered.last_inserted_at.is_none() {
        // Rows from now on are ours to deliver, even if this first
        // connection drops before any has been seen.
        let now: String = client
            .query_one("select localtimestamp::text", &[])
            .await?
            .get(0);
        delivered.last_inserted_at = Some(now);
    }

    // Rows committed while no connection listened.
    if let Some(since) = delivered.last_inserted_at.clone() {
        let sql = format!(
            "{SELECT_ROWS} where extension = 'broadcast' \
             and inserted_at >= $1::text::timestamp - interval '{CATCH_UP_MARGIN}' \
             order by inserted_at, id"
        );
        for r in client.query(&sql, &[&since]).await? {
            deliver(hub, delivered, Row::from_pg(&r));
        }
    }

    let by_ids = client
        .prepare(&format!(
            "{SELECT_ROWS} where id = any($1::text[]::uuid[]) and extension = 'broadcast'"
        ))
        .await?;
    loop {
        let Some(first) = note_rx.recv().await else {
            // The driver ended: the connection is gone.
            return match driver.await {
                Ok(Err(e)) => Err(e),
                _ => Ok(()),
            };
        };
        // Read every pending notification in one query, then deliver in
        // notification (commit) order.
        let mut ids = vec![first];
        while ids.len() < 1000 {
            match note_rx.try_recv() {
                Ok(id) => ids.push(id),
                Err(_) => break,
            }
        }
        ids.retain(|id| Uuid::parse_str(id).is_ok());
        let rows = client.query(&by_ids, &[&ids]).await?;
        let mut found: std::collections::HashMap<String, Row> = rows
            .iter()
            .map(Row::from_pg)
            .map(|r| (r.id.clone(), r))
            .collect();
        for id in &ids {
            if let Some(row) = found.remove(id) {
                deliver(hub, delivered, row);
            }
        }
    }
}

use uuid::Uuid;

fn deliver(hub: &Hub, delivered: &mut Delivered, row: Row) {
    if !delivered.insert(&row.id, &row.inserted_at) {
        return;
    }
    let key = GroupKey {
        private: row.private,
        name: row.topic.clone(),
    };
    hub.broadcast(&key, &row.broadcast(), None);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delivered_ids_are_remembered_and_the_newest_time_kept() {
        let mut d = Delivered::new();
        assert!(d.insert("a", "2026-01-01 10:00:00.5"));
        assert!(!d.insert("a", "2026-01-01 10:00:00.5"));
        assert!(d.insert("b", "2026-01-01 09:00:00"));
        assert_eq!(d.last_inserted_at.as_deref(), Some("2026-01-01 10:00:00.5"));
    }

    #[test]
    fn rows_become_user_broadcasts_with_their_id() {
        let row = Row {
            id: "00000000-0000-0000-0000-000000000001".into(),
            topic: "chat:1".into(),
            event: "new".into(),
            payload: Some(r#"{"a": 1}"#.into()),
            binary: None,
            private: true,
            inserted_at: "x".into(),
        };
        let Broadcast::User(ub) = row.broadcast() else {
            panic!()
        };
        assert_eq!(ub.encoding, Encoding::Json);
        assert_eq!(
            ub.to_json_payload().unwrap(),
            serde_json::json!({"type":"broadcast","event":"new","payload":{"a":1},"meta":{"id":"00000000-0000-0000-0000-000000000001"}})
        );
    }
}

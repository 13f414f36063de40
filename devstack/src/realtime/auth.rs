//! Private-channel authorization exactly as Supabase Realtime does it: RLS
//! policies on `realtime.messages` are evaluated against probe rows under
//! the caller's role, claims and `realtime.topic`, and every probe is rolled
//! back. Needs a connection that bypasses RLS (the table owner or a
//! superuser) to insert the read probes.

use super::token::Claims;
use serde_json::Value;
use tokio_postgres::error::SqlState;
use uuid::Uuid;

/// Who is asking about which topic.
#[derive(Debug, Clone)]
pub struct AuthContext<'a> {
    /// Sub-topic (`realtime.topic()` inside policies).
    pub topic: &'a str,
    /// Verified JWT claims.
    pub claims: &'a Claims,
    /// `x-*` headers of the websocket upgrade or HTTP request, lower-cased.
    pub headers: &'a Value,
}

/// Read permissions for one topic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reads {
    /// SELECT policies let the caller see broadcast rows of the topic.
    pub broadcast: bool,
    /// Same for presence rows; `None` when presence was not checked.
    pub presence: Option<bool>,
}

/// Write permissions for one topic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Writes {
    /// INSERT policies let the caller send broadcasts on the topic.
    pub broadcast: bool,
    /// Same for tracking presence.
    pub presence: bool,
}

/// Why a check could not be made at all (as opposed to saying no).
#[derive(Debug)]
pub enum AuthError {
    /// No database connection could be had.
    Unavailable(String),
    /// A policy or the probe failed with an SQL error; Supabase treats this
    /// as unauthorized.
    Policy(tokio_postgres::Error),
}

impl std::fmt::Display for AuthError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AuthError::Unavailable(e) => write!(f, "database unavailable: {e}"),
            AuthError::Policy(e) => write!(f, "RLS policy error: {e}"),
        }
    }
}

impl std::error::Error for AuthError {}

impl From<tokio_postgres::Error> for AuthError {
    fn from(e: tokio_postgres::Error) -> Self {
        if e.is_closed() {
            AuthError::Unavailable(e.to_string())
        } else {
            AuthError::Policy(e)
        }
    }
}

/// Runs the checks on a pool of privileged connections.
#[derive(Clone)]
pub struct Authorizer {
    pool: deadpool_postgres::Pool,
}

const SET_CONTEXT: &str = "select set_config('role', $1, true), \
     set_config('realtime.topic', $2, true), \
     set_config('request.jwt.claims', $3, true), \
     set_config('request.jwt.claim.sub', $4, true), \
     set_config('request.jwt.claim.role', $5, true), \
     set_config('request.headers', $6, true)";

impl Authorizer {
    /// An authorizer over `pool` (connections must bypass RLS).
    pub fn new(pool: deadpool_postgres::Pool) -> Authorizer {
        Authorizer { pool }
    }

    async fn client(&self) -> Result<deadpool_postgres::Object, AuthError> {
        self.pool
            .get()
            .await
            .map_err(|e| AuthError::Unavailable(e.to_string()))
    }

    async fn set_context(
        tx: &deadpool_postgres::Transaction<'_>,
        ctx: &AuthContext<'_>,
    ) -> Result<(), AuthError> {
        let role = super::token::role(ctx.claims);
        let sub = ctx
            .claims
            .get("sub")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let claims = Value::Object(ctx.claims.clone()).to_string();
        let headers = ctx.headers.to_string();
        tx.execute(
            SET_CONTEXT,
            &[&role, &ctx.topic, &claims, &sub, &role, &headers],
        )
        .await?;
        Ok(())
    }

    /// The read check: probe rows inserted with the connection's own
    /// privileges, then selected under the caller's role; rolled back.
    pub async fn reads(&self, ctx: &AuthContext<'_>, presence: bool) -> Result<Reads, AuthError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let broadcast_id = Uuid::new_v4();
        let presence_id = Uuid::new_v4();
        let mut ids = vec![broadcast_id];
        if presence {
            ids.push(presence_id);
        }
        let extensions: Vec<&str> = if presence {
            vec!["broadcast", "presence"]
        } else {
            vec!["broadcast"]
        };
        tx.execute(
            "insert into realtime.messages (id, topic, extension) \
             select i, $2, e from unnest($1::uuid[], $3::text[]) as p(i, e)",
            &[&ids, &ctx.topic, &extensions],
        )
        .await?;
        Self::set_context(&tx, ctx).await?;
        let rows = tx
            .query(
                "select id from realtime.messages where id = any($1)",
                &[&ids],
            )
            .await?;
        let seen: Vec<Uuid> = rows.iter().map(|r| r.get(0)).collect();
        tx.rollback().await?;
        Ok(Reads {
            broadcast: seen.contains(&broadcast_id),
            presence: presence.then(|| seen.contains(&presence_id)),
        })
    }

    /// The write check: one insert per extension under the caller's role,
    /// each in a savepoint; an RLS refusal (42501) means no; rolled back.
    pub async fn writes(&self, ctx: &AuthContext<'_>) -> Result<Writes, AuthError> {
        let mut client = self.client().await?;
        let mut tx = client.transaction().await?;
        Self::set_context(&tx, ctx).await?;
        let mut allowed = [false; 2];
        for (i, ext) in ["broadcast", "presence"].iter().enumerate() {
            let sp = tx.savepoint("realtime_write_check").await?;
            match sp
                .execute(
                    "insert into realtime.messages (topic, extension) values ($1, $2)",
                    &[&ctx.topic, ext],
                )
                .await
            {
                Ok(_) => allowed[i] = true,
                Err(e) if e.code() == Some(&SqlState::INSUFFICIENT_PRIVILEGE) => {}
                Err(e) => return Err(e.into()),
            }
            sp.rollback().await?;
        }
        tx.rollback().await?;
        Ok(Writes {
            broadcast: allowed[0],
            presence: allowed[1],
        })
    }
}

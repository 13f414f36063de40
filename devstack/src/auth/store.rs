//! Auth's tables: every read and write of `auth.users`, `auth.identities`,
//! `auth.sessions` and `auth.refresh_tokens`.
//!
//! Writes run as `supabase_auth_admin`, the role GoTrue connects as, so
//! triggers a project puts on these tables run with the privileges they
//! would have on Supabase (a failing trigger fails the sign-up, as there).
//! Users come back as GoTrue's user object, built in SQL.

use deadpool_postgres::Transaction;
use deadpool_postgres::{Object, Pool};
use serde_json::{json, Map, Value};
use uuid::Uuid;

use super::error::AuthError;
use super::validate::LogoutScope;

/// GoTrue's user object for the row aliased `u` (timestamps in UTC, as the
/// transaction's time zone is set to it).
const USER_JSON: &str = "jsonb_build_object(
    'id', u.id,
    'aud', coalesce(u.aud, ''),
    'role', coalesce(u.role, ''),
    'email', coalesce(u.email, ''),
    'email_confirmed_at', u.email_confirmed_at,
    'phone', coalesce(u.phone, ''),
    'phone_confirmed_at', u.phone_confirmed_at,
    'confirmation_sent_at', u.confirmation_sent_at,
    'confirmed_at', u.confirmed_at,
    'recovery_sent_at', u.recovery_sent_at,
    'new_email', nullif(u.email_change, ''),
    'email_change_sent_at', u.email_change_sent_at,
    'last_sign_in_at', u.last_sign_in_at,
    'app_metadata', coalesce(u.raw_app_meta_data, '{}'::jsonb),
    'user_metadata', coalesce(u.raw_user_meta_data, '{}'::jsonb),
    'identities', (select coalesce(jsonb_agg(jsonb_build_object(
            'identity_id', i.id,
            'id', i.provider_id,
            'user_id', i.user_id,
            'identity_data', i.identity_data,
            'provider', i.provider,
            'last_sign_in_at', i.last_sign_in_at,
            'created_at', i.created_at,
            'updated_at', i.updated_at,
            'email', i.email) order by i.created_at), '[]'::jsonb)
        from auth.identities i where i.user_id = u.id),
    'created_at', u.created_at,
    'updated_at', u.updated_at,
    'banned_until', u.banned_until,
    'deleted_at', u.deleted_at,
    'is_anonymous', u.is_anonymous)";

/// Members of the user object GoTrue leaves out when they are null.
const OMITTED_WHEN_NULL: &[&str] = &[
    "email_confirmed_at",
    "phone_confirmed_at",
    "confirmation_sent_at",
    "confirmed_at",
    "recovery_sent_at",
    "new_email",
    "email_change_sent_at",
    "last_sign_in_at",
    "banned_until",
    "deleted_at",
];

fn shape_user(mut user: Value) -> Value {
    if let Value::Object(map) = &mut user {
        map.retain(|k, v| !(v.is_null() && OMITTED_WHEN_NULL.contains(&k.as_str())));
    }
    user
}

/// Database access for Auth.
#[derive(Clone)]
pub struct Store {
    pool: Pool,
}

/// What signing in needs to know about the user an email names.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// The user.
    pub user_id: Uuid,
    /// The password matched the stored hash.
    pub password_ok: bool,
    /// The email is confirmed.
    pub confirmed: bool,
    /// A ban is in force.
    pub banned: bool,
}

/// A new user.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// Chosen id (admin API), else random.
    pub id: Option<Uuid>,
    /// Lower-cased email, if any.
    pub email: Option<String>,
    /// Plain password, hashed here with bcrypt (cost 10, as GoTrue).
    pub password: Option<String>,
    /// Confirm the email at once.
    pub confirmed: bool,
    /// `raw_user_meta_data`.
    pub user_metadata: Map<String, Value>,
    /// `raw_app_meta_data` beyond provider/providers.
    pub app_metadata: Map<String, Value>,
    /// An anonymous user.
    pub anonymous: bool,
    /// Postgres role in tokens (`authenticated` unless the admin API says).
    pub role: String,
}

/// A session just created or refreshed.
#[derive(Debug, Clone)]
pub struct Session {
    /// `auth.sessions.id`.
    pub id: Uuid,
    /// When it was created (unix seconds), for `amr`.
    pub created_at: i64,
    /// The refresh token to hand out.
    pub refresh_token: String,
    /// The user object.
    pub user: Value,
}

/// What a refresh found.
#[derive(Debug, Clone)]
pub enum Refreshed {
    /// A session to answer with.
    Session(Session),
    /// No such token (or its session was signed out).
    NotFound,
    /// The token was reused after its grace period; the session's tokens
    /// were revoked.
    AlreadyUsed,
    /// The user is banned.
    Banned,
}

/// Changes to a user (self-service or admin).
#[derive(Debug, Clone, Default)]
pub struct UserChanges {
    /// New email (lower-cased).
    pub email: Option<String>,
    /// New password.
    pub password: Option<String>,
    /// Keys merged into `raw_user_meta_data` (`null` deletes).
    pub user_metadata: Option<Map<String, Value>>,
    /// Keys merged into `raw_app_meta_data` (admin only).
    pub app_metadata: Option<Map<String, Value>>,
    /// Confirm the email now (admin) .
    pub confirm_email: bool,
    /// Set or lift a ban: `Some(None)` lifts, `Some(Some(secs))` bans.
    pub ban_seconds: Option<Option<f64>>,
    /// Postgres role (admin).
    pub role: Option<String>,
}

fn db_error(e: impl std::fmt::Display) -> AuthError {
    AuthError::unexpected(format!("Database error: {e}"))
}

/// The message of an error a trigger or constraint raised, for callers
/// that report "Database error saving new user".
fn is_unique_violation(e: &tokio_postgres::Error) -> bool {
    e.code() == Some(&tokio_postgres::error::SqlState::UNIQUE_VIOLATION)
}

impl Store {
    /// Auth's access through `pool`, whose connections may switch to
    /// `supabase_auth_admin` (a superuser's).
    pub fn new(pool: Pool) -> Store {
        Store { pool }
    }

    async fn client(&self) -> Result<Object, AuthError> {
        self.pool.get().await.map_err(db_error)
    }

    /// Starts a transaction as GoTrue's role, with UTC timestamps.
    async fn begin(client: &mut Object) -> Result<Transaction<'_>, AuthError> {
        let tx = client.transaction().await.map_err(db_error)?;
        tx.batch_execute("set local timezone = 'UTC'; set local role supabase_auth_admin")
            .await
            .map_err(db_error)?;
        Ok(tx)
    }

    /// bcrypt with cost 10 (pgcrypto's, which GoTrue's hashes verify with).
    async fn hash(client: &Object, password: &str) -> Result<String, AuthError> {
        let row = client
            .query_one(
                "select extensions.crypt($1, extensions.gen_salt('bf', 10))",
                &[&password],
            )
            .await
            .map_err(db_error)?;
        Ok(row.get(0))
    }

    async fn user_in(tx: &Transaction<'_>, id: Uuid) -> Result<Option<Value>, AuthError> {
        let sql = format!("select {USER_JSON} from auth.users u where u.id = $1");
        let row = tx.query_opt(&sql, &[&id]).await.map_err(db_error)?;
        Ok(row.map(|r| shape_user(r.get(0))))
    }

    /// The user object of `id`.
    pub async fn user(&self, id: Uuid) -> Result<Option<Value>, AuthError> {
        let mut client = self.client().await?;
        let tx = Self::begin(&mut client).await?;
        let user = Self::user_in(&tx, id).await?;
        tx.commit().await.map_err(db_error)?;
        Ok(user)
    }

    /// The user an email belongs to, and whether `password` is theirs.
    pub async fn credentials(
        &self,
        email: &str,
        password: &str,
    ) -> Result<Option<Credentials>, AuthError> {
        let client = self.client().await?;
        let row = client
            .query_opt(
                "select id,
                        coalesce(encrypted_password <> ''
                                 and encrypted_password = extensions.crypt($2, encrypted_password), false),
                        email_confirmed_at is not null,
                        coalesce(banned_until > now(), false)
                   from auth.users
                  where email = $1 and not is_sso_user and deleted_at is null",
                &[&email, &password],
            )
            .await
            .map_err(db_error)?;
        Ok(row.map(|r| Credentials {
            user_id: r.get(0),
            password_ok: r.get(1),
            confirmed: r.get(2),
            banned: r.get(3),
        }))
    }

    /// The user id of an email, and whether it is confirmed.
    pub async fn find_email(&self, email: &str) -> Result<Option<(Uuid, bool)>, AuthError> {
        let client = self.client().await?;
        let row = client
            .query_opt(
                "select id, email_confirmed_at is not null from auth.users
                  where email = $1 and not is_sso_user",
                &[&email],
            )
            .await
            .map_err(db_error)?;
        Ok(row.map(|r| (r.get(0), r.get(1))))
    }

    /// Creates a user (and its email identity) and returns the user object,
    /// read back after the insert so triggers' changes show.
    pub async fn create_user(&self, new: NewUser) -> Result<Value, CreateError> {
        let mut client = self.client().await.map_err(CreateError::Other)?;
        let hash = match &new.password {
            Some(p) => Some(Self::hash(&client, p).await.map_err(CreateError::Other)?),
            None => None,
        };
        let tx = Self::begin(&mut client).await.map_err(CreateError::Other)?;
        let id = new.id.unwrap_or_else(Uuid::new_v4);
        let mut app = Map::new();
        if !new.anonymous {
            app.insert("provider".into(), json!("email"));
            app.insert("providers".into(), json!(["email"]));
        }
        app.extend(new.app_metadata);
        let mut user_meta = new.user_metadata;
        if new.confirmed && new.email.is_some() {
            user_meta.insert("email_verified".into(), json!(true));
        }
        let inserted = tx
            .execute(
                "insert into auth.users
                    (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
                     confirmation_sent_at, raw_app_meta_data, raw_user_meta_data, created_at,
                     updated_at, is_anonymous, confirmation_token, recovery_token,
                     email_change_token_new, email_change)
                 values ('00000000-0000-0000-0000-000000000000', $1, 'authenticated', $2, $3, $4,
                     case when $5 then now() end,
                     case when not $5 and $3::varchar is not null then now() end,
                     $6, $7, now(), now(), $8, '', '', '', '')",
                &[
                    &id,
                    &new.role,
                    &new.email,
                    &hash,
                    &new.confirmed,
                    &Value::Object(app),
                    &Value::Object(user_meta.clone()),
                    &new.anonymous,
                ],
            )
            .await;
        if let Err(e) = inserted {
            return Err(if is_unique_violation(&e) {
                CreateError::Exists
            } else {
                CreateError::Rejected(e.to_string())
            });
        }
        if let Some(email) = &new.email {
            let mut identity = user_meta;
            identity.insert("sub".into(), json!(id.to_string()));
            identity.insert("email".into(), json!(email));
            identity.insert("email_verified".into(), json!(new.confirmed));
            identity.insert("phone_verified".into(), json!(false));
            tx.execute(
                "insert into auth.identities
                    (provider_id, user_id, identity_data, provider, last_sign_in_at, created_at, updated_at)
                 values ($1, $2, $3, 'email', now(), now(), now())",
                &[&id.to_string(), &id, &Value::Object(identity)],
            )
            .await
            .map_err(|e| CreateError::Rejected(e.to_string()))?;
        }
        let user = Self::user_in(&tx, id)
            .await
            .map_err(CreateError::Other)?
            .ok_or_else(|| CreateError::Rejected("the new user vanished".into()))?;
        tx.commit()
            .await
            .map_err(|e| CreateError::Rejected(e.to_string()))?;
        Ok(user)
    }

    /// Opens a session for a user who just signed in.
    pub async fn open_session(
        &self,
        user_id: Uuid,
        user_agent: Option<&str>,
    ) -> Result<Session, AuthError> {
        let mut client = self.client().await?;
        let tx = Self::begin(&mut client).await?;
        let session_id = Uuid::new_v4();
        let row = tx
            .query_one(
                "insert into auth.sessions (id, user_id, created_at, updated_at, aal, user_agent, refreshed_at)
                 values ($1, $2, now(), now(), 'aal1', $3, now()::timestamp)
                 returning extract(epoch from created_at)::bigint",
                &[&session_id, &user_id, &user_agent],
            )
            .await
            .map_err(db_error)?;
        let created_at: i64 = row.get(0);
        tx.execute(
            "update auth.users set last_sign_in_at = now(), updated_at = now() where id = $1",
            &[&user_id],
        )
        .await
        .map_err(db_error)?;
        let refresh_token = Self::issue_refresh(&tx, user_id, session_id, None).await?;
        let user = Self::user_in(&tx, user_id)
            .await?
            .ok_or_else(|| AuthError::unexpected("the user vanished"))?;
        tx.commit().await.map_err(db_error)?;
        Ok(Session {
            id: session_id,
            created_at,
            refresh_token,
            user,
        })
    }

    async fn issue_refresh(
        tx: &Transaction<'_>,
        user_id: Uuid,
        session_id: Uuid,
        parent: Option<&str>,
    ) -> Result<String, AuthError> {
        let token = super::tokens::new_refresh_token();
        tx.execute(
            "insert into auth.refresh_tokens
                (instance_id, token, user_id, revoked, created_at, updated_at, parent, session_id)
             values ('00000000-0000-0000-0000-000000000000', $1, $2, false, now(), now(), $3, $4)",
            &[&token, &user_id.to_string(), &parent, &session_id],
        )
        .await
        .map_err(db_error)?;
        Ok(token)
    }

    /// The refresh-token grant: GoTrue's rotation with reuse detection
    /// ([`super::tokens::rotation`]), under a row lock on the token so two
    /// concurrent refreshes of one token are decided one after the other.
    pub async fn refresh(&self, token: &str, reuse_interval: f64) -> Result<Refreshed, AuthError> {
        use super::tokens::{rotation, Presented, Rotation};
        let mut client = self.client().await?;
        let tx = Self::begin(&mut client).await?;
        let row = tx
            .query_opt(
                "select rt.revoked, rt.session_id, rt.user_id,
                        extract(epoch from now() - rt.updated_at)::float8,
                        exists (select 1 from auth.refresh_tokens c
                                 where c.parent = rt.token and not c.revoked
                                   and c.session_id = rt.session_id),
                        coalesce(u.banned_until > now(), false),
                        extract(epoch from s.created_at)::bigint
                   from auth.refresh_tokens rt
                   join auth.sessions s on s.id = rt.session_id
                   join auth.users u on u.id = s.user_id
                  where rt.token = $1
                  for update of rt",
                &[&token],
            )
            .await
            .map_err(db_error)?;
        let Some(row) = row else {
            return Ok(Refreshed::NotFound);
        };
        let revoked: bool = row.get::<_, Option<bool>>(0).unwrap_or(false);
        let session_id: Uuid = row.get(1);
        let user_id: Uuid = row
            .get::<_, Option<String>>(2)
            .and_then(|u| u.parse().ok())
            .ok_or_else(|| AuthError::unexpected("a refresh token without its user"))?;
        let presented = Presented {
            revoked,
            parent_of_current: row.get(4),
            seconds_since_revoked: row.get(3),
        };
        if row.get::<_, bool>(5) {
            return Ok(Refreshed::Banned);
        }
        let created_at: i64 = row.get(6);
        let refresh_token = match rotation(presented, reuse_interval) {
            Rotation::IssueChild => {
                tx.execute(
                    "update auth.refresh_tokens set revoked = true, updated_at = now()
                      where token = $1 and not coalesce(revoked, false)",
                    &[&token],
                )
                .await
                .map_err(db_error)?;
                Self::issue_refresh(&tx, user_id, session_id, Some(token)).await?
            }
            Rotation::ReturnCurrent => {
                let current = tx
                    .query_one(
                        "select token from auth.refresh_tokens
                          where parent = $1 and not revoked and session_id = $2
                          order by id desc limit 1",
                        &[&token, &session_id],
                    )
                    .await
                    .map_err(db_error)?;
                current.get(0)
            }
            Rotation::ReuseDetected => {
                tx.execute(
                    "update auth.refresh_tokens set revoked = true, updated_at = now()
                      where session_id = $1 and not coalesce(revoked, false)",
                    &[&session_id],
                )
                .await
                .map_err(db_error)?;
                tx.commit().await.map_err(db_error)?;
                return Ok(Refreshed::AlreadyUsed);
            }
        };
        tx.execute(
            "update auth.sessions set refreshed_at = now()::timestamp, updated_at = now() where id = $1",
            &[&session_id],
        )
        .await
        .map_err(db_error)?;
        let user = Self::user_in(&tx, user_id)
            .await?
            .ok_or(AuthError::unexpected("the user vanished"))?;
        tx.commit().await.map_err(db_error)?;
        Ok(Refreshed::Session(Session {
            id: session_id,
            created_at,
            refresh_token,
            user,
        }))
    }

    /// Whether `session_id` is a live session of `user_id`, and when it
    /// started (unix seconds).
    pub async fn session(&self, session_id: Uuid, user_id: Uuid) -> Result<Option<i64>, AuthError> {
        let client = self.client().await?;
        let row = client
            .query_opt(
                "select extract(epoch from created_at)::bigint from auth.sessions
                  where id = $1 and user_id = $2",
                &[&session_id, &user_id],
            )
            .await
            .map_err(db_error)?;
        Ok(row.map(|r| r.get(0)))
    }

    /// Signs out: deletes the sessions `scope` names (their refresh
    /// tokens go with them).
    pub async fn logout(
        &self,
        user_id: Uuid,
        session_id: Option<Uuid>,
        scope: LogoutScope,
    ) -> Result<(), AuthError> {
        let mut client = self.client().await?;
        let tx = Self::begin(&mut client).await?;
        match (scope, session_id) {
            (LogoutScope::Local, Some(s)) => {
                tx.execute("delete from auth.sessions where id = $1", &[&s])
                    .await
            }
            (LogoutScope::Others, Some(s)) => {
                tx.execute(
                    "delete from auth.sessions where user_id = $1 and id <> $2",
                    &[&user_id, &s],
                )
                .await
            }
            _ => {
                tx.execute("delete from auth.sessions where user_id = $1", &[&user_id])
                    .await
            }
        }
        .map_err(db_error)?;
        tx.commit().await.map_err(db_error)?;
        Ok(())
    }

    /// Applies changes to a user; `keep_session` survives a password
    /// change (the caller's own session on `PUT /user`; none for admins).
    pub async fn update_user(
        &self,
        id: Uuid,
        changes: UserChanges,
        keep_session: Option<Uuid>,
    ) -> Result<Value, UpdateError> {
        let mut client = self.client().await.map_err(UpdateError::Other)?;
        let hash = match &changes.password {
            Some(p) => Some(Self::hash(&client, p).await.map_err(UpdateError::Other)?),
            None => None,
        };
        let tx = Self::begin(&mut client).await.map_err(UpdateError::Other)?;
        let meta = |m: &Option<Map<String, Value>>| m.clone().map(Value::Object);
        let updated = tx
            .execute(
                "update auth.users set
                    email = coalesce($2, email),
                    encrypted_password = coalesce($3, encrypted_password),
                    raw_user_meta_data = case when $4::jsonb is null then raw_user_meta_data
                        else (coalesce(raw_user_meta_data, '{}') || $4::jsonb)
                             - array(select key from jsonb_each($4::jsonb) where value = 'null') end,
                    raw_app_meta_data = case when $5::jsonb is null then raw_app_meta_data
                        else (coalesce(raw_app_meta_data, '{}') || $5::jsonb)
                             - array(select key from jsonb_each($5::jsonb) where value = 'null') end,
                    email_confirmed_at = case when $6 then coalesce(email_confirmed_at, now())
                        else email_confirmed_at end,
                    banned_until = case when $7 then now() + make_interval(secs => $8)
                        when $9 then null else banned_until end,
                    role = coalesce($10, role),
                    is_anonymous = is_anonymous and $2::text is null,
                    updated_at = now()
                  where id = $1",
                &[
                    &id,
                    &changes.email,
                    &hash,
                    &meta(&changes.user_metadata),
                    &meta(&changes.app_metadata),
                    &changes.confirm_email,
                    &matches!(changes.ban_seconds, Some(Some(_))),
                    &changes.ban_seconds.flatten().unwrap_or(0.0),
                    &matches!(changes.ban_seconds, Some(None)),
                    &changes.role,
                ],
            )
            .await;
        match updated {
            Ok(0) => return Err(UpdateError::NotFound),
            Ok(_) => {}
            Err(e) if is_unique_violation(&e) => return Err(UpdateError::EmailExists),
            Err(e) => return Err(UpdateError::Other(db_error(e))),
        }
        if let Some(email) = &changes.email {
            // The email identity follows the address (created for a user
            // who had none, e.g. an anonymous one).
            tx.execute(
                "insert into auth.identities
                    (provider_id, user_id, identity_data, provider, last_sign_in_at, created_at, updated_at)
                 values ($1::uuid::text, $1, jsonb_build_object('sub', $1::uuid::text, 'email', $2::text,
                         'email_verified', true, 'phone_verified', false), 'email', now(), now(), now())
                 on conflict (provider_id, provider) do update
                    set identity_data = auth.identities.identity_data || jsonb_build_object('email', $2::text),
                        updated_at = now()",
                &[&id, email],
            )
            .await
            .map_err(|e| UpdateError::Other(db_error(e)))?;
            tx.execute(
                "update auth.users set raw_app_meta_data = coalesce(raw_app_meta_data, '{}')
                    || '{\"provider\": \"email\", \"providers\": [\"email\"]}'::jsonb
                  where id = $1 and not (coalesce(raw_app_meta_data, '{}') ? 'provider')",
                &[&id],
            )
            .await
            .map_err(|e| UpdateError::Other(db_error(e)))?;
        }
        if changes.password.is_some() {
            tx.execute(
                "delete from auth.sessions where user_id = $1 and id is distinct from $2",
                &[&id, &keep_session],
            )
            .await
            .map_err(|e| UpdateError::Other(db_error(e)))?;
        }
        let user = Self::user_in(&tx, id)
            .await
            .map_err(UpdateError::Other)?
            .ok_or(UpdateError::NotFound)?;
        tx.commit()
            .await
            .map_err(|e| UpdateError::Other(db_error(e)))?;
        Ok(user)
    }

    /// Whether `password` is the user's current one.
    pub async fn password_matches(&self, id: Uuid, password: &str) -> Result<bool, AuthError> {
        let client = self.client().await?;
        let row = client
            .query_opt(
                "select coalesce(encrypted_password <> ''
                        and encrypted_password = extensions.crypt($2, encrypted_password), false)
                   from auth.users where id = $1",
                &[&id, &password],
            )
            .await
            .map_err(db_error)?;
        Ok(row.is_some_and(|r| r.get(0)))
    }

    /// A page of users, newest first, and the total count.
    pub async fn list_users(
        &self,
        page: i64,
        per_page: i64,
    ) -> Result<(Vec<Value>, i64), AuthError> {
        let mut client = self.client().await?;
        let tx = Self::begin(&mut client).await?;
        let sql = format!(
            "select {USER_JSON} from auth.users u
              order by u.created_at desc, u.id limit $1 offset $2"
        );
        let rows = tx
            .query(&sql, &[&per_page, &((page - 1) * per_page)])
            .await
            .map_err(db_error)?;
        let total: i64 = tx
            .query_one("select count(*) from auth.users", &[])
            .await
            .map_err(db_error)?
            .get(0);
        tx.commit().await.map_err(db_error)?;
        Ok((
            rows.into_iter().map(|r| shape_user(r.get(0))).collect(),
            total,
        ))
    }

    /// Deletes a user: hard (identities, sessions and tokens cascade), or
    /// soft (marked deleted, email and phone cleared so the address is free
    /// again, sessions removed). False when there is no such user.
    pub async fn delete_user(&self, id: Uuid, soft: bool) -> Result<bool, AuthError> {
        let mut client = self.client().await?;
        let tx = Self::begin(&mut client).await?;
        let n = if soft {
            tx.execute("delete from auth.sessions where user_id = $1", &[&id])
                .await
                .map_err(db_error)?;
            tx.execute("delete from auth.identities where user_id = $1", &[&id])
                .await
                .map_err(db_error)?;
            tx.execute(
                "update auth.users set deleted_at = now(), email = null, phone = null,
                        encrypted_password = '', updated_at = now()
                  where id = $1 and deleted_at is null",
                &[&id],
            )
            .await
        } else {
            tx.execute("delete from auth.users where id = $1", &[&id])
                .await
        }
        .map_err(db_error)?;
        tx.commit().await.map_err(db_error)?;
        Ok(n > 0)
    }
}

/// Why a user could not be created.
#[derive(Debug)]
pub enum CreateError {
    /// The email (or id) is taken.
    Exists,
    /// A trigger or constraint refused the row.
    Rejected(String),
    /// Anything else.
    Other(AuthError),
}

/// Why a user could not be changed.
#[derive(Debug)]
pub enum UpdateError {
    /// No such user.
    NotFound,
    /// The new email belongs to another user.
    EmailExists,
    /// Anything else.
    Other(AuthError),
}

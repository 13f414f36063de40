//! Bringing a database to the project's schema: the platform bootstrap, the
//! project's JWT secret in Vault, the numbered migrations (recorded as the
//! Supabase CLI records them) and the demo seed.

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use tokio_postgres::error::ErrorPosition;
use tokio_postgres::Client;

use crate::error::{Error, Result};

/// Name of the Vault secret the migrations read the JWT secret from.
pub const JWT_SECRET_VAULT_NAME: &str = "workflow_chat_jwt_secret";

/// Why a SQL file could not be applied.
#[derive(Debug)]
pub enum MigrationError {
    /// A file under `migrations/` whose name is not `<version>_<name>.sql`.
    BadFileName(PathBuf),
    /// An applied migration whose file changed since it was applied.
    Changed {
        /// The migration's version (the prefix before the first `_`).
        version: String,
        /// The file as it is now.
        file: PathBuf,
        /// Checksum recorded when it was applied.
        recorded: String,
        /// Checksum of the file now.
        current: String,
    },
    /// The database refused a statement of a file.
    Failed {
        /// The file.
        file: PathBuf,
        /// 1-based line of the failing statement, when the server reported it.
        line: Option<usize>,
        /// SQLSTATE.
        code: String,
        /// Server message, with detail, hint and context when present.
        message: String,
    },
    /// A file could not be read.
    Unreadable(PathBuf, std::io::Error),
}

impl fmt::Display for MigrationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MigrationError::BadFileName(path) => write!(
                f,
                "{}: migration files must be named <version>_<name>.sql",
                path.display()
            ),
            MigrationError::Changed {
                version,
                file,
                recorded,
                current,
            } => write!(
                f,
                "migration {version} ({}) was changed after it was applied \
                 (sha256 {recorded} when applied, {current} now); \
                 add a new migration instead, or start from a fresh data folder",
                file.display()
            ),
            MigrationError::Failed {
                file,
                line,
                code,
                message,
            } => {
                write!(f, "{}", file.display())?;
                if let Some(line) = line {
                    write!(f, ":{line}")?;
                }
                write!(f, ": {message} (SQLSTATE {code})")
            }
            MigrationError::Unreadable(path, err) => {
                write!(f, "cannot read {}: {err}", path.display())
            }
        }
    }
}

impl std::error::Error for MigrationError {}

/// What [`apply_migrations`] did.
#[derive(Debug, Default, Clone)]
pub struct MigrationReport {
    /// Whether no migration had been recorded before this run.
    pub fresh: bool,
    /// Versions applied by this run, in order.
    pub applied: Vec<String>,
}

/// One `-- demo-login: <email> <password> <description...>` line of the seed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoLogin {
    /// Login e-mail.
    pub email: String,
    /// Password.
    pub password: String,
    /// Who this account is in the demo.
    pub description: String,
}

/// Reads the demo logins declared in a seed file's comments.
pub fn demo_logins(seed_sql: &str) -> Vec<DemoLogin> {
    seed_sql
        .lines()
        .filter_map(|line| line.trim().strip_prefix("-- demo-login:"))
        .filter_map(|rest| {
            let mut words = rest.split_whitespace();
            let email = words.next()?.to_string();
            let password = words.next()?.to_string();
            let description = words.collect::<Vec<_>>().join(" ");
            Some(DemoLogin {
                email,
                password,
                description,
            })
        })
        .collect()
}

/// Splits `0001_theme.sql` into version `0001` and name `theme`, as the
/// Supabase CLI splits `<timestamp>_<name>.sql`.
pub fn parse_migration_name(file_name: &str) -> Option<(String, String)> {
    let stem = file_name.strip_suffix(".sql")?;
    let (version, name) = stem.split_once('_')?;
    if version.is_empty() || !version.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    Some((version.to_string(), name.to_string()))
}

/// Hex SHA-256 of a file's content.
pub fn checksum(content: &str) -> String {
    Sha256::digest(content.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `*.sql` files of a folder in lexical order (none if the folder is absent).
pub fn sql_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io(format!("listing {}", dir.display()), e)),
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "sql") && p.is_file())
        .collect();
    files.sort();
    Ok(files)
}

fn read(path: &Path) -> Result<String> {
    fs::read_to_string(path).map_err(|e| MigrationError::Unreadable(path.to_path_buf(), e).into())
}

/// Turns a server error while running `sql` from `file` into a
/// [`MigrationError`] pointing at the line.
fn failed(file: &Path, sql: &str, err: tokio_postgres::Error) -> Error {
    let Some(db) = err.as_db_error() else {
        return Error::db(format!("applying {}", file.display()), err);
    };
    let line = match db.position() {
        Some(ErrorPosition::Original(pos)) => Some(line_of(sql, *pos as usize)),
        _ => None,
    };
    let mut message = db.message().to_string();
    if let Some(detail) = db.detail() {
        message.push_str(&format!("\n  detail: {detail}"));
    }
    if let Some(hint) = db.hint() {
        message.push_str(&format!("\n  hint: {hint}"));
    }
    if let Some(context) = db.where_() {
        message.push_str(&format!("\n  context: {context}"));
    }
    MigrationError::Failed {
        file: file.to_path_buf(),
        line,
        code: db.code().code().to_string(),
        message,
    }
    .into()
}

/// 1-based line of the 1-based character position `pos` in `sql`.
fn line_of(sql: &str, pos: usize) -> usize {
    sql.chars()
        .take(pos.saturating_sub(1))
        .filter(|c| *c == '\n')
        .count()
        + 1
}

/// Applies every `*.sql` of the bootstrap folder in lexical order. The files
/// are idempotent and run on every start.
pub async fn apply_bootstrap(client: &Client, dir: &Path) -> Result<usize> {
    let files = sql_files(dir)?;
    for file in &files {
        let sql = read(file)?;
        client
            .batch_execute(&sql)
            .await
            .map_err(|e| failed(file, &sql, e))?;
    }
    Ok(files.len())
}

/// Stores (or updates) the JWT secret in Vault under
/// [`JWT_SECRET_VAULT_NAME`], as a deployer does once on Supabase. Skipped
/// when the database has no Vault.
pub async fn store_jwt_secret(client: &Client, secret: &str) -> Result<bool> {
    let has_vault = client
        .query_one(
            "select to_regprocedure('vault.create_secret(text,text,text,uuid)') is not null
                and to_regclass('vault.decrypted_secrets') is not null",
            &[],
        )
        .await
        .map_err(|e| Error::db("looking for Vault", e))?
        .get::<_, bool>(0);
    if !has_vault {
        return Ok(false);
    }
    let existing = client
        .query_opt(
            "select id, decrypted_secret from vault.decrypted_secrets where name = $1",
            &[&JWT_SECRET_VAULT_NAME],
        )
        .await
        .map_err(|e| Error::db("reading the JWT secret from Vault", e))?;
    match existing {
        Some(row) if row.get::<_, Option<String>>(1).as_deref() == Some(secret) => {}
        Some(row) => {
            let id: uuid::Uuid = row.get(0);
            client
                .execute("select vault.update_secret($1, $2)", &[&id, &secret])
                .await
                .map_err(|e| Error::db("updating the JWT secret in Vault", e))?;
        }
        None => {
            client
                .execute(
                    "select vault.create_secret($1, $2)",
                    &[&secret, &JWT_SECRET_VAULT_NAME],
                )
                .await
                .map_err(|e| Error::db("storing the JWT secret in Vault", e))?;
        }
    }
    Ok(true)
}

const HISTORY_DDL: &str = "
create schema if not exists supabase_migrations;
create table if not exists supabase_migrations.schema_migrations (
    version text primary key,
    statements text[],
    name text
);
create table if not exists supabase_migrations.devstack_checksums (
    version text primary key references supabase_migrations.schema_migrations on delete cascade,
    sha256 text not null
);
";

/// Applies the pending `migrations/*.sql` of `dir`, each in its own
/// transaction, recording it in `supabase_migrations.schema_migrations`.
/// Refuses to go on if an applied file has changed.
pub async fn apply_migrations(client: &mut Client, dir: &Path) -> Result<MigrationReport> {
    client
        .batch_execute(HISTORY_DDL)
        .await
        .map_err(|e| Error::db("creating the migration history", e))?;
    let rows = client
        .query(
            "select m.version, c.sha256
               from supabase_migrations.schema_migrations m
               left join supabase_migrations.devstack_checksums c using (version)",
            &[],
        )
        .await
        .map_err(|e| Error::db("reading the migration history", e))?;
    let applied: std::collections::HashMap<String, Option<String>> =
        rows.iter().map(|r| (r.get(0), r.get(1))).collect();
    let mut report = MigrationReport {
        fresh: applied.is_empty(),
        applied: Vec::new(),
    };

    let mut pending = Vec::new();
    for file in sql_files(&dir.join("migrations"))? {
        let file_name = file.file_name().unwrap_or_default().to_string_lossy();
        let (version, name) = parse_migration_name(&file_name)
            .ok_or_else(|| MigrationError::BadFileName(file.clone()))?;
        let sql = read(&file)?;
        let sum = checksum(&sql);
        match applied.get(&version) {
            Some(Some(recorded)) if *recorded != sum => {
                return Err(MigrationError::Changed {
                    version,
                    file,
                    recorded: recorded.clone(),
                    current: sum,
                }
                .into());
            }
            Some(_) => {}
            None => pending.push((file, version, name, sql, sum)),
        }
    }

    for (file, version, name, sql, sum) in pending {
        let tx = client
            .transaction()
            .await
            .map_err(|e| Error::db("starting a migration transaction", e))?;
        tx.batch_execute(&sql)
            .await
            .map_err(|e| failed(&file, &sql, e))?;
        tx.execute(
            "insert into supabase_migrations.schema_migrations (version, statements, name)
             values ($1, array[$2], $3)",
            &[&version, &sql, &name],
        )
        .await
        .map_err(|e| Error::db("recording a migration", e))?;
        tx.execute(
            "insert into supabase_migrations.devstack_checksums (version, sha256) values ($1, $2)",
            &[&version, &sum],
        )
        .await
        .map_err(|e| Error::db("recording a migration checksum", e))?;
        tx.commit().await.map_err(|e| failed(&file, &sql, e))?;
        report.applied.push(version);
    }
    Ok(report)
}

/// Runs the seed file (if present) in one transaction.
pub async fn apply_seed(client: &mut Client, seed: &Path) -> Result<bool> {
    if !seed.is_file() {
        return Ok(false);
    }
    let sql = read(seed)?;
    let tx = client
        .transaction()
        .await
        .map_err(|e| Error::db("starting the seed transaction", e))?;
    tx.batch_execute(&sql)
        .await
        .map_err(|e| failed(seed, &sql, e))?;
    tx.commit().await.map_err(|e| failed(seed, &sql, e))?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migration_names_split_like_the_supabase_cli() {
        assert_eq!(
            parse_migration_name("0001_theme.sql"),
            Some(("0001".into(), "theme".into()))
        );
        assert_eq!(
            parse_migration_name("20240101000000_add_chat_tables.sql"),
            Some(("20240101000000".into(), "add_chat_tables".into()))
        );
        assert_eq!(parse_migration_name("theme.sql"), None);
        assert_eq!(parse_migration_name("v1_theme.sql"), None);
        assert_eq!(parse_migration_name("0001_theme.txt"), None);
    }

    #[test]
    fn demo_logins_are_read_from_comment_lines() {
        let seed = "insert into x values (1);\n\
                    -- demo-login: ada@example.com s3cret Ada, owner of the demo workflow\n\
                    -- a plain comment\n\
                    --demo-login: not@this.one nope\n";
        assert_eq!(
            demo_logins(seed),
            vec![DemoLogin {
                email: "ada@example.com".into(),
                password: "s3cret".into(),
                description: "Ada, owner of the demo workflow".into(),
            }]
        );
    }

    #[test]
    fn error_positions_become_lines() {
        let sql = "select 1;\nselect 2;\nselect oops;";
        let pos = sql.find("oops").unwrap() + 1;
        assert_eq!(line_of(sql, pos), 3);
    }

    #[test]
    fn checksum_changes_with_content() {
        assert_ne!(checksum("a"), checksum("b"));
        assert_eq!(checksum("a").len(), 64);
    }
}

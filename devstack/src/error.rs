//! The errors devstack reports to its user.

use std::fmt;
use std::io;

use crate::migrate::MigrationError;

/// Everything that can stop devstack from starting or serving.
#[derive(Debug)]
pub enum Error {
    /// Invalid command line or configuration.
    Config(String),
    /// The PostgreSQL 15 server binaries could not be found.
    PostgresNotFound(String),
    /// A file-system or process operation failed.
    Io {
        /// What devstack was doing.
        context: String,
        /// The underlying error.
        source: io::Error,
    },
    /// The cluster could not be initialised, started or stopped.
    Cluster(String),
    /// A database operation failed.
    Database {
        /// What devstack was doing.
        context: String,
        /// The underlying error.
        source: tokio_postgres::Error,
    },
    /// A bootstrap, migration or seed file could not be applied.
    Migration(MigrationError),
}

/// Result with devstack's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Wraps an I/O error with what was being done.
    pub fn io(context: impl Into<String>, source: io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source,
        }
    }

    /// Wraps a database error with what was being done.
    pub fn db(context: impl Into<String>, source: tokio_postgres::Error) -> Self {
        Error::Database {
            context: context.into(),
            source,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Config(msg) => write!(f, "{msg}"),
            Error::PostgresNotFound(msg) => write!(f, "PostgreSQL 15 not found: {msg}"),
            Error::Io { context, source } => write!(f, "{context}: {source}"),
            Error::Cluster(msg) => write!(f, "{msg}"),
            Error::Database { context, source } => {
                write!(f, "{context}: ")?;
                match source.as_db_error() {
                    Some(db) => write!(f, "{} (SQLSTATE {})", db.message(), db.code().code()),
                    None => write!(f, "{source}"),
                }
            }
            Error::Migration(err) => write!(f, "{err}"),
        }
    }
}

impl std::error::Error for Error {}

impl From<MigrationError> for Error {
    fn from(err: MigrationError) -> Self {
        Error::Migration(err)
    }
}

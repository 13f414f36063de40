//! Supabase Storage for devstack: `/storage/v1/object/...` with uploads
//! (raw or multipart, `x-upsert`), downloads, info, signed download and
//! upload URLs, deletes and folder listings, authorized by the project's
//! row-level security policies on `storage.objects`.
//!
//! Bytes live in files under the stack's data folder (see [`blob`]); rows
//! live in `storage.objects`. Keys, MIME types, tokens, routes and ranges
//! are pure modules; [`handlers`] ties them to the database and the files.

pub mod blob;
pub mod caller;
pub mod db;
pub mod error;
pub mod handlers;
pub mod key;
pub mod mime;
pub mod render;
pub mod route;
pub mod token;
pub mod upload;

use std::path::PathBuf;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::response::Response;
use axum::routing::any;
use axum::Router;
use tokio::sync::OnceCell;

use self::blob::BlobStore;
use self::error::{StorageError, StorageResult};
use crate::server::SharedState;

/// Limits and locations; the defaults are those of Supabase's self-hosted
/// Storage, except where noted.
#[derive(Debug, Clone)]
pub struct StorageConfig {
    /// Folder for object bytes; `None` puts them in `storage/` beside the
    /// cluster's `pgdata/` folder (the stack's data folder).
    pub root: Option<PathBuf>,
    /// Largest object in any bucket (`FILE_SIZE_LIMIT`, 50 MiB).
    pub file_size_limit: u64,
    /// Lifetime of signed upload URLs, in seconds: 2 hours, as hosted
    /// Supabase documents (self-hosted Storage defaults to 60 s).
    pub signed_upload_expiry: i64,
    /// Largest JSON request body (Fastify's default, 1 MiB).
    pub json_body_limit: usize,
}

impl Default for StorageConfig {
    fn default() -> Self {
        StorageConfig {
            root: None,
            file_size_limit: 50 * 1024 * 1024,
            signed_upload_expiry: 2 * 60 * 60,
            json_body_limit: 1024 * 1024,
        }
    }
}

/// The Storage service of a stack.
pub struct Storage {
    /// The stack's shared state (keys, pools).
    pub app: SharedState,
    /// Limits and locations.
    pub config: StorageConfig,
    blobs: OnceCell<BlobStore>,
}

impl Storage {
    /// A Storage service over the stack's state.
    pub fn new(app: SharedState, config: StorageConfig) -> Self {
        Storage {
            app,
            config,
            blobs: OnceCell::new(),
        }
    }

    /// The blob store, located and cleaned of crash leftovers on first use
    /// (before any upload of this process can start).
    pub async fn blobs(&self) -> StorageResult<&BlobStore> {
        self.blobs
            .get_or_try_init(|| async {
                let root = match &self.config.root {
                    Some(root) => root.clone(),
                    None => self.default_root().await?,
                };
                let store = BlobStore::new(root);
                let live = db::live_versions(&self.app.admin_db).await?;
                store.sweep(&live).await.map_err(|e| {
                    StorageError::internal(format!("cleaning {}: {e}", store.root().display()))
                })?;
                Ok(store)
            })
            .await
    }

    /// `<data folder>/storage` when the cluster is devstack's own
    /// (`<data folder>/pgdata`); otherwise a folder in the system's temp
    /// directory named after the database.
    async fn default_root(&self) -> StorageResult<PathBuf> {
        let client = self
            .app
            .admin_db
            .get()
            .await
            .map_err(|e| StorageError::internal(format!("database connection error: {e}")))?;
        let pgdata: String = client
            .query_one("select current_setting('data_directory')", &[])
            .await
            .map_err(|e| StorageError::from_db(&e))?
            .get(0);
        let pgdata = PathBuf::from(pgdata);
        if pgdata.file_name().is_some_and(|n| n == "pgdata") {
            if let Some(data_dir) = pgdata.parent() {
                return Ok(data_dir.join("storage"));
            }
        }
        let tag: u64 = self.app.db_url.bytes().fold(0xcbf29ce484222325, |h, b| {
            (h ^ b as u64).wrapping_mul(0x100000001b3)
        });
        Ok(std::env::temp_dir().join(format!("devstack-storage-{tag:016x}")))
    }
}

/// The Storage routes with the default configuration, ready to merge into
/// the stack's router.
pub fn service<S: Clone + Send + Sync + 'static>(state: &SharedState) -> Router<S> {
    router(Arc::new(Storage::new(
        state.clone(),
        StorageConfig::default(),
    )))
}

/// The routes of `storage`: everything under `/storage/v1/`.
pub fn router<S: Clone + Send + Sync + 'static>(storage: Arc<Storage>) -> Router<S> {
    Router::new()
        .route("/storage/v1/{*rest}", any(handle))
        .with_state(storage)
}

async fn handle(State(storage): State<Arc<Storage>>, request: Request) -> Response {
    handlers::dispatch(&storage, request).await
}

//! A complete stack: the cluster, the schema brought up to date, and the HTTP
//! origin with every service, running on a thread of its own until dropped.
//!
//! The stack owns its thread so that tests can share one stack between many
//! test functions (each with its own async runtime), and so that the database
//! server, which is tied to the thread that started it, lives exactly as long
//! as the stack.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc};
use std::thread::JoinHandle;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use serde::Serialize;
use tokio::sync::watch;
use tokio_postgres::NoTls;

use crate::auth::config::AuthConfig;
use crate::error::{Error, Result};
use crate::gateway::{ApiKeys, DEFAULT_JWT_SECRET};
use crate::jwt::{HmacSecret, KeySet};
use crate::keystore;
use crate::migrate::{self, DemoLogin};
use crate::net_worker;
use crate::postgres::{free_port, Cluster, Durability, PgBinaries};
use crate::scheduler;
use crate::server::{app_router, AppState};

/// When to run `sql/seed.sql`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeedPolicy {
    /// Never.
    Never,
    /// Only if no migration had been recorded before this start.
    IfFresh,
}

/// How to start a stack. [`StackOptions::throwaway`] and
/// [`StackOptions::persistent`] give the two usual starting points.
#[derive(Debug, Clone)]
pub struct StackOptions {
    /// Data folder; `None` makes a temporary one, removed on drop.
    pub data_dir: Option<PathBuf>,
    /// HTTP port; `None` picks a free one.
    pub port: Option<u16>,
    /// Database port; `None` picks a free one.
    pub db_port: Option<u16>,
    /// Use this database instead of managing a cluster.
    pub db_url: Option<String>,
    /// Folder with `migrations/*.sql` and `seed.sql`.
    pub sql_dir: PathBuf,
    /// Folder with the platform bootstrap `*.sql`.
    pub bootstrap_dir: PathBuf,
    /// Folder with the built app.
    pub dist_dir: PathBuf,
    /// JWT secret (at least 32 characters, as PostgREST requires).
    pub jwt_secret: String,
    /// When to seed.
    pub seed: SeedPolicy,
    /// Identity providers whose tokens the stack also accepts, as
    /// Supabase's third-party auth does.
    pub third_party: Vec<ThirdPartyIssuer>,
    /// How Auth behaves.
    pub auth: AuthConfig,
}

/// A third-party identity provider the stack trusts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThirdPartyIssuer {
    /// The issuer (`iss` of its tokens), e.g. `https://example.clerk.accounts.dev`.
    pub issuer: String,
    /// Where its JWKS document is: a file, or an `http://` URL on loopback
    /// (read once at start).
    pub jwks: String,
}

impl std::str::FromStr for ThirdPartyIssuer {
    type Err = String;

    /// Parses `ISSUER=JWKS` (the JWKS a file path or a loopback URL).
    fn from_str(text: &str) -> std::result::Result<Self, String> {
        let (issuer, jwks) = text
            .split_once('=')
            .filter(|(i, j)| !i.is_empty() && !j.is_empty())
            .ok_or_else(|| format!("expected ISSUER=JWKS_FILE_OR_URL, got {text:?}"))?;
        Ok(ThirdPartyIssuer {
            issuer: issuer.to_string(),
            jwks: jwks.to_string(),
        })
    }
}

impl StackOptions {
    /// A throwaway stack: temporary folder, free ports, no seed.
    pub fn throwaway() -> Self {
        let root = repo_root();
        StackOptions {
            data_dir: None,
            port: None,
            db_port: None,
            db_url: None,
            sql_dir: root.join("sql"),
            bootstrap_dir: root.join("devstack").join("bootstrap"),
            dist_dir: root.join("dist"),
            jwt_secret: DEFAULT_JWT_SECRET.to_string(),
            seed: SeedPolicy::Never,
            third_party: Vec::new(),
            auth: AuthConfig::default(),
        }
    }

    /// A stack in `data_dir` that keeps its data between runs, seeded on its
    /// first start.
    pub fn persistent(data_dir: impl Into<PathBuf>) -> Self {
        StackOptions {
            data_dir: Some(data_dir.into()),
            seed: SeedPolicy::IfFresh,
            ..StackOptions::throwaway()
        }
    }
}

/// What a client needs to reach a running stack; written to `stack.json`.
#[derive(Debug, Clone, Serialize)]
pub struct StackInfo {
    /// Base URL, e.g. `http://127.0.0.1:54321`.
    pub url: String,
    /// The publishable API key (`sb_publishable_…`), for browsers.
    pub publishable_key: String,
    /// The secret API key (`sb_secret_…`), for servers only.
    pub secret_key: String,
    /// The legacy anon key (an HS256 JWT).
    pub anon_key: String,
    /// The legacy service-role key (an HS256 JWT).
    pub service_role_key: String,
    /// The legacy JWT secret.
    pub jwt_secret: String,
    /// Where the public signing keys are published.
    pub jwks_url: String,
    /// Connection URL as `postgres`, the owner of the project's schema and
    /// not a superuser, as deployers connect to a hosted project.
    pub db_url: String,
    /// Connection URL as the bootstrap superuser (`supabase_admin`), for
    /// tests and tools that play the platform's part.
    pub admin_db_url: String,
}

/// What happened while the stack started.
#[derive(Debug, Clone, Default)]
pub struct StartReport {
    /// Whether a new cluster was initialised.
    pub initialized: bool,
    /// Number of bootstrap files applied.
    pub bootstrap_files: usize,
    /// Migrations applied by this start.
    pub applied_migrations: Vec<String>,
    /// Whether the seed ran.
    pub seeded: bool,
    /// Demo logins declared by the seed file.
    pub demo_logins: Vec<DemoLogin>,
}

/// A running stack. Dropping it stops everything and removes a temporary
/// data folder.
pub struct Stack {
    info: StackInfo,
    report: StartReport,
    data_dir: PathBuf,
    db_port: Option<u16>,
    shutdown: Option<watch::Sender<bool>>,
    thread: Option<JoinHandle<()>>,
    lock_file: Option<PathBuf>,
    // Declared last: removed only after the server has stopped.
    _temp_dir: Option<tempfile::TempDir>,
}

impl std::fmt::Debug for Stack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stack")
            .field("url", &self.info.url)
            .field("db_url", &self.info.db_url)
            .finish()
    }
}

impl Stack {
    /// Starts a stack and returns once it serves requests.
    pub fn start(options: StackOptions) -> Result<Stack> {
        if options.jwt_secret.len() < 32 {
            return Err(Error::Config(
                "the JWT secret must be at least 32 characters long".into(),
            ));
        }
        let (temp_dir, data_dir) = match &options.data_dir {
            Some(dir) => {
                let dir = absolute(dir)?;
                fs::create_dir_all(&dir)
                    .map_err(|e| Error::io(format!("creating {}", dir.display()), e))?;
                (None, dir)
            }
            None => {
                let temp = tempfile::Builder::new()
                    .prefix("devstack-")
                    .tempdir()
                    .map_err(|e| Error::io("creating a temporary folder", e))?;
                let path = temp.path().to_path_buf();
                (Some(temp), path)
            }
        };
        let lock_file = if temp_dir.is_none() {
            Some(claim_data_dir(&data_dir)?)
        } else {
            None
        };
        let port = match options.port {
            Some(port) => port,
            None => free_port()?,
        };
        let listener = std::net::TcpListener::bind(("127.0.0.1", port))
            .map_err(|e| Error::io(format!("listening on 127.0.0.1:{port}"), e))?;
        listener
            .set_nonblocking(true)
            .map_err(|e| Error::io("configuring the listener", e))?;

        let (ready_tx, ready_rx) = mpsc::channel();
        let (shutdown_tx, shutdown_rx) = watch::channel(false);
        let thread_options = options.clone();
        let thread_data_dir = data_dir.clone();
        let thread = std::thread::Builder::new()
            .name("devstack".into())
            .spawn(move || {
                run_stack(
                    thread_options,
                    thread_data_dir,
                    listener,
                    ready_tx,
                    shutdown_rx,
                )
            })
            .map_err(|e| Error::io("starting the stack thread", e))?;

        let mut stack = Stack {
            info: StackInfo {
                url: String::new(),
                publishable_key: String::new(),
                secret_key: String::new(),
                anon_key: String::new(),
                service_role_key: String::new(),
                jwt_secret: options.jwt_secret.clone(),
                jwks_url: String::new(),
                db_url: String::new(),
                admin_db_url: String::new(),
            },
            report: StartReport::default(),
            data_dir,
            db_port: None,
            shutdown: Some(shutdown_tx),
            thread: Some(thread),
            lock_file,
            _temp_dir: temp_dir,
        };
        match ready_rx.recv() {
            Ok(Ok(ready)) => {
                stack.info = ready.info;
                stack.report = ready.report;
                stack.db_port = ready.db_port;
                let json = serde_json::to_string_pretty(&stack.info).expect("info serializes");
                let path = stack.data_dir.join("stack.json");
                fs::write(&path, json + "\n")
                    .map_err(|e| Error::io(format!("writing {}", path.display()), e))?;
                Ok(stack)
            }
            Ok(Err(err)) => Err(err),
            Err(_) => Err(Error::Cluster(
                "the stack thread stopped during start-up".into(),
            )),
        }
    }

    /// Connection facts for clients.
    pub fn info(&self) -> &StackInfo {
        &self.info
    }

    /// What happened during start-up.
    pub fn report(&self) -> &StartReport {
        &self.report
    }

    /// Base URL of the HTTP origin.
    pub fn url(&self) -> &str {
        &self.info.url
    }

    /// The publishable API key.
    pub fn publishable_key(&self) -> &str {
        &self.info.publishable_key
    }

    /// The secret API key.
    pub fn secret_key(&self) -> &str {
        &self.info.secret_key
    }

    /// The legacy anon key.
    pub fn anon_key(&self) -> &str {
        &self.info.anon_key
    }

    /// The legacy service-role key.
    pub fn service_role_key(&self) -> &str {
        &self.info.service_role_key
    }

    /// The JWT secret.
    pub fn jwt_secret(&self) -> &str {
        &self.info.jwt_secret
    }

    /// Database URL as `postgres` (not a superuser).
    pub fn db_url(&self) -> &str {
        &self.info.db_url
    }

    /// Database URL as the bootstrap superuser.
    pub fn admin_db_url(&self) -> &str {
        &self.info.admin_db_url
    }

    /// The port of the managed cluster (`None` with an external database).
    pub fn db_port(&self) -> Option<u16> {
        self.db_port
    }

    /// The data folder.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// Stops the stack (also done on drop).
    pub fn stop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(true);
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        if let Some(lock) = self.lock_file.take() {
            let _ = fs::remove_file(lock);
        }
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        self.stop();
    }
}

struct Ready {
    info: StackInfo,
    report: StartReport,
    db_port: Option<u16>,
}

/// Body of the stack thread: everything from starting the cluster to
/// stopping it.
fn run_stack(
    options: StackOptions,
    data_dir: PathBuf,
    listener: std::net::TcpListener,
    ready: mpsc::Sender<Result<Ready>>,
    shutdown: watch::Receiver<bool>,
) {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("devstack-worker")
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            let _ = ready.send(Err(Error::io("starting the async runtime", e)));
            return;
        }
    };
    // The cluster is started from this thread and lives as long as it does.
    let mut cluster = None;
    let result = (|| -> Result<(Databases, Option<u16>, bool)> {
        match &options.db_url {
            Some(url) => Ok((Databases::external(url), None, false)),
            None => {
                let bin = PgBinaries::locate()?;
                let durability = if options.data_dir.is_some() {
                    Durability::Durable
                } else {
                    Durability::Throwaway
                };
                let mut c = Cluster::new(&data_dir, bin, durability)?;
                let initialized = c.ensure_initialized()?;
                let port = match options.db_port {
                    Some(p) => p,
                    None => free_port()?,
                };
                c.start(port)?;
                cluster = Some(c);
                Ok((Databases::managed(port), Some(port), initialized))
            }
        }
    })();
    let (databases, db_port, initialized) = match result {
        Ok(v) => v,
        Err(e) => {
            let _ = ready.send(Err(e));
            return;
        }
    };
    runtime.block_on(async move {
        let started = prepare(
            &options,
            &data_dir,
            &databases,
            initialized,
            listener,
            shutdown.clone(),
        )
        .await;
        let (state, report, listener) = match started {
            Ok(v) => v,
            Err(e) => {
                let _ = ready.send(Err(e));
                return;
            }
        };
        let info = StackInfo {
            url: state.url.clone(),
            publishable_key: state.keys.publishable.clone(),
            secret_key: state.keys.secret.clone(),
            anon_key: state.keys.anon.clone(),
            service_role_key: state.keys.service_role.clone(),
            jwt_secret: options.jwt_secret.clone(),
            jwks_url: format!("{}/auth/v1/.well-known/jwks.json", state.url),
            db_url: databases.owner.clone(),
            admin_db_url: databases.admin.clone(),
        };
        let worker = tokio::spawn(net_worker::run(state.clone(), shutdown.clone()));
        let jobs = tokio::spawn(scheduler::run(state.clone(), shutdown.clone()));
        let mut server_shutdown = shutdown.clone();
        let server = axum::serve(listener, app_router(state)).with_graceful_shutdown(async move {
            let _ = server_shutdown.wait_for(|stop| *stop).await;
        });
        let server = tokio::spawn(async move { server.await });
        let _ = ready.send(Ok(Ready {
            info,
            report,
            db_port,
        }));
        let mut wait = shutdown.clone();
        let _ = wait.wait_for(|stop| *stop).await;
        // Open websockets may hold the graceful shutdown; do not wait forever.
        let _ = tokio::time::timeout(Duration::from_secs(5), server).await;
        worker.abort();
        jobs.abort();
    });
    runtime.shutdown_timeout(Duration::from_secs(2));
    drop(cluster);
}

/// Who connects to the database for what. On a cluster devstack manages,
/// as on hosted Supabase: the platform bootstrap runs as the superuser
/// `supabase_admin`, and migrations, the seed and deployers' tools as
/// `postgres`, which is not a superuser. An external database (`--db-url`)
/// is used with its own user for both.
struct Databases {
    /// Superuser: bootstrap, Realtime's authorization probes, workers.
    admin: String,
    /// Owner of the project's schema: migrations, seed, `DATABASE_URL`.
    owner: String,
    managed: bool,
}

impl Databases {
    fn managed(port: u16) -> Databases {
        Databases {
            admin: format!("postgresql://{ADMIN_ROLE}@127.0.0.1:{port}/postgres"),
            owner: format!("postgresql://postgres@127.0.0.1:{port}/postgres"),
            managed: true,
        }
    }

    fn external(url: &str) -> Databases {
        Databases {
            admin: url.to_string(),
            owner: url.to_string(),
            managed: false,
        }
    }
}

/// The bootstrap superuser of a managed cluster, as on Supabase.
pub const ADMIN_ROLE: &str = "supabase_admin";

async fn connect(url: &str) -> Result<(tokio_postgres::Client, tokio::task::JoinHandle<()>)> {
    let (client, connection) = tokio_postgres::connect(url, NoTls)
        .await
        .map_err(|e| Error::db(format!("connecting to {url}"), e))?;
    let connection = tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok((client, connection))
}

/// Connects as the bootstrap superuser. A cluster made by an older
/// devstack has only `postgres` as its superuser: give it the admin role
/// first (the bootstrap then demotes `postgres`).
async fn connect_admin(
    databases: &Databases,
) -> Result<(tokio_postgres::Client, tokio::task::JoinHandle<()>)> {
    match tokio_postgres::connect(&databases.admin, NoTls).await {
        Ok((client, connection)) => Ok((
            client,
            tokio::spawn(async move {
                let _ = connection.await;
            }),
        )),
        Err(e)
            if databases.managed
                && e.as_db_error().is_some_and(|d| {
                    d.code()
                        == &tokio_postgres::error::SqlState::INVALID_AUTHORIZATION_SPECIFICATION
                }) =>
        {
            let (old, connection) = connect(&databases.owner).await?;
            old.batch_execute(&format!("create role {ADMIN_ROLE} superuser login"))
                .await
                .map_err(|e| Error::db("creating the admin role in an older cluster", e))?;
            drop(old);
            let _ = connection.await;
            connect(&databases.admin).await
        }
        Err(e) => Err(Error::db(format!("connecting to {}", databases.admin), e)),
    }
}

/// Brings the schema up to date and builds the shared state.
async fn prepare(
    options: &StackOptions,
    data_dir: &Path,
    databases: &Databases,
    initialized: bool,
    listener: std::net::TcpListener,
    shutdown: watch::Receiver<bool>,
) -> Result<(Arc<AppState>, StartReport, tokio::net::TcpListener)> {
    let admin_config: tokio_postgres::Config = databases
        .admin
        .parse()
        .map_err(|e| Error::Config(format!("invalid database URL {}: {e}", databases.admin)))?;
    let (admin, admin_connection) = connect_admin(databases).await?;

    let mut report = StartReport {
        initialized,
        ..StartReport::default()
    };
    report.bootstrap_files = migrate::apply_bootstrap(&admin, &options.bootstrap_dir).await?;
    migrate::store_jwt_secret(&admin, &options.jwt_secret).await?;
    // PostgREST logs in as `authenticator` and switches roles from there; do
    // the same when this is a cluster devstack manages and the role exists.
    let has_authenticator = admin
        .query_one(
            "select exists (select 1 from pg_roles where rolname = 'authenticator')",
            &[],
        )
        .await
        .map_err(|e| Error::db("looking for the authenticator role", e))?
        .get::<_, bool>(0);
    drop(admin);
    let _ = admin_connection.await;

    let (mut client, connection) = connect(&databases.owner).await?;
    let migrations = migrate::apply_migrations(&mut client, &options.sql_dir).await?;
    report.applied_migrations = migrations.applied.clone();
    let seed_path = options.sql_dir.join("seed.sql");
    if options.seed == SeedPolicy::IfFresh && migrations.fresh {
        report.seeded = migrate::apply_seed(&mut client, &seed_path).await?;
    }
    report.demo_logins = fs::read_to_string(&seed_path)
        .map(|s| migrate::demo_logins(&s))
        .unwrap_or_default();
    drop(client);
    let _ = connection.await;

    let mut api_config = admin_config.clone();
    if databases.managed && has_authenticator {
        api_config.user("authenticator");
    }
    let db = pool(api_config, 16)?;
    let admin_db = pool(admin_config, 8)?;

    let listener = tokio::net::TcpListener::from_std(listener)
        .map_err(|e| Error::io("registering the listener", e))?;
    let addr = listener
        .local_addr()
        .map_err(|e| Error::io("reading the listen address", e))?;
    // Throwaway stacks keep their keys in their temporary folder too, so
    // test tools can sign tokens the way the stack's Auth does.
    let stored = keystore::load_or_create(data_dir)?;
    let legacy = HmacSecret::new(options.jwt_secret.clone());
    let keys = ApiKeys::new(&legacy, stored.publishable, stored.secret);
    let mut jwt = KeySet::new(legacy, stored.signing);
    for provider in &options.third_party {
        let document = read_jwks(&provider.jwks).await?;
        jwt.trust_issuer(&provider.issuer, &document).map_err(|e| {
            Error::Config(format!(
                "the JWKS of {} ({}) cannot be used: {e}",
                provider.issuer, provider.jwks
            ))
        })?;
    }
    let state = Arc::new(AppState {
        url: format!("http://127.0.0.1:{}", addr.port()),
        jwt,
        keys,
        auth: options.auth.clone(),
        db,
        admin_db,
        db_url: databases.admin.clone(),
        dist_dir: options.dist_dir.clone(),
        shutdown,
    });
    Ok((state, report, listener))
}

/// A third-party JWKS document from a file or a loopback `http://` URL.
async fn read_jwks(source: &str) -> Result<serde_json::Value> {
    let text = if source.starts_with("http://") || source.starts_with("https://") {
        let url = reqwest::Url::parse(source)
            .map_err(|e| Error::Config(format!("invalid JWKS URL {source}: {e}")))?;
        let host = url.host_str().unwrap_or("");
        let loopback = host == "localhost"
            || host
                .trim_matches(['[', ']'])
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback());
        if !loopback || url.scheme() != "http" {
            return Err(Error::Config(format!(
                "a JWKS URL must be http:// on loopback (devstack has no TLS and no internet): {source}"
            )));
        }
        let response = reqwest::get(url)
            .await
            .map_err(|e| Error::Config(format!("fetching the JWKS at {source}: {e}")))?;
        if !response.status().is_success() {
            return Err(Error::Config(format!(
                "fetching the JWKS at {source}: HTTP {}",
                response.status()
            )));
        }
        response
            .text()
            .await
            .map_err(|e| Error::Config(format!("reading the JWKS at {source}: {e}")))?
    } else {
        fs::read_to_string(source).map_err(|e| Error::io(format!("reading {source}"), e))?
    };
    serde_json::from_str(&text)
        .map_err(|e| Error::Config(format!("the JWKS at {source} is not JSON: {e}")))
}

fn pool(config: tokio_postgres::Config, size: usize) -> Result<Pool> {
    let manager = Manager::from_config(
        config,
        NoTls,
        ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        },
    );
    Pool::builder(manager)
        .max_size(size)
        .wait_timeout(Some(Duration::from_secs(10)))
        .create_timeout(Some(Duration::from_secs(10)))
        .runtime(deadpool_postgres::Runtime::Tokio1)
        .build()
        .map_err(|e| Error::Config(format!("building a connection pool: {e}")))
}

/// Records this process as the user of a persistent data folder, refusing
/// if another live devstack already uses it.
fn claim_data_dir(data_dir: &Path) -> Result<PathBuf> {
    let lock = data_dir.join("devstack.pid");
    if let Ok(text) = fs::read_to_string(&lock) {
        if let Ok(pid) = text.trim().parse::<libc::pid_t>() {
            // SAFETY: signal 0 only checks that the process exists.
            let alive =
                pid != std::process::id() as libc::pid_t && unsafe { libc::kill(pid, 0) } == 0;
            if alive {
                return Err(Error::Config(format!(
                    "{} is in use by another devstack (pid {pid}); stop it first or use another --data-dir",
                    data_dir.display()
                )));
            }
        }
    }
    fs::write(&lock, format!("{}\n", std::process::id()))
        .map_err(|e| Error::io(format!("writing {}", lock.display()), e))?;
    Ok(lock)
}

fn absolute(path: &Path) -> Result<PathBuf> {
    if path.is_absolute() {
        Ok(path.to_path_buf())
    } else {
        std::env::current_dir()
            .map(|cwd| cwd.join(path))
            .map_err(|e| Error::io("reading the current folder", e))
    }
}

/// The repository root: the nearest folder above the current one holding
/// `devstack/Cargo.toml`, else the one this crate was built from.
pub fn repo_root() -> PathBuf {
    if let Ok(cwd) = std::env::current_dir() {
        for dir in cwd.ancestors() {
            if dir.join("devstack").join("Cargo.toml").is_file() {
                return dir.to_path_buf();
            }
        }
    }
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

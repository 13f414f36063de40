//! A PostgreSQL 15 cluster in a data folder: finding the binaries, `initdb`,
//! starting the server on a loopback port, stopping it, and recovering from
//! the leftovers of a crash.
//!
//! PostgreSQL refuses to run as root, so when devstack runs as root the server
//! processes run as the `postgres` system user and the folders they write
//! belong to it.

use std::ffi::CString;
use std::fs;
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::error::{Error, Result};

/// The major version devstack targets (Supabase's Postgres images are 15).
pub const PG_MAJOR: u32 = 15;

/// How long the server may take to accept connections after a start.
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a fast shutdown may take before devstack forces an immediate one.
const STOP_TIMEOUT: Duration = Duration::from_secs(30);

/// Where the PostgreSQL server binaries live.
#[derive(Debug, Clone)]
pub struct PgBinaries {
    bindir: PathBuf,
}

impl PgBinaries {
    /// Finds the binaries: `$DEVSTACK_PG_BIN`, then `pg_config --bindir` if it
    /// reports major version 15, then Debian's `/usr/lib/postgresql/15/bin`.
    pub fn locate() -> Result<Self> {
        let mut tried = Vec::new();
        if let Some(dir) = std::env::var_os("DEVSTACK_PG_BIN") {
            let dir = PathBuf::from(dir);
            if dir.join("postgres").is_file() {
                return Ok(PgBinaries { bindir: dir });
            }
            return Err(Error::PostgresNotFound(format!(
                "DEVSTACK_PG_BIN={} has no `postgres` binary",
                dir.display()
            )));
        }
        if let Some(dir) = pg_config_bindir() {
            if dir.join("postgres").is_file() {
                return Ok(PgBinaries { bindir: dir });
            }
            tried.push(dir.display().to_string());
        } else {
            tried.push("pg_config (absent or not version 15)".into());
        }
        let debian = PathBuf::from(format!("/usr/lib/postgresql/{PG_MAJOR}/bin"));
        if debian.join("postgres").is_file() {
            return Ok(PgBinaries { bindir: debian });
        }
        tried.push(debian.display().to_string());
        Err(Error::PostgresNotFound(format!(
            "looked in {}; install postgresql-{PG_MAJOR} or set DEVSTACK_PG_BIN",
            tried.join(", ")
        )))
    }

    /// Path of one binary, e.g. `initdb`.
    pub fn binary(&self, name: &str) -> PathBuf {
        self.bindir.join(name)
    }
}

fn pg_config_bindir() -> Option<PathBuf> {
    let version = Command::new("pg_config").arg("--version").output().ok()?;
    let version = String::from_utf8_lossy(&version.stdout);
    // "PostgreSQL 15.8 (Debian 15.8-0+deb12u1)"
    let major: u32 = version
        .split_whitespace()
        .nth(1)?
        .split('.')
        .next()?
        .parse()
        .ok()?;
    if major != PG_MAJOR {
        return None;
    }
    let out = Command::new("pg_config").arg("--bindir").output().ok()?;
    Some(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
}

/// The unprivileged account the server runs as when devstack is root.
#[derive(Debug, Clone)]
struct RunAs {
    uid: u32,
    gid: u32,
    home: PathBuf,
}

impl RunAs {
    /// Whether this account can enter every folder on the way to `dir`
    /// (the folder itself is opened to it separately).
    fn can_reach(&self, dir: &Path) -> bool {
        dir.ancestors().skip(1).all(|folder| {
            fs::metadata(folder).is_ok_and(|m| {
                use std::os::unix::fs::MetadataExt;
                let mode = m.mode();
                mode & 0o001 != 0
                    || (m.gid() == self.gid && mode & 0o010 != 0)
                    || (m.uid() == self.uid && mode & 0o100 != 0)
            })
        })
    }
}

/// Where the server's files go for a stack in `base`: `base` itself when
/// the server's account can reach it, else a folder in that account's home,
/// named after `base`, so that a checkout in a folder only root may enter
/// (root's home, `mktemp -d`) works without opening that folder to others.
fn cluster_home(base: &Path, owner: Option<&RunAs>) -> Result<PathBuf> {
    let Some(owner) = owner.filter(|o| !o.can_reach(base)) else {
        return Ok(base.to_path_buf());
    };
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(base.as_os_str().as_encoded_bytes());
    let name: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    let home = owner.home.join("devstack").join(name);
    let pointer = base.join(CLUSTER_POINTER);
    if !pointer.is_file() && home.exists() {
        // Left by an earlier stack in a folder of the same path that has
        // since been deleted: its data must not come back.
        fs::remove_dir_all(&home)
            .map_err(|e| Error::io(format!("removing stale {}", home.display()), e))?;
    }
    for dir in [owner.home.join("devstack"), home.clone()] {
        fs::create_dir_all(&dir)
            .map_err(|e| Error::io(format!("creating {}", dir.display()), e))?;
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o700))
            .map_err(|e| Error::io(format!("restricting {}", dir.display()), e))?;
        chown(&dir, Some(owner))?;
    }
    fs::write(&pointer, format!("{}\n", home.display()))
        .map_err(|e| Error::io(format!("writing {}", pointer.display()), e))?;
    Ok(home)
}

/// File in a data folder naming where its cluster lives when that is
/// elsewhere.
pub const CLUSTER_POINTER: &str = "cluster-location";

fn run_as() -> Result<Option<RunAs>> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return Ok(None);
    }
    let name = CString::new("postgres").expect("no NUL in a literal");
    // SAFETY: getpwnam returns a pointer to static storage or null; it is
    // read at once, before any other call could overwrite it.
    let entry = unsafe { libc::getpwnam(name.as_ptr()) };
    if entry.is_null() {
        return Err(Error::Cluster(
            "running as root, and PostgreSQL refuses root: a `postgres` system user is needed \
             (Debian's postgresql package creates it)"
                .into(),
        ));
    }
    // SAFETY: checked non-null above; pw_dir is a NUL-terminated string.
    let (uid, gid, home) = unsafe {
        let dir = std::ffi::CStr::from_ptr((*entry).pw_dir);
        (
            (*entry).pw_uid,
            (*entry).pw_gid,
            PathBuf::from(std::ffi::OsStr::from_encoded_bytes_unchecked(
                dir.to_bytes(),
            )),
        )
    };
    Ok(Some(RunAs { uid, gid, home }))
}

fn chown(path: &Path, owner: Option<&RunAs>) -> Result<()> {
    if let Some(owner) = owner {
        std::os::unix::fs::chown(path, Some(owner.uid), Some(owner.gid))
            .map_err(|e| Error::io(format!("giving {} to postgres", path.display()), e))?;
    }
    Ok(())
}

/// How durable the cluster must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// A data folder that must survive crashes (`devstack up`).
    Durable,
    /// A throwaway cluster: no fsync, for speed.
    Throwaway,
}

/// A cluster in `<home>/pgdata`, with its socket in `<home>/run` and its log
/// in `<home>/postgres.log`, where `home` is the stack's data folder or,
/// when the server's account cannot reach that, a folder of its own
/// ([`cluster_home`]).
#[derive(Debug)]
pub struct Cluster {
    bin: PgBinaries,
    owner: Option<RunAs>,
    data_dir: PathBuf,
    socket_dir: PathBuf,
    log_path: PathBuf,
    durability: Durability,
    port: Option<u16>,
    server: Option<Child>,
}

impl Cluster {
    /// Describes the cluster under `base` (created if missing); nothing runs yet.
    pub fn new(base: &Path, bin: PgBinaries, durability: Durability) -> Result<Self> {
        let owner = run_as()?;
        fs::create_dir_all(base)
            .map_err(|e| Error::io(format!("creating {}", base.display()), e))?;
        let base = &cluster_home(base, owner.as_ref())?;
        let socket_dir = base.join("run");
        fs::create_dir_all(&socket_dir)
            .map_err(|e| Error::io(format!("creating {}", socket_dir.display()), e))?;
        chown(&socket_dir, owner.as_ref())?;
        if owner.is_some() {
            // The server user must be able to reach its folders.
            let mut perms = fs::metadata(base)
                .map_err(|e| Error::io(format!("reading {}", base.display()), e))?
                .permissions();
            if perms.mode() & 0o011 != 0o011 {
                perms.set_mode(perms.mode() | 0o711);
                fs::set_permissions(base, perms)
                    .map_err(|e| Error::io(format!("opening {} to postgres", base.display()), e))?;
            }
        }
        Ok(Cluster {
            bin,
            owner,
            data_dir: base.join("pgdata"),
            socket_dir,
            log_path: base.join("postgres.log"),
            durability,
            port: None,
            server: None,
        })
    }

    /// The data folder (`PGDATA`).
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The port the server listens on, once started.
    pub fn port(&self) -> Option<u16> {
        self.port
    }

    /// Runs `initdb` unless the data folder already holds a cluster.
    /// Returns whether a new cluster was created.
    pub fn ensure_initialized(&self) -> Result<bool> {
        if self.data_dir.join("PG_VERSION").is_file() {
            let version = fs::read_to_string(self.data_dir.join("PG_VERSION")).unwrap_or_default();
            if version.trim() != PG_MAJOR.to_string() {
                return Err(Error::Cluster(format!(
                    "{} holds a PostgreSQL {} cluster; devstack needs {PG_MAJOR} (remove the folder to start afresh)",
                    self.data_dir.display(),
                    version.trim()
                )));
            }
            return Ok(false);
        }
        if self.data_dir.exists() {
            // A half-made folder from an interrupted initdb: start over.
            fs::remove_dir_all(&self.data_dir).map_err(|e| {
                Error::io(
                    format!("removing incomplete {}", self.data_dir.display()),
                    e,
                )
            })?;
        }
        fs::create_dir_all(&self.data_dir)
            .map_err(|e| Error::io(format!("creating {}", self.data_dir.display()), e))?;
        fs::set_permissions(&self.data_dir, fs::Permissions::from_mode(0o700))
            .map_err(|e| Error::io("restricting the data folder", e))?;
        chown(&self.data_dir, self.owner.as_ref())?;
        let mut cmd = self.command("initdb");
        cmd.arg("-D")
            .arg(&self.data_dir)
            .args([
                "-A",
                "trust",
                "-U",
                crate::stack::ADMIN_ROLE,
                "-E",
                "UTF8",
                "--no-locale",
            ])
            // Syncing a fresh cluster costs seconds; the OS flushes it soon
            // enough for a development database.
            .arg("--no-sync");
        let out = cmd.output().map_err(|e| Error::io("running initdb", e))?;
        if !out.status.success() {
            return Err(Error::Cluster(format!(
                "initdb failed ({}):\n{}{}",
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )));
        }
        Ok(true)
    }

    /// Starts the server on `port` (loopback only) and waits until it accepts
    /// connections. Leftovers of a crashed run are cleaned up first.
    pub fn start(&mut self, port: u16) -> Result<()> {
        self.recover_stale_pid()?;
        let log = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log_path)
            .map_err(|e| Error::io(format!("opening {}", self.log_path.display()), e))?;
        let log_start = log.metadata().map(|m| m.len()).unwrap_or(0);
        let log_err = log
            .try_clone()
            .map_err(|e| Error::io("duplicating the log handle", e))?;
        let mut cmd = self.command("postgres");
        cmd.arg("-D")
            .arg(&self.data_dir)
            .arg("-p")
            .arg(port.to_string())
            .arg("-k")
            .arg(&self.socket_dir)
            .args(["-c", "listen_addresses=127.0.0.1"])
            .args(["-c", "max_connections=200"]);
        if self.durability == Durability::Throwaway {
            cmd.args(["-c", "fsync=off", "-c", "synchronous_commit=off"])
                .args(["-c", "full_page_writes=off"]);
        }
        cmd.stdin(Stdio::null())
            .stdout(Stdio::from(log))
            .stderr(Stdio::from(log_err))
            // Its own process group: a Ctrl-C in the terminal reaches devstack,
            // which then shuts the server down in order.
            .process_group(0);
        // SAFETY: prctl is async-signal-safe; it runs in the forked child.
        unsafe {
            cmd.pre_exec(|| {
                // If devstack dies without stopping the server, the server
                // gets a fast-shutdown request instead of lingering.
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGINT) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = cmd.spawn().map_err(|e| Error::io("starting postgres", e))?;
        self.server = Some(child);
        self.port = Some(port);
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if self.is_ready() {
                return Ok(());
            }
            if let Some(child) = self.server.as_mut() {
                if let Ok(Some(status)) = child.try_wait() {
                    self.server = None;
                    return Err(Error::Cluster(format!(
                        "postgres exited during start-up ({status}); its log says:\n{}",
                        read_from(&self.log_path, log_start)
                    )));
                }
            }
            if Instant::now() > deadline {
                self.stop();
                return Err(Error::Cluster(format!(
                    "postgres did not accept connections within {}s; its log says:\n{}",
                    START_TIMEOUT.as_secs(),
                    read_from(&self.log_path, log_start)
                )));
            }
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    /// Whether the server reports `ready` in its pid file (PostgreSQL 10+
    /// writes its status on the eighth line once it accepts connections).
    fn is_ready(&self) -> bool {
        let Ok(pid_file) = fs::read_to_string(self.data_dir.join("postmaster.pid")) else {
            return false;
        };
        let mine = self
            .server
            .as_ref()
            .map(|c| c.id().to_string())
            .unwrap_or_default();
        let mut lines = pid_file.lines();
        lines.next() == Some(mine.as_str())
            && pid_file
                .lines()
                .nth(7)
                .is_some_and(|status| status.trim() == "ready")
    }

    /// Stops the server with a fast shutdown (open transactions are rolled
    /// back, data is flushed), escalating to an immediate one if it hangs.
    pub fn stop(&mut self) {
        let Some(mut child) = self.server.take() else {
            return;
        };
        let pid = child.id() as libc::pid_t;
        // SAFETY: signalling our own child process.
        unsafe { libc::kill(pid, libc::SIGINT) };
        let deadline = Instant::now() + STOP_TIMEOUT;
        loop {
            match child.try_wait() {
                Ok(Some(_)) | Err(_) => return,
                Ok(None) if Instant::now() > deadline => {
                    // SAFETY: as above.
                    unsafe { libc::kill(pid, libc::SIGQUIT) };
                    let _ = child.wait();
                    return;
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            }
        }
    }

    /// Deals with a `postmaster.pid` left by a run that did not stop cleanly:
    /// a server still running on this folder (orphaned by a killed devstack)
    /// is shut down; a pid file whose process is gone is removed.
    fn recover_stale_pid(&self) -> Result<()> {
        let pid_path = self.data_dir.join("postmaster.pid");
        let Ok(content) = fs::read_to_string(&pid_path) else {
            return Ok(());
        };
        let pid: Option<libc::pid_t> = content.lines().next().and_then(|l| l.trim().parse().ok());
        match pid {
            Some(pid) if is_postgres_process(pid) => {
                eprintln!(
                    "devstack: a PostgreSQL server (pid {pid}) is still running on {}; shutting it down",
                    self.data_dir.display()
                );
                // SAFETY: sending a signal to a process we identified as the
                // server of our own data folder.
                unsafe { libc::kill(pid, libc::SIGINT) };
                let deadline = Instant::now() + STOP_TIMEOUT;
                while pid_path.exists() && Instant::now() < deadline {
                    std::thread::sleep(Duration::from_millis(50));
                }
                if pid_path.exists() {
                    return Err(Error::Cluster(format!(
                        "the PostgreSQL server with pid {pid} on {} did not stop; stop it and retry",
                        self.data_dir.display()
                    )));
                }
            }
            _ => {
                eprintln!(
                    "devstack: removing a stale postmaster.pid left in {}",
                    self.data_dir.display()
                );
                fs::remove_file(&pid_path)
                    .map_err(|e| Error::io("removing the stale postmaster.pid", e))?;
            }
        }
        Ok(())
    }

    fn command(&self, binary: &str) -> Command {
        let mut cmd = Command::new(self.bin.binary(binary));
        if let Some(owner) = &self.owner {
            // std drops root's supplementary groups before switching uid.
            cmd.uid(owner.uid).gid(owner.gid);
        }
        // The server must not inherit a working folder it cannot read.
        cmd.current_dir(self.data_dir.parent().unwrap_or(Path::new("/")));
        cmd
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Whether `pid` is a live PostgreSQL server process.
fn is_postgres_process(pid: libc::pid_t) -> bool {
    // SAFETY: signal 0 only checks for existence.
    if unsafe { libc::kill(pid, 0) } != 0 {
        return false;
    }
    fs::read(format!("/proc/{pid}/cmdline"))
        .map(|cmd| {
            let first = cmd.split(|b| *b == 0).next().unwrap_or_default();
            String::from_utf8_lossy(first).contains("postgres")
        })
        .unwrap_or(false)
}

fn read_from(path: &Path, offset: u64) -> String {
    let mut text = String::new();
    if let Ok(mut file) = fs::File::open(path) {
        let _ = file.seek(SeekFrom::Start(offset));
        let _ = file.read_to_string(&mut text);
    }
    text
}

/// A free TCP port on the loopback interface.
pub fn free_port() -> Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")
        .map_err(|e| Error::io("finding a free port", e))?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| Error::io("finding a free port", e))
}

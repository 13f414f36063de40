//! `devstack`: a local Supabase-compatible stack for workflow-chat.

use std::process::ExitCode;
use std::time::Duration;

use devstack::cli::{self, Command, StackArgs};
use devstack::gateway::DEFAULT_JWT_SECRET;
use devstack::postgres::free_port;
use devstack::stack::{repo_root, SeedPolicy};
use devstack::{bench, Stack, StackOptions};
use tokio::signal::unix::{signal, Signal, SignalKind};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let command = match cli::parse(&args) {
        Ok(c) => c,
        Err(msg) => {
            eprintln!("devstack: {msg}\n\n{}", cli::USAGE);
            return ExitCode::from(2);
        }
    };
    let code = match command {
        Command::Help => {
            print!("{}", cli::USAGE);
            0
        }
        Command::Version => {
            println!("devstack {}", env!("CARGO_PKG_VERSION"));
            0
        }
        Command::Up(stack) => up(stack),
        Command::Exec {
            stack,
            seed,
            command,
        } => exec(stack, seed, command),
        Command::BenchRpc {
            stack,
            requests,
            concurrency,
        } => match bench::run(options(&stack, SeedPolicy::Never), requests, concurrency) {
            Ok(()) => 0,
            Err(e) => {
                eprintln!("devstack: {e}");
                1
            }
        },
    };
    ExitCode::from(code.clamp(0, 255) as u8)
}

/// Stack options from the command line, over the throwaway defaults.
fn options(args: &StackArgs, seed: SeedPolicy) -> StackOptions {
    let mut opts = StackOptions::throwaway();
    opts.data_dir = args.data_dir.clone();
    opts.port = args.port;
    opts.db_port = args.db_port;
    opts.db_url = args.db_url.clone();
    if let Some(dir) = &args.sql_dir {
        opts.sql_dir = dir.clone();
    }
    if let Some(dir) = &args.bootstrap_dir {
        opts.bootstrap_dir = dir.clone();
    }
    if let Some(dir) = &args.dist {
        opts.dist_dir = dir.clone();
    }
    opts.jwt_secret = args
        .jwt_secret
        .clone()
        .or_else(|| std::env::var("DEVSTACK_JWT_SECRET").ok())
        .unwrap_or_else(|| DEFAULT_JWT_SECRET.to_string());
    opts.seed = seed;
    opts.third_party = args.third_party.clone();
    args.auth.apply(&mut opts.auth);
    opts
}

/// Signals that end a session, registered before anything starts so that a
/// Ctrl-C during start-up is not lost.
struct Stops {
    interrupt: Signal,
    terminate: Signal,
    hangup: Signal,
}

impl Stops {
    fn register() -> std::io::Result<Self> {
        Ok(Stops {
            interrupt: signal(SignalKind::interrupt())?,
            terminate: signal(SignalKind::terminate())?,
            hangup: signal(SignalKind::hangup())?,
        })
    }

    /// Waits for one and returns its number.
    async fn next(&mut self) -> i32 {
        tokio::select! {
            _ = self.interrupt.recv() => libc::SIGINT,
            _ = self.terminate.recv() => libc::SIGTERM,
            _ = self.hangup.recv() => libc::SIGHUP,
        }
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a current-thread runtime builds")
}

fn up(args: StackArgs) -> i32 {
    let rt = runtime();
    let _guard = rt.enter();
    let mut stops = match Stops::register() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("devstack: cannot install signal handlers: {e}");
            return 1;
        }
    };
    let mut opts = options(&args, SeedPolicy::IfFresh);
    let data_dir = args
        .data_dir
        .clone()
        .unwrap_or_else(|| repo_root().join(".devstack"));
    opts.data_dir = Some(data_dir.clone());
    let port = args.port.unwrap_or(cli::DEFAULT_PORT);
    opts.port = Some(port);
    if opts.db_url.is_none() && opts.db_port.is_none() {
        // The Supabase CLI puts the database next to the API port; take the
        // same when it is free.
        opts.db_port = Some(match port.checked_add(1) {
            Some(p) if std::net::TcpListener::bind(("127.0.0.1", p)).is_ok() => p,
            _ => free_port().unwrap_or(0),
        });
    }
    eprintln!("devstack: starting in {}", data_dir.display());
    let stack = match Stack::start(opts.clone()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("devstack: {e}");
            return 1;
        }
    };
    print_banner(&stack, &opts.sql_dir);
    let sig = rt.block_on(stops.next());
    eprintln!("\ndevstack: stopping");
    drop(stack);
    if sig == libc::SIGINT {
        0
    } else {
        128 + sig
    }
}

fn print_banner(stack: &Stack, sql_dir: &std::path::Path) {
    let info = stack.info();
    let report = stack.report();
    println!("devstack is up.\n");
    let line = |label: &str, value: &dyn std::fmt::Display| println!("  {label:<24}{value}");
    line("URL", &info.url);
    line("publishable key", &info.publishable_key);
    line("secret key", &info.secret_key);
    line("JWKS", &info.jwks_url);
    line("legacy anon key", &info.anon_key);
    line("legacy service_role key", &info.service_role_key);
    line("legacy JWT secret", &info.jwt_secret);
    line("DB URL", &info.db_url);
    line(
        "data folder",
        &format!(
            "{} (connection facts in stack.json)",
            stack.data_dir().display()
        ),
    );
    if !report.applied_migrations.is_empty() {
        line(
            "migrations",
            &format!("applied {}", report.applied_migrations.join(", ")),
        );
    }
    if report.seeded {
        line(
            "seed",
            &format!("applied {}", sql_dir.join("seed.sql").display()),
        );
    }
    if !report.demo_logins.is_empty() {
        println!("\nDemo logins:");
        for login in &report.demo_logins {
            println!(
                "  {:<28} {:<16} {}",
                login.email, login.password, login.description
            );
        }
    }
    println!("\nPress Ctrl-C to stop.");
}

fn exec(args: StackArgs, seed: bool, command: Vec<String>) -> i32 {
    let rt = runtime();
    let _guard = rt.enter();
    let mut stops = match Stops::register() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("devstack: cannot install signal handlers: {e}");
            return 1;
        }
    };
    let opts = options(
        &args,
        if seed {
            SeedPolicy::IfFresh
        } else {
            SeedPolicy::Never
        },
    );
    let stack = match Stack::start(opts) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("devstack: {e}");
            return 1;
        }
    };
    let code = rt.block_on(run_command(&stack, &command, &mut stops));
    drop(stack);
    code
}

/// Runs the user's command against the stack; returns the exit code to use.
async fn run_command(stack: &Stack, command: &[String], stops: &mut Stops) -> i32 {
    let info = stack.info();
    let mut cmd = tokio::process::Command::new(&command[0]);
    cmd.args(&command[1..])
        .env("SUPABASE_URL", &info.url)
        .env("SUPABASE_PUBLISHABLE_KEY", &info.publishable_key)
        .env("SUPABASE_SECRET_KEY", &info.secret_key)
        .env("SUPABASE_JWKS_URL", &info.jwks_url)
        .env("SUPABASE_ANON_KEY", &info.anon_key)
        .env("SUPABASE_SERVICE_ROLE_KEY", &info.service_role_key)
        .env("SUPABASE_JWT_SECRET", &info.jwt_secret)
        .env("DATABASE_URL", &info.db_url)
        .env("DEVSTACK_DATA_DIR", stack.data_dir());
    if let Ok(config) = info.db_url.parse::<tokio_postgres::Config>() {
        if let Some(tokio_postgres::config::Host::Tcp(host)) = config.get_hosts().first() {
            cmd.env("PGHOST", host);
        }
        if let Some(port) = config.get_ports().first() {
            cmd.env("PGPORT", port.to_string());
        }
        cmd.env("PGUSER", config.get_user().unwrap_or("postgres"));
        cmd.env("PGDATABASE", config.get_dbname().unwrap_or("postgres"));
    }
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("devstack: cannot run `{}`: {e}", command[0]);
            return 127;
        }
    };
    tokio::select! {
        status = child.wait() => match status {
            Ok(status) => exit_code(status),
            Err(e) => {
                eprintln!("devstack: waiting for `{}`: {e}", command[0]);
                1
            }
        },
        sig = stops.next() => {
            // Pass the signal on, give the command time to finish, then end it.
            if let Some(pid) = child.id() {
                // SAFETY: signalling our own child.
                unsafe { libc::kill(pid as libc::pid_t, sig) };
            }
            if tokio::time::timeout(Duration::from_secs(10), child.wait()).await.is_err() {
                let _ = child.kill().await;
            }
            eprintln!("devstack: interrupted; stopping the stack");
            128 + sig
        }
    }
}

fn exit_code(status: std::process::ExitStatus) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => code,
        (None, Some(sig)) => 128 + sig,
        _ => 1,
    }
}

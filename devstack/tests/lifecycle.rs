//! Stack lifecycle: migrations and seed across restarts, refusal of changed
//! migrations, and the `up` / `exec` commands as a user runs them.

use std::fs;
use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use devstack::migrate::MigrationError;
use devstack::{Error, Stack, StackOptions};
use tokio_postgres::NoTls;

fn write(path: &Path, text: &str) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

fn options(data: &Path, sql: &Path) -> StackOptions {
    let mut o = StackOptions::persistent(data);
    o.sql_dir = sql.to_path_buf();
    o
}

async fn query_i64(db_url: &str, sql: &str) -> i64 {
    let (client, connection) = tokio_postgres::connect(db_url, NoTls).await.unwrap();
    tokio::spawn(connection);
    client.query_one(sql, &[]).await.unwrap().get(0)
}

async fn execute(db_url: &str, sql: &str) {
    let (client, connection) = tokio_postgres::connect(db_url, NoTls).await.unwrap();
    tokio::spawn(connection);
    client.batch_execute(sql).await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn restart_keeps_data_applies_new_migrations_and_refuses_changed_ones() {
    let data = tempfile::tempdir().unwrap();
    let sql = tempfile::tempdir().unwrap();
    let first = "create table public.items (id int primary key, note text);\n";
    write(&sql.path().join("migrations/0001_items.sql"), first);
    write(
        &sql.path().join("seed.sql"),
        "-- demo-login: ada@example.com pass1 Ada, the owner\ninsert into public.items values (1, 'seeded');\n",
    );

    let stack = Stack::start(options(data.path(), sql.path())).unwrap();
    assert!(stack.report().initialized);
    assert_eq!(stack.report().applied_migrations, vec!["0001"]);
    assert!(stack.report().seeded);
    assert_eq!(stack.report().demo_logins[0].email, "ada@example.com");
    let db = stack.db_url().to_string();
    assert_eq!(
        query_i64(
            &db,
            "select count(*) from supabase_migrations.schema_migrations where version = '0001' and name = 'items'"
        )
        .await,
        1
    );
    execute(&db, "insert into public.items values (2, 'added by hand')").await;
    drop(stack);

    // Restart with one more migration: data kept, only the new file applied,
    // no second seed.
    write(
        &sql.path().join("migrations/0002_more.sql"),
        "alter table public.items add column extra int;\n",
    );
    let stack = Stack::start(options(data.path(), sql.path())).unwrap();
    assert!(!stack.report().initialized);
    assert_eq!(stack.report().applied_migrations, vec!["0002"]);
    assert!(!stack.report().seeded);
    assert_eq!(
        query_i64(stack.db_url(), "select count(*) from public.items").await,
        2
    );
    drop(stack);

    // An applied migration that changed is refused with a clear error.
    write(
        &sql.path().join("migrations/0001_items.sql"),
        &format!("{first}-- edited after being applied\n"),
    );
    let err = Stack::start(options(data.path(), sql.path())).unwrap_err();
    match &err {
        Error::Migration(MigrationError::Changed { version, .. }) => assert_eq!(version, "0001"),
        other => panic!("expected a changed-migration error, got {other}"),
    }
    assert!(err.to_string().contains("was changed after it was applied"));
}

#[tokio::test(flavor = "multi_thread")]
async fn failing_migration_names_file_line_and_sqlstate_and_is_rolled_back() {
    let data = tempfile::tempdir().unwrap();
    let sql = tempfile::tempdir().unwrap();
    let bad = sql.path().join("migrations/0001_bad.sql");
    write(
        &bad,
        "create table public.half (id int);\n\nselect * from public.missing_table;\n",
    );
    let err = Stack::start(options(data.path(), sql.path())).unwrap_err();
    match &err {
        Error::Migration(MigrationError::Failed { line, code, .. }) => {
            assert_eq!(*line, Some(3));
            assert_eq!(code, "42P01");
        }
        other => panic!("expected a failed migration, got {other}"),
    }
    assert!(err.to_string().contains("0001_bad.sql:3"), "{err}");

    // Fixed, it applies; the half-done first attempt left nothing behind.
    write(&bad, "create table public.half (id int);\n");
    let stack = Stack::start(options(data.path(), sql.path())).unwrap();
    assert_eq!(stack.report().applied_migrations, vec!["0001"]);
    assert_eq!(
        query_i64(stack.db_url(), "select count(*) from public.half").await,
        0
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn migrations_run_as_postgres_without_superuser_powers() {
    let data = tempfile::tempdir().unwrap();
    let sql = tempfile::tempdir().unwrap();
    // What Supabase lets postgres do: policies on storage.objects and
    // realtime.messages, triggers on auth.users.
    write(
        &sql.path().join("migrations/0001_allowed.sql"),
        "create table public.who (name text, superuser bool);
         insert into public.who select current_user, rolsuper from pg_roles where rolname = current_user;
         create policy t_read on storage.objects for select to authenticated using (false);
         create policy t_topic on realtime.messages for select to authenticated using (false);
         create function public.t_on_user() returns trigger language plpgsql as $$ begin return new; end $$;
         create trigger t_on_user after insert on auth.users for each row execute function public.t_on_user();
",
    );
    let stack = Stack::start(options(data.path(), sql.path())).unwrap();
    assert_eq!(
        query_i64(
            stack.db_url(),
            "select count(*) from public.who where name = 'postgres' and not superuser"
        )
        .await,
        1
    );
    drop(stack);

    // What it does not: changing a platform table.
    write(
        &sql.path().join("migrations/0002_forbidden.sql"),
        "alter table storage.objects add column t_extra int;
",
    );
    let err = Stack::start(options(data.path(), sql.path())).unwrap_err();
    match &err {
        Error::Migration(MigrationError::Failed { code, .. }) => assert_eq!(code, "42501"),
        other => panic!("expected a refused migration, got {other}"),
    }
}

#[test]
fn a_data_folder_the_server_cannot_reach_keeps_its_cluster_elsewhere() {
    // A checkout in a folder only its owner may enter (a home folder,
    // `mktemp -d`).
    let root = tempfile::tempdir().unwrap();
    fs::set_permissions(root.path(), fs::Permissions::from_mode(0o700)).unwrap();
    let data = root.path().join("checkout/.devstack");
    let sql = tempfile::tempdir().unwrap();
    let stack = Stack::start(options(&data, sql.path())).unwrap();
    let pointer = data.join(devstack::postgres::CLUSTER_POINTER);
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        // PostgreSQL runs as `postgres`, which cannot enter the folder.
        let home = PathBuf::from(fs::read_to_string(&pointer).unwrap().trim());
        assert!(home.join("pgdata/PG_VERSION").is_file());
        assert!(!home.starts_with(root.path()));
        let mode = fs::metadata(root.path()).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700, "the user's folder was not opened");
        drop(stack);
        fs::remove_dir_all(home).unwrap();
    } else {
        assert!(!pointer.exists());
        assert!(data.join("pgdata/PG_VERSION").is_file());
    }
}

fn devstack() -> Command {
    Command::new(env!("CARGO_BIN_EXE_devstack"))
}

#[test]
fn exec_exports_the_stack_and_exits_with_the_command_status() {
    let sql = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let report = out.path().join("report");
    let script = format!(
        "env | grep -E '^(SUPABASE_|DATABASE_URL|PG)' > {r}; \
         psql -Atc 'select 40 + 2' >> {r}; \
         echo \"data=$DEVSTACK_DATA_DIR\" >> {r}; exit 7",
        r = report.display()
    );
    let status = devstack()
        .args(["exec", "--sql-dir"])
        .arg(sql.path())
        .args(["--", "sh", "-c", &script])
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(7));
    let text = fs::read_to_string(&report).unwrap();
    for var in [
        "SUPABASE_URL=http://127.0.0.1:",
        "SUPABASE_ANON_KEY=ey",
        "SUPABASE_SERVICE_ROLE_KEY=ey",
        "SUPABASE_JWT_SECRET=",
        "DATABASE_URL=postgresql://postgres@127.0.0.1:",
        "PGHOST=127.0.0.1",
        "PGUSER=postgres",
        "PGDATABASE=postgres",
        "PGPORT=",
    ] {
        assert!(text.contains(var), "{var} missing from:\n{text}");
    }
    assert!(
        text.contains("\n42\n"),
        "psql did not reach the stack:\n{text}"
    );
    let data_dir = text.lines().find_map(|l| l.strip_prefix("data=")).unwrap();
    assert!(!Path::new(data_dir).exists(), "{data_dir} was not removed");
}

#[test]
fn exec_tears_the_stack_down_on_sigterm() {
    let sql = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let marker = out.path().join("started");
    let script = format!(
        "echo \"$DEVSTACK_DATA_DIR\" > {m}; sleep 60",
        m = marker.display()
    );
    let mut child = devstack()
        .args(["exec", "--sql-dir"])
        .arg(sql.path())
        .args(["--", "sh", "-c", &script])
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while fs::read_to_string(&marker).map_or(true, |s| s.trim().is_empty()) {
        assert!(Instant::now() < deadline, "the command never started");
        std::thread::sleep(Duration::from_millis(50));
    }
    let data_dir = fs::read_to_string(&marker).unwrap().trim().to_string();
    // SAFETY: signalling the child we spawned.
    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) };
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(128 + libc::SIGTERM));
    assert!(!Path::new(&data_dir).exists(), "{data_dir} was not removed");
}

#[test]
fn up_prints_keys_and_demo_logins_writes_stack_json_and_stops_on_ctrl_c() {
    let data = tempfile::tempdir().unwrap();
    let sql = tempfile::tempdir().unwrap();
    write(
        &sql.path().join("seed.sql"),
        "-- demo-login: bob@example.com hunter2 Bob, a member\nselect 1;\n",
    );
    let port = devstack::postgres::free_port().unwrap();
    let mut child = devstack()
        .args(["up", "--port", &port.to_string(), "--data-dir"])
        .arg(data.path())
        .arg("--sql-dir")
        .arg(sql.path())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = Vec::new();
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap() == 0 {
            panic!("`up` ended early:\n{}", lines.join(""));
        }
        lines.push(line.clone());
        if line.contains("Press Ctrl-C") {
            break;
        }
    }
    let banner = lines.join("");
    assert!(
        banner.contains(&format!("http://127.0.0.1:{port}")),
        "{banner}"
    );
    for label in [
        "publishable key",
        "secret key",
        "JWKS",
        "legacy anon key",
        "legacy service_role key",
    ] {
        assert!(banner.contains(label), "{label}: {banner}");
    }
    assert!(banner.contains("DB URL"), "{banner}");
    assert!(
        banner.contains("bob@example.com") && banner.contains("hunter2"),
        "{banner}"
    );

    let info: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(data.path().join("stack.json")).unwrap()).unwrap();
    for key in [
        "url",
        "publishable_key",
        "secret_key",
        "anon_key",
        "service_role_key",
        "jwt_secret",
        "jwks_url",
        "db_url",
        "admin_db_url",
    ] {
        assert!(info[key].as_str().is_some_and(|v| !v.is_empty()), "{key}");
    }
    assert!(banner.contains(info["anon_key"].as_str().unwrap()));
    assert!(banner.contains(info["publishable_key"].as_str().unwrap()));

    // SAFETY: signalling the child we spawned.
    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) };
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0));
    assert!(!data.path().join("pgdata/postmaster.pid").exists());
}

//! The command line: `devstack up` and `devstack exec`.

use std::path::PathBuf;

use crate::auth::config::AuthConfig;
use crate::stack::ThirdPartyIssuer;

/// Default HTTP port of `devstack up` (the Supabase CLI's API port).
pub const DEFAULT_PORT: u16 = 54321;

/// Usage text.
pub const USAGE: &str = "\
devstack: a local Supabase-compatible stack for workflow-chat

USAGE:
  devstack up   [--data-dir D] [--port P] [--db-port P] [OPTIONS]
      Start the stack in D (default .devstack/ at the repository root) and
      serve until Ctrl-C. Data is kept between runs.
  devstack exec [--data-dir D] [--seed] [OPTIONS] -- COMMAND [ARGS...]
      Start a throwaway stack (temporary folder, free ports), run COMMAND
      with SUPABASE_URL, SUPABASE_PUBLISHABLE_KEY, SUPABASE_SECRET_KEY,
      SUPABASE_ANON_KEY, SUPABASE_SERVICE_ROLE_KEY (the legacy keys),
      SUPABASE_JWT_SECRET, SUPABASE_JWKS_URL, DATABASE_URL, PGHOST, PGPORT,
      PGUSER, PGDATABASE set, stop the stack and exit with COMMAND's status.
  devstack bench-rpc [--requests N] [--concurrency C]
      Start a throwaway stack and print latency and throughput of an RPC
      call next to the same call made directly in SQL.

OPTIONS:
  --sql-dir DIR      migrations/ and seed.sql (default <repo>/sql)
  --bootstrap-dir D  platform bootstrap (default <repo>/devstack/bootstrap)
  --dist DIR         built app served at / (default <repo>/dist)
  --db-url URL       use this database instead of a managed cluster
  --jwt-secret S     legacy JWT secret (default: Supabase's local development
                     secret, or $DEVSTACK_JWT_SECRET)
  --third-party ISSUER=JWKS
                     also accept tokens of this identity provider, whose JWKS
                     is a file or an http:// URL on loopback (repeatable)

AUTH OPTIONS (defaults as on a Supabase project; on|off):
  --auth-autoconfirm     confirm new users at once (on, as the Supabase CLI)
  --auth-signup          allow sign-ups (on)
  --auth-anonymous       allow anonymous sign-ins (on)
  --auth-rate-limits     per-address limits on sign-ups and token grants (on)
  --auth-jwt-expiry S    access-token lifetime in seconds (3600)
  --seed             (exec) run sql/seed.sql; `up` seeds a fresh database
";

/// Options shared by every command that starts a stack.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StackArgs {
    /// `--data-dir`.
    pub data_dir: Option<PathBuf>,
    /// `--port`.
    pub port: Option<u16>,
    /// `--db-port`.
    pub db_port: Option<u16>,
    /// `--sql-dir`.
    pub sql_dir: Option<PathBuf>,
    /// `--bootstrap-dir`.
    pub bootstrap_dir: Option<PathBuf>,
    /// `--dist`.
    pub dist: Option<PathBuf>,
    /// `--db-url`.
    pub db_url: Option<String>,
    /// `--jwt-secret`.
    pub jwt_secret: Option<String>,
    /// `--third-party ISSUER=JWKS` (repeatable).
    pub third_party: Vec<ThirdPartyIssuer>,
    /// `--auth-*` settings, applied over Supabase's defaults.
    pub auth: AuthArgs,
}

/// Auth settings from the command line; `None` keeps the default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuthArgs {
    /// `--auth-autoconfirm on|off`.
    pub autoconfirm: Option<bool>,
    /// `--auth-signup on|off`.
    pub signup: Option<bool>,
    /// `--auth-anonymous on|off`.
    pub anonymous: Option<bool>,
    /// `--auth-rate-limits on|off`.
    pub rate_limits: Option<bool>,
    /// `--auth-jwt-expiry SECONDS`.
    pub jwt_expiry: Option<u64>,
}

impl AuthArgs {
    /// Applies the settings given over `config`.
    pub fn apply(&self, config: &mut AuthConfig) {
        if let Some(v) = self.autoconfirm {
            config.autoconfirm = v;
        }
        if let Some(v) = self.signup {
            config.signup_enabled = v;
        }
        if let Some(v) = self.anonymous {
            config.anonymous_enabled = v;
        }
        if let Some(v) = self.rate_limits {
            config.rate_limits.enabled = v;
        }
        if let Some(v) = self.jwt_expiry {
            config.jwt_expiry = std::time::Duration::from_secs(v);
        }
    }
}

fn on_off(value: &str, flag: &str) -> Result<bool, String> {
    match value {
        "on" | "true" | "yes" => Ok(true),
        "off" | "false" | "no" => Ok(false),
        other => Err(format!("{flag} expects on or off, got `{other}`")),
    }
}

/// A parsed command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `devstack up`.
    Up(StackArgs),
    /// `devstack exec ... -- command`.
    Exec {
        /// Stack options.
        stack: StackArgs,
        /// `--seed`.
        seed: bool,
        /// The command and its arguments.
        command: Vec<String>,
    },
    /// `devstack bench-rpc`.
    BenchRpc {
        /// Stack options.
        stack: StackArgs,
        /// Requests per measurement.
        requests: usize,
        /// Requests in flight at once for the throughput run.
        concurrency: usize,
    },
    /// `devstack help` / `--help`.
    Help,
    /// `devstack --version`.
    Version,
}

/// Parses the arguments after the program name.
pub fn parse(args: &[String]) -> Result<Command, String> {
    let Some(sub) = args.first() else {
        return Ok(Command::Help);
    };
    let rest = &args[1..];
    match sub.as_str() {
        "help" | "--help" | "-h" => Ok(Command::Help),
        "--version" | "-V" => Ok(Command::Version),
        "up" => {
            let mut stack = StackArgs::default();
            let mut it = Flags::new(rest);
            while let Some(flag) = it.next_flag()? {
                if !stack_flag(&mut stack, &flag, &mut it)? {
                    return Err(format!("unknown option {} for `devstack up`", flag.name));
                }
            }
            Ok(Command::Up(stack))
        }
        "exec" => {
            let split = rest.iter().position(|a| a == "--");
            let (opts, command) = match split {
                Some(at) => (&rest[..at], rest[at + 1..].to_vec()),
                None => (rest, Vec::new()),
            };
            if command.is_empty() {
                return Err("`devstack exec` needs a command after `--`".into());
            }
            let mut stack = StackArgs::default();
            let mut seed = false;
            let mut it = Flags::new(opts);
            while let Some(flag) = it.next_flag()? {
                if flag.name == "--seed" {
                    seed = true;
                } else if !stack_flag(&mut stack, &flag, &mut it)? {
                    return Err(format!("unknown option {} for `devstack exec`", flag.name));
                }
            }
            Ok(Command::Exec {
                stack,
                seed,
                command,
            })
        }
        "bench-rpc" => {
            let mut stack = StackArgs::default();
            let mut requests = 2000;
            let mut concurrency = 8;
            let mut it = Flags::new(rest);
            while let Some(flag) = it.next_flag()? {
                match flag.name.as_str() {
                    "--requests" => requests = number(&it.value(&flag)?, &flag.name)?,
                    "--concurrency" => concurrency = number(&it.value(&flag)?, &flag.name)?,
                    _ => {
                        if !stack_flag(&mut stack, &flag, &mut it)? {
                            return Err(format!(
                                "unknown option {} for `devstack bench-rpc`",
                                flag.name
                            ));
                        }
                    }
                }
            }
            if requests == 0 || concurrency == 0 {
                return Err("--requests and --concurrency must be positive".into());
            }
            Ok(Command::BenchRpc {
                stack,
                requests,
                concurrency,
            })
        }
        other => Err(format!("unknown command `{other}` (try `devstack help`)")),
    }
}

fn number<T: std::str::FromStr>(value: &str, flag: &str) -> Result<T, String> {
    value
        .parse()
        .map_err(|_| format!("{flag} expects a number, got `{value}`"))
}

/// Applies a stack option; returns false if `flag` is not one.
fn stack_flag(stack: &mut StackArgs, flag: &Flag, it: &mut Flags) -> Result<bool, String> {
    match flag.name.as_str() {
        "--data-dir" => stack.data_dir = Some(it.value(flag)?.into()),
        "--port" => stack.port = Some(number(&it.value(flag)?, &flag.name)?),
        "--db-port" => stack.db_port = Some(number(&it.value(flag)?, &flag.name)?),
        "--sql-dir" => stack.sql_dir = Some(it.value(flag)?.into()),
        "--bootstrap-dir" => stack.bootstrap_dir = Some(it.value(flag)?.into()),
        "--dist" => stack.dist = Some(it.value(flag)?.into()),
        "--db-url" => stack.db_url = Some(it.value(flag)?),
        "--jwt-secret" => stack.jwt_secret = Some(it.value(flag)?),
        "--third-party" => stack.third_party.push(it.value(flag)?.parse()?),
        "--auth-autoconfirm" => {
            stack.auth.autoconfirm = Some(on_off(&it.value(flag)?, &flag.name)?)
        }
        "--auth-signup" => stack.auth.signup = Some(on_off(&it.value(flag)?, &flag.name)?),
        "--auth-anonymous" => stack.auth.anonymous = Some(on_off(&it.value(flag)?, &flag.name)?),
        "--auth-rate-limits" => {
            stack.auth.rate_limits = Some(on_off(&it.value(flag)?, &flag.name)?)
        }
        "--auth-jwt-expiry" => stack.auth.jwt_expiry = Some(number(&it.value(flag)?, &flag.name)?),
        _ => return Ok(false),
    }
    Ok(true)
}

struct Flag {
    name: String,
    inline: Option<String>,
}

/// Walks `--name value` and `--name=value` options.
struct Flags<'a> {
    args: &'a [String],
    at: usize,
}

impl<'a> Flags<'a> {
    fn new(args: &'a [String]) -> Self {
        Flags { args, at: 0 }
    }

    fn next_flag(&mut self) -> Result<Option<Flag>, String> {
        let Some(arg) = self.args.get(self.at) else {
            return Ok(None);
        };
        self.at += 1;
        if !arg.starts_with("--") {
            return Err(format!("unexpected argument `{arg}`"));
        }
        Ok(Some(match arg.split_once('=') {
            Some((name, value)) => Flag {
                name: name.to_string(),
                inline: Some(value.to_string()),
            },
            None => Flag {
                name: arg.clone(),
                inline: None,
            },
        }))
    }

    fn value(&mut self, flag: &Flag) -> Result<String, String> {
        if let Some(v) = &flag.inline {
            return Ok(v.clone());
        }
        let v = self
            .args
            .get(self.at)
            .ok_or_else(|| format!("{} needs a value", flag.name))?;
        self.at += 1;
        Ok(v.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn up_takes_data_dir_and_port() {
        let cmd = parse(&args("up --data-dir /tmp/d --port=5000")).unwrap();
        assert_eq!(
            cmd,
            Command::Up(StackArgs {
                data_dir: Some("/tmp/d".into()),
                port: Some(5000),
                ..StackArgs::default()
            })
        );
    }

    #[test]
    fn exec_splits_at_double_dash() {
        let cmd = parse(&args("exec --seed -- pg_prove --ext .sql tests/sql/")).unwrap();
        let Command::Exec { seed, command, .. } = cmd else {
            panic!("not exec")
        };
        assert!(seed);
        assert_eq!(command, args("pg_prove --ext .sql tests/sql/"));
    }

    #[test]
    fn third_party_issuers_are_repeatable() {
        let cmd = parse(&args(
            "exec --third-party https://a.example=/tmp/a.json --third-party=b=http://127.0.0.1:9/j -- true",
        ))
        .unwrap();
        let Command::Exec { stack, .. } = cmd else {
            panic!("not exec")
        };
        assert_eq!(stack.third_party.len(), 2);
        assert_eq!(stack.third_party[0].issuer, "https://a.example");
        assert_eq!(stack.third_party[1].jwks, "http://127.0.0.1:9/j");
        assert!(parse(&args("up --third-party nothing")).is_err());
    }

    #[test]
    fn auth_settings_apply_over_the_defaults() {
        let Command::Up(stack) = parse(&args(
            "up --auth-rate-limits off --auth-jwt-expiry=60 --auth-autoconfirm=off",
        ))
        .unwrap() else {
            panic!("not up")
        };
        let mut config = AuthConfig::default();
        stack.auth.apply(&mut config);
        assert!(!config.rate_limits.enabled);
        assert!(!config.autoconfirm);
        assert!(config.anonymous_enabled, "untouched");
        assert_eq!(config.jwt_expiry.as_secs(), 60);
        assert!(parse(&args("up --auth-signup maybe")).is_err());
    }

    #[test]
    fn bad_input_is_reported() {
        assert!(parse(&args("exec --seed")).is_err());
        assert!(parse(&args("up --port abc")).is_err());
        assert!(parse(&args("up --frobnicate")).is_err());
        assert!(parse(&args("up --port")).is_err());
        assert!(parse(&args("launch")).is_err());
    }
}

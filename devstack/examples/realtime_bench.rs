//! Realtime fan-out benchmark: N websocket clients join one topic and
//! receive messages sent at a fixed rate, first by a client (broadcast over
//! the socket) and then by the database (`realtime.send` committed by SQL).
//! Prints delivery latency percentiles, lost and duplicated deliveries, and
//! the process CPU time per delivery, for N = 10, 100 and 1000.
//!
//! ```text
//! cargo run --profile server -p devstack --example realtime_bench [-- RATE SECONDS]
//! ```
//!
//! Clients, server and fan-out share this process (PostgreSQL runs apart),
//! so the CPU figure is the whole pipeline's: server plus clients.

use devstack::realtime::frame::decode_user_broadcast;
use devstack::{Stack, StackOptions};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::collections::HashSet;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

static START: OnceLock<Instant> = OnceLock::new();

/// Microseconds since the benchmark started (one clock for the process).
fn micros() -> u64 {
    START.get_or_init(Instant::now).elapsed().as_micros() as u64
}

fn cpu_seconds() -> f64 {
    // SAFETY: getrusage only writes into the struct we pass.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

fn raise_fd_limit() {
    // SAFETY: plain get/setrlimit calls on our own process.
    unsafe {
        let mut lim: libc::rlimit = std::mem::zeroed();
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) == 0 {
            lim.rlim_cur = lim.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
        }
    }
}

async fn connect(ws_url: &str, key: &str, topic: &str) -> Ws {
    let url = format!("{ws_url}?apikey={key}&vsn=2.0.0");
    let (mut ws, _) = tokio_tungstenite::connect_async(url)
        .await
        .expect("connect");
    let join = json!(["1", "1", topic, "phx_join", {"config": {"broadcast": {"self": false}}}]);
    ws.send(Message::Text(join.to_string().into()))
        .await
        .unwrap();
    loop {
        let Some(Ok(Message::Text(t))) = ws.next().await else {
            panic!("join failed")
        };
        let v: Value = serde_json::from_str(t.as_str()).unwrap();
        if v[3] == "phx_reply" {
            assert_eq!(v[4]["status"], "ok", "join: {v}");
            return ws;
        }
    }
}

/// The `(seq, sent_at)` a delivered frame carries, if it is a benchmark message.
fn stamp(msg: &Message) -> Option<(u64, u64)> {
    let payload: Value = match msg {
        Message::Text(t) => {
            let v: Value = serde_json::from_str(t.as_str()).ok()?;
            if v[3] != "broadcast" {
                return None;
            }
            v[4]["payload"].clone()
        }
        Message::Binary(b) => {
            let (_, ub) = decode_user_broadcast(b).ok()?;
            serde_json::from_slice(&ub.payload).ok()?
        }
        _ => return None,
    };
    Some((payload["seq"].as_u64()?, payload["t"].as_u64()?))
}

struct Receiver {
    latencies_us: Vec<u64>,
    seen: HashSet<u64>,
    duplicates: u64,
}

async fn receive(mut ws: Ws, expected: u64, deadline: Duration) -> Receiver {
    let mut r = Receiver {
        latencies_us: Vec::with_capacity(expected as usize),
        seen: HashSet::new(),
        duplicates: 0,
    };
    let end = tokio::time::Instant::now() + deadline;
    while (r.seen.len() as u64) < expected {
        let msg = match tokio::time::timeout_at(end, ws.next()).await {
            Ok(Some(Ok(m))) => m,
            _ => break,
        };
        if let Some((seq, sent)) = stamp(&msg) {
            let now = micros();
            if r.seen.insert(seq) {
                r.latencies_us.push(now.saturating_sub(sent));
            } else {
                r.duplicates += 1;
            }
        }
    }
    let _ = ws.close(None).await;
    r
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i] as f64 / 1000.0
}

#[derive(Clone, Copy, PartialEq)]
enum Source {
    Client,
    Database,
}

struct Row {
    n: usize,
    source: Source,
    sent: u64,
    delivered: u64,
    lost: u64,
    duplicated: u64,
    p50: f64,
    p95: f64,
    p99: f64,
    max: f64,
    cpu_us_per_delivery: f64,
}

async fn run(
    stack_url: &str,
    anon: &str,
    db_url: &str,
    n: usize,
    source: Source,
    rate: u64,
    secs: u64,
) -> Row {
    let ws_url = stack_url.replacen("http", "ws", 1) + "/realtime/v1/websocket";
    let sub = format!("bench-{n}-{}", uuid::Uuid::new_v4());
    let topic = format!("realtime:{sub}");
    let mut receivers = Vec::with_capacity(n);
    for chunk in (0..n).collect::<Vec<_>>().chunks(50) {
        let joins = chunk.iter().map(|_| connect(&ws_url, anon, &topic));
        receivers.extend(futures_util::future::join_all(joins).await);
    }
    let total = rate * secs;
    let tasks: Vec<_> = receivers
        .into_iter()
        .map(|ws| tokio::spawn(receive(ws, total, Duration::from_secs(secs + 20))))
        .collect();

    let cpu_before = cpu_seconds();
    let interval = Duration::from_micros(1_000_000 / rate);
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    match source {
        Source::Client => {
            let mut sender = connect(&ws_url, anon, &topic).await;
            for seq in 0..total {
                ticker.tick().await;
                let msg = json!(["1", null, topic, "broadcast",
                    {"type": "broadcast", "event": "b", "payload": {"seq": seq, "t": micros()}}]);
                sender
                    .send(Message::Text(msg.to_string().into()))
                    .await
                    .unwrap();
            }
            // Keep the sender open until everyone has the last message.
            let results = futures_util::future::join_all(tasks).await;
            drop(sender);
            summarize(n, source, total, results, cpu_before)
        }
        Source::Database => {
            let (client, conn) = tokio_postgres::connect(db_url, tokio_postgres::NoTls)
                .await
                .unwrap();
            tokio::spawn(conn);
            let client = Arc::new(client);
            let stmt = client
                .prepare("select realtime.send(jsonb_build_object('seq', $1::int8, 't', $2::int8), 'd', $3, false)")
                .await
                .unwrap();
            for seq in 0..total {
                ticker.tick().await;
                let t = micros() as i64;
                client
                    .execute(&stmt, &[&(seq as i64), &t, &sub])
                    .await
                    .unwrap();
            }
            let results = futures_util::future::join_all(tasks).await;
            summarize(n, source, total, results, cpu_before)
        }
    }
}

fn summarize(
    n: usize,
    source: Source,
    sent: u64,
    results: Vec<Result<Receiver, tokio::task::JoinError>>,
    cpu_before: f64,
) -> Row {
    let cpu = cpu_seconds() - cpu_before;
    let mut all = Vec::new();
    let mut duplicated = 0;
    for r in results.into_iter().flatten() {
        duplicated += r.duplicates;
        all.extend(r.latencies_us);
    }
    all.sort_unstable();
    let delivered = all.len() as u64;
    let expected = sent * n as u64;
    Row {
        n,
        source,
        sent,
        delivered,
        lost: expected.saturating_sub(delivered),
        duplicated,
        p50: percentile(&all, 0.50),
        p95: percentile(&all, 0.95),
        p99: percentile(&all, 0.99),
        max: all.last().map_or(f64::NAN, |m| *m as f64 / 1000.0),
        cpu_us_per_delivery: cpu * 1e6 / delivered.max(1) as f64,
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let rate: u64 = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(20);
    let secs: u64 = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(5);
    raise_fd_limit();
    micros();
    eprintln!("starting a throwaway stack…");
    let stack = Stack::start(StackOptions::throwaway()).expect("stack starts");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut rows = Vec::new();
    for n in [10usize, 100, 1000] {
        for source in [Source::Client, Source::Database] {
            let row = runtime.block_on(run(
                stack.url(),
                stack.anon_key(),
                stack.db_url(),
                n,
                source,
                rate,
                secs,
            ));
            eprintln!(
                "  N={n} {} done",
                if source == Source::Client {
                    "client"
                } else {
                    "database"
                }
            );
            rows.push(row);
        }
    }
    println!(
        "Realtime fan-out, {rate} msg/s for {secs} s per run, vsn 2.0.0 receivers, {} cores\n",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!(
        "{:>5}  {:<8}  {:>5}  {:>9}  {:>5}  {:>5}  {:>8}  {:>8}  {:>8}  {:>8}  {:>14}",
        "N",
        "source",
        "sent",
        "delivered",
        "lost",
        "dup",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "max ms",
        "CPU µs/deliv."
    );
    for r in &rows {
        println!(
            "{:>5}  {:<8}  {:>5}  {:>9}  {:>5}  {:>5}  {:>8.2}  {:>8.2}  {:>8.2}  {:>8.2}  {:>14.1}",
            r.n,
            if r.source == Source::Client { "client" } else { "database" },
            r.sent,
            r.delivered,
            r.lost,
            r.duplicated,
            r.p50,
            r.p95,
            r.p99,
            r.max,
            r.cpu_us_per_delivery
        );
    }
    println!("\nCost growth with N (p50 and CPU per message sent, relative to N = 10):");
    for source in [Source::Client, Source::Database] {
        let base = rows
            .iter()
            .find(|r| r.n == 10 && r.source == source)
            .unwrap();
        let base_cpu_per_msg = base.cpu_us_per_delivery * base.n as f64;
        for r in rows.iter().filter(|r| r.source == source) {
            let cpu_per_msg = r.cpu_us_per_delivery * r.n as f64;
            println!(
                "  {:<8} N={:>4}: CPU per message sent {:>9.1} µs ({:>5.1}x for {:>4}x the receivers), p50 {:>6.2} ms",
                if source == Source::Client { "client" } else { "database" },
                r.n,
                cpu_per_msg,
                cpu_per_msg / base_cpu_per_msg,
                r.n / base.n,
                r.p50
            );
        }
    }
    drop(stack);
}

//! `devstack bench-rpc`: latency and throughput of one RPC call through
//! `/rest/v1/rpc`, next to the same function called directly in SQL, on a
//! throwaway stack. Figures are printed, never asserted.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio_postgres::NoTls;

use crate::error::{Error, Result};
use crate::stack::{Stack, StackOptions};

const SETUP: &str = "
create or replace function public.devstack_bench_add(a int, b int) returns int
    language sql stable as 'select a + b';
grant execute on function public.devstack_bench_add(int, int) to public;
";

/// Runs the benchmark and prints a table.
pub fn run(mut options: StackOptions, requests: usize, concurrency: usize) -> Result<()> {
    options.data_dir = None;
    let stack = Stack::start(options)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Error::io("starting the async runtime", e))?;
    runtime.block_on(measure(&stack, requests, concurrency))
}

async fn measure(stack: &Stack, requests: usize, concurrency: usize) -> Result<()> {
    let (db, connection) = tokio_postgres::connect(stack.db_url(), NoTls)
        .await
        .map_err(|e| Error::db("connecting", e))?;
    tokio::spawn(connection);
    db.batch_execute(SETUP)
        .await
        .map_err(|e| Error::db("creating the benchmark function", e))?;

    let http = reqwest::Client::new();
    let url = format!("{}/rest/v1/rpc/devstack_bench_add", stack.url());
    let anon = stack.anon_key().to_string();
    let call = {
        let http = http.clone();
        let url = url.clone();
        let anon = anon.clone();
        move || {
            let request = http
                .post(&url)
                .header("apikey", &anon)
                .header("authorization", format!("Bearer {anon}"))
                .header("content-type", "application/json")
                .body(r#"{"a":1,"b":2}"#);
            async move {
                let response = request.send().await.map_err(|e| e.to_string())?;
                let status = response.status();
                let body = response.text().await.map_err(|e| e.to_string())?;
                if status.as_u16() != 200 || body != "3" {
                    return Err(format!("unexpected answer {status}: {body}"));
                }
                Ok::<(), String>(())
            }
        }
    };

    // Warm up connections and caches.
    for _ in 0..50 {
        call().await.map_err(Error::Config)?;
    }
    let rpc_latency = sequential(requests, &call).await.map_err(Error::Config)?;
    let rpc_rate = concurrent(requests, concurrency, call.clone())
        .await
        .map_err(Error::Config)?;

    let statement = db
        .prepare("select public.devstack_bench_add($1, $2)")
        .await
        .map_err(|e| Error::db("preparing", e))?;
    let db = Arc::new(db);
    let sql_call = {
        let db = db.clone();
        let statement = statement.clone();
        move || {
            let db = db.clone();
            let statement = statement.clone();
            async move {
                let row = db
                    .query_one(&statement, &[&1i32, &2i32])
                    .await
                    .map_err(|e| e.to_string())?;
                if row.get::<_, i32>(0) != 3 {
                    return Err("wrong sum".to_string());
                }
                Ok(())
            }
        }
    };
    let sql_latency = sequential(requests, &sql_call)
        .await
        .map_err(Error::Config)?;

    println!("devstack bench-rpc: {requests} calls of public.devstack_bench_add(1, 2)\n");
    println!(
        "{:<44} {:>10} {:>10} {:>12}",
        "path", "median", "p95", "throughput"
    );
    println!(
        "{:<44} {:>10} {:>10} {:>12}",
        "POST /rest/v1/rpc (sequential)",
        fmt_duration(rpc_latency.median),
        fmt_duration(rpc_latency.p95),
        format!("{:.0}/s", rpc_latency.rate)
    );
    println!(
        "{:<44} {:>10} {:>10} {:>12}",
        format!("POST /rest/v1/rpc ({concurrency} in flight)"),
        "",
        "",
        format!("{:.0}/s", rpc_rate)
    );
    println!(
        "{:<44} {:>10} {:>10} {:>12}",
        "SQL, prepared, one connection (sequential)",
        fmt_duration(sql_latency.median),
        fmt_duration(sql_latency.p95),
        format!("{:.0}/s", sql_latency.rate)
    );
    Ok(())
}

struct Latency {
    median: Duration,
    p95: Duration,
    rate: f64,
}

async fn sequential<F, Fut>(n: usize, mut call: F) -> std::result::Result<Latency, String>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = std::result::Result<(), String>>,
{
    let mut times = Vec::with_capacity(n);
    let start = Instant::now();
    for _ in 0..n {
        let t = Instant::now();
        call().await?;
        times.push(t.elapsed());
    }
    let total = start.elapsed();
    times.sort();
    Ok(Latency {
        median: times[times.len() / 2],
        p95: times[(times.len() * 95 / 100).min(times.len() - 1)],
        rate: n as f64 / total.as_secs_f64(),
    })
}

async fn concurrent<F, Fut>(
    n: usize,
    concurrency: usize,
    call: F,
) -> std::result::Result<f64, String>
where
    F: Fn() -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = std::result::Result<(), String>> + Send,
{
    let start = Instant::now();
    let per_task = n.div_ceil(concurrency);
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let call = call.clone();
        tasks.push(tokio::spawn(async move {
            for _ in 0..per_task {
                call().await?;
            }
            Ok::<(), String>(())
        }));
    }
    for task in tasks {
        task.await.map_err(|e| e.to_string())??;
    }
    Ok((per_task * concurrency) as f64 / start.elapsed().as_secs_f64())
}

fn fmt_duration(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1000.0)
}

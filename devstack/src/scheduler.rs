//! Periodic jobs: devstack's stand-in for the pg_cron schedule a deployer sets
//! up on Supabase (`docs/api.md`, "Deploying on Supabase"). The only job is the
//! webhook retry sweep, run as `service_role` through its API function, the
//! same call the cron job makes, every [`WEBHOOK_SWEEP`].

use std::time::Duration;

use tokio::sync::watch;

use crate::server::SharedState;

/// How often failed webhook deliveries are looked at. The backoff itself is
/// decided in SQL; this only bounds how late a due retry can start.
pub const WEBHOOK_SWEEP: Duration = Duration::from_secs(5);

/// Runs until `shutdown` turns true.
pub async fn run(state: SharedState, mut shutdown: watch::Receiver<bool>) {
    let mut ticks = tokio::time::interval(WEBHOOK_SWEEP);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticks.tick() => {}
            _ = shutdown.wait_for(|stop| *stop) => break,
        }
        if let Err(e) = sweep_webhooks(&state).await {
            eprintln!("devstack: webhook sweep: {e}");
        }
    }
}

/// Calls `public.wc_process_webhooks()` once, if the migrations define it.
/// Returns the number of deliveries it queued.
pub async fn sweep_webhooks(state: &SharedState) -> Result<i32, String> {
    let mut client = state.admin_db.get().await.map_err(|e| e.to_string())?;
    let tx = client.transaction().await.map_err(|e| e.to_string())?;
    let defined: bool = tx
        .query_one(
            "select to_regprocedure('public.wc_process_webhooks()') is not null",
            &[],
        )
        .await
        .map_err(|e| e.to_string())?
        .get(0);
    if !defined {
        return Ok(0);
    }
    tx.batch_execute("set local role service_role")
        .await
        .map_err(|e| e.to_string())?;
    let queued: i32 = tx
        .query_one("select public.wc_process_webhooks()", &[])
        .await
        .map_err(|e| e.to_string())?
        .get(0);
    tx.commit().await.map_err(|e| e.to_string())?;
    Ok(queued)
}

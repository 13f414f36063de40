#!/usr/bin/env bash
# Benchmark of the SQL API on a session of 1,000,000 messages (prints figures;
# not a test). pgbench runs, each as PostgREST would run a request (set the
# role and claims, call the function, in one transaction):
#   send      public.wc_send_message  vs  insert  a bare INSERT of the same row
#   get-newest / get-middle / get-oldest: public.wc_get_messages, 50 messages
# Prints median latency and TPS of each, and the ratios.
#
#   scripts/bench-sql.sh                       # throwaway cluster in /tmp
#   devstack exec -- scripts/bench-sql.sh      # or any database given by PG* env
#
# Environment: BENCH_SECONDS (default 15) per run, BENCH_CLIENTS (default 1),
# BENCH_MESSAGES (default 1000000).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds="${BENCH_SECONDS:-15}"
clients="${BENCH_CLIENTS:-1}"
messages="${BENCH_MESSAGES:-1000000}"
pgbin="${PG_BIN:-/usr/lib/postgresql/15/bin}"
work="$(mktemp -d /tmp/wc-bench.XXXXXX)"
chmod 777 "$work"
cluster=""

cleanup() {
    if [[ -n $cluster ]]; then
        runuser -u postgres -- "$pgbin/pg_ctl" -D "$cluster" -m immediate stop >/dev/null 2>&1 || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

as_pg() { if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }

if [[ -z ${PGHOST:-} && -z ${DATABASE_URL:-} ]]; then
    # Our own cluster: loopback only, socket in the work folder.
    cluster="$work/data"
    port=$((20000 + RANDOM % 20000))
    as_pg "$pgbin/initdb" -D "$cluster" -A trust -U postgres >/dev/null
    as_pg "$pgbin/pg_ctl" -D "$cluster" -l "$work/postgres.log" -w \
        -o "-p $port -k $work -c listen_addresses=127.0.0.1 -c shared_buffers=256MB -c max_wal_size=4GB" start >/dev/null
    export PGHOST="$work" PGPORT="$port" PGUSER=postgres PGDATABASE=postgres
fi
if [[ -n ${DATABASE_URL:-} && -z ${PGHOST:-} ]]; then
    export PGDATABASE="$DATABASE_URL"
fi
psql_q() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }

# Bootstrap and migrations, unless the database already has them (devstack exec).
if [[ $(psql -X -Atc "select to_regnamespace('workflow_chat') is not null") != t ]]; then
    for f in "$root"/devstack/bootstrap/*.sql; do psql_q -f "$f" >/dev/null 2>&1; done
    psql_q -c "select vault.create_secret('bench-secret-with-at-least-32-characters-long', 'workflow_chat_jwt_secret')" >/dev/null
    for f in "$root"/sql/migrations/*.sql; do psql_q -1 -f "$f"; done
fi

echo "preparing a session of $messages messages..."
PGOPTIONS="-c client_min_messages=warning" psql_q >/dev/null <<SQL
drop schema if exists bench cascade;
create schema bench;
create table bench.fx as
with token as (select workflow_chat.register('bench-' || gen_random_uuid() || '@example.test', 'bench-password', 'Bench') t)
select (t -> 'account' ->> 'id')::uuid as account_id, t ->> 'access_token' as token from token;
select set_config('request.jwt.claims', jsonb_build_object('role', 'authenticated', 'sub', account_id,
       'jti', (select jti from workflow_chat.auth_tokens where auth_tokens.account_id = fx.account_id))::text, false)
from bench.fx;
alter table bench.fx add column workflow_id uuid, add column session_id uuid, add column insert_session_id uuid;
update bench.fx set workflow_id = (workflow_chat.create_workflow('Benchmark', '') ->> 'id')::uuid;
update bench.fx set session_id = (workflow_chat.create_session(workflow_id, 'One million', '{}') ->> 'id')::uuid,
                    insert_session_id = (workflow_chat.create_session(workflow_id, 'Bare inserts', '{}') ->> 'id')::uuid;
insert into workflow_chat.chat_message (session_id, seq, client_id, author_id, kind, body, created_at)
select fx.session_id, g, gen_random_uuid(), fx.account_id, 'text', 'message number ' || g,
       now() - make_interval(secs => $messages - g)
from bench.fx, generate_series(1, $messages) g;
update workflow_chat.chat_session s set last_seq = $messages from bench.fx where s.id = fx.session_id;
create sequence bench.insert_seq;
SQL
psql_q -c "vacuum analyze" >/dev/null

read -r session insert_session account token claims < <(psql -X -At -F ' ' -c "
    select session_id, insert_session_id, account_id, token,
           replace(convert_from(decode(rpad(translate(split_part(token, '.', 2), '-_', '+/'),
                   (length(split_part(token, '.', 2)) + 3) / 4 * 4, '='), 'base64'), 'UTF8'), ' ', '')
    from bench.fx")

# Every script does what PostgREST does per request.
request_prelude="begin;
select set_config('search_path', 'public, public', true), set_config('request.jwt.claims', '$claims', true),
       set_config('request.headers', '{\"authorization\":\"Bearer $token\"}', true), set_config('role', 'authenticated', true);"
cat >"$work/send.sql" <<SQL
$request_prelude
select public.wc_send_message('$session', gen_random_uuid(), 'text', 'benchmark message');
commit;
SQL
cat >"$work/insert.sql" <<SQL
begin;
insert into workflow_chat.chat_message (session_id, seq, client_id, author_id, kind, body)
values ('$insert_session', nextval('bench.insert_seq'), gen_random_uuid(), '$account', 'text', 'benchmark message');
commit;
SQL
cat >"$work/get-newest.sql" <<SQL
$request_prelude
select public.wc_get_messages('$session', page_size => 50);
commit;
SQL
cat >"$work/get-middle.sql" <<SQL
$request_prelude
select public.wc_get_messages('$session', before_seq => $((messages / 2)), page_size => 50);
commit;
SQL
cat >"$work/get-oldest.sql" <<SQL
$request_prelude
select public.wc_get_messages('$session', after_seq => 0, page_size => 50);
commit;
SQL

declare -A median tps
run() {
    local name="$1"
    local out
    rm -f "$work"/log.*
    out="$(cd "$work" && pgbench -n -c "$clients" -j "$clients" -T "$seconds" -f "$work/$name.sql" \
                  --log --log-prefix="$work/log" 2>&1)"
    tps[$name]="$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' <<<"$out" | head -1)"
    # Per-transaction log: the third field is the latency in microseconds.
    median[$name]="$(cat "$work"/log.* | awk '{print $3}' | sort -n |
                     awk '{v[NR] = $1} END {m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.3f", m / 1000}')"
    printf '  %-11s median %8s ms   %9s tps\n' "$name" "${median[$name]}" "${tps[$name]}"
}

echo "pgbench: $clients client(s), ${seconds}s per run, session of $messages messages"
for name in send insert get-newest get-middle get-oldest; do run "$name"; done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
echo "ratios:"
echo "  send / bare insert, median latency: $(ratio "${median[send]}" "${median[insert]}")x"
echo "  bare insert / send, throughput:     $(ratio "${tps[insert]}" "${tps[send]}")x"
echo "  get middle / get newest, latency:   $(ratio "${median[get-middle]}" "${median[get-newest]}")x"
echo "  get oldest / get newest, latency:   $(ratio "${median[get-oldest]}" "${median[get-newest]}")x"
echo "  session size after the runs: $(psql -X -Atc "select last_seq from workflow_chat.chat_session where id = '$session'") messages"

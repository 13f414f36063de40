// What every conformance test needs from the throwaway stack that
// `devstack exec` starts: its address and keys, SQL, and signed tokens.

import { createHmac } from 'node:crypto';
import { spawnSync } from 'node:child_process';

// supabase-js builds a Realtime client eagerly, and Node 20 has a global
// WebSocket only behind a flag: run the test file again with it. Importing
// this module first makes that happen before any test is declared.
if (typeof globalThis.WebSocket === 'undefined') {
  const run = spawnSync(process.execPath, ['--experimental-websocket', ...process.argv.slice(1)], {
    stdio: 'inherit',
  });
  process.exit(run.status ?? 1);
}

function required(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run this under \`devstack exec\``);
  return value;
}

/** The stack's URL, keys, JWT secret and database URL. */
export const stack = Object.freeze({
  url: required('SUPABASE_URL'),
  anonKey: required('SUPABASE_ANON_KEY'),
  serviceKey: required('SUPABASE_SERVICE_ROLE_KEY'),
  jwtSecret: required('SUPABASE_JWT_SECRET'),
  databaseUrl: required('DATABASE_URL'),
});

/** Runs SQL as the superuser; returns psql's unaligned output. */
export function psql(sql) {
  const run = spawnSync('psql', [stack.databaseUrl, '-v', 'ON_ERROR_STOP=1', '-qAtc', sql], {
    encoding: 'utf8',
  });
  if (run.status !== 0) throw new Error(`psql failed: ${run.stderr}`);
  return run.stdout.trim();
}

/** An HS256 JWT over `claims`, signed with the stack's secret. */
export function signJwt(claims) {
  const part = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const unsigned = `${part({ alg: 'HS256', typ: 'JWT' })}.${part(claims)}`;
  const signature = createHmac('sha256', stack.jwtSecret).update(unsigned).digest('base64url');
  return `${unsigned}.${signature}`;
}

/** supabase-js options for a client that keeps no session of its own. */
export const noSession = { auth: { persistSession: false, autoRefreshToken: false } };

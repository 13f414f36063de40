// What every conformance test needs from the throwaway stack that
// `devstack exec` starts: its address and keys, SQL, and signed tokens.
//
// The suites run twice: with today's keys (CONFORMANCE_KEYS unset: the
// publishable and secret API keys, user tokens signed ES256 with the
// stack's signing key) and with the legacy ones (CONFORMANCE_KEYS=legacy:
// the anon and service-role JWT keys, HS256 user tokens), as a project
// migrated to signing keys accepts both.

import { createHmac, createPrivateKey, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
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

/** Which keys this run uses: `current` or `legacy`. */
export const keys = process.env.CONFORMANCE_KEYS === 'legacy' ? 'legacy' : 'current';

/**
 * The stack's URL, keys, JWT secret and database URL. `anonKey` and
 * `serviceKey` are the browser's and the server's key of this run.
 */
export const stack = Object.freeze({
  url: required('SUPABASE_URL'),
  publishableKey: required('SUPABASE_PUBLISHABLE_KEY'),
  secretKey: required('SUPABASE_SECRET_KEY'),
  legacyAnonKey: required('SUPABASE_ANON_KEY'),
  legacyServiceKey: required('SUPABASE_SERVICE_ROLE_KEY'),
  anonKey: keys === 'legacy' ? required('SUPABASE_ANON_KEY') : required('SUPABASE_PUBLISHABLE_KEY'),
  serviceKey:
    keys === 'legacy' ? required('SUPABASE_SERVICE_ROLE_KEY') : required('SUPABASE_SECRET_KEY'),
  jwtSecret: required('SUPABASE_JWT_SECRET'),
  databaseUrl: required('DATABASE_URL'),
  dataDir: required('DEVSTACK_DATA_DIR'),
});

/** Runs SQL as the superuser; returns psql's unaligned output. */
export function psql(sql) {
  const run = spawnSync('psql', [stack.databaseUrl, '-v', 'ON_ERROR_STOP=1', '-qAtc', sql], {
    encoding: 'utf8',
  });
  if (run.status !== 0) throw new Error(`psql failed: ${run.stderr}`);
  return run.stdout.trim();
}

const part = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** An HS256 JWT over `claims`, signed with the stack's legacy secret. */
export function signLegacyJwt(claims) {
  const unsigned = `${part({ alg: 'HS256', typ: 'JWT' })}.${part(claims)}`;
  const signature = createHmac('sha256', stack.jwtSecret).update(unsigned).digest('base64url');
  return `${unsigned}.${signature}`;
}

/**
 * An ES256 JWT over `claims`, signed with the stack's signing key (kept in
 * its data folder) as its Auth signs user tokens.
 */
export function signEs256Jwt(claims) {
  const store = JSON.parse(readFileSync(join(stack.dataDir, 'keys.json'), 'utf8'));
  const jwk = store.signing_keys[0];
  const key = createPrivateKey({ key: { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y, d: jwk.d }, format: 'jwk' });
  const unsigned = `${part({ alg: 'ES256', kid: jwk.kid, typ: 'JWT' })}.${part(claims)}`;
  const signature = sign('sha256', Buffer.from(unsigned), { key, dsaEncoding: 'ieee-p1363' });
  return `${unsigned}.${signature.toString('base64url')}`;
}

/** A user token over `claims` as this run's Auth would sign it. */
export function signJwt(claims) {
  return keys === 'legacy' ? signLegacyJwt(claims) : signEs256Jwt(claims);
}

/** supabase-js options for a client that keeps no session of its own. */
export const noSession = { auth: { persistSession: false, autoRefreshToken: false } };

// Conformance of devstack's /rest/v1/rpc with the official supabase-js
// client: data, errors (code, message, details, hint and HTTP status), GET
// calls, void results, as anon and with a user token signed here.
//
// Run inside a throwaway stack:
//   devstack exec -- node tests/conformance/rpc.mjs

import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createClient } from '@supabase/supabase-js';
import { noSession, psql, signJwt, stack } from './lib/stack.mjs';

const { url: URL, anonKey: ANON, serviceKey: SERVICE } = stack;

const SQL = `
create or replace function public.conformance_add(a int, b int) returns int
    language sql immutable as $$ select a + b $$;
create or replace function public.conformance_rows(n int) returns table (id int, label text)
    language sql stable as $$ select i, 'row ' || i from generate_series(1, n) as i $$;
create or replace function public.conformance_fail(msg text) returns void
    language plpgsql as $$
begin
    raise exception using errcode = 'P0001', message = msg,
        detail = 'details from the database', hint = 'a hint from the database';
end $$;
create or replace function public.conformance_conflict() returns void
    language plpgsql as $$ begin raise exception using errcode = '23505', message = 'duplicate'; end $$;
create or replace function public.conformance_whoami() returns jsonb
    language sql stable as $$
select jsonb_build_object('role', current_user, 'uid', auth.uid(),
                          'email', auth.jwt() ->> 'email')
$$;
create or replace function public.conformance_members_only() returns text
    language sql stable as $$ select 'welcome' $$;
revoke execute on function public.conformance_members_only() from public, anon;
grant execute on function public.conformance_members_only() to authenticated;
create or replace function public.conformance_touch() returns void
    language sql volatile as $$ select $$;
`;

/** An HS256 access token like the project's login issues. */
const userToken = signJwt;

const options = noSession;
const anon = createClient(URL, ANON, options);
const userId = randomUUID();
const user = createClient(URL, ANON, {
  ...options,
  global: {
    headers: {
      Authorization: `Bearer ${userToken({
        sub: userId,
        role: 'authenticated',
        aud: 'authenticated',
        email: 'ada@example.com',
        iat: Math.floor(Date.now() / 1000),
        exp: Math.floor(Date.now() / 1000) + 600,
      })}`,
    },
  },
});

before(() => psql(SQL));

test('rpc returns a scalar', async () => {
  const { data, error, status } = await anon.rpc('conformance_add', { a: 2, b: 3 });
  assert.equal(error, null);
  assert.equal(status, 200);
  assert.equal(data, 5);
});

test('rpc returns rows, and single() unwraps one', async () => {
  const rows = await anon.rpc('conformance_rows', { n: 2 });
  assert.equal(rows.error, null);
  assert.deepEqual(rows.data, [
    { id: 1, label: 'row 1' },
    { id: 2, label: 'row 2' },
  ]);
  const one = await anon.rpc('conformance_rows', { n: 1 }).single();
  assert.equal(one.error, null);
  assert.deepEqual(one.data, { id: 1, label: 'row 1' });
});

test('rpc with get: true passes arguments in the query string', async () => {
  const { data, error } = await anon.rpc('conformance_add', { a: 20, b: 22 }, { get: true });
  assert.equal(error, null);
  assert.equal(data, 42);
});

test('rpc of a void function resolves with no data and 204', async () => {
  const { data, error, status } = await anon.rpc('conformance_touch');
  assert.equal(error, null);
  assert.equal(status, 204);
  assert.equal(data, null);
});

test('rpc returns the database error with code, message, details and hint', async () => {
  const { data, error, status } = await anon.rpc('conformance_fail', { msg: 'I refuse!' });
  assert.equal(data, null);
  assert.equal(status, 400);
  assert.equal(error.code, 'P0001');
  assert.equal(error.message, 'I refuse!');
  assert.equal(error.details, 'details from the database');
  assert.equal(error.hint, 'a hint from the database');
});

test('rpc maps a unique violation to 409', async () => {
  const { error, status } = await anon.rpc('conformance_conflict');
  assert.equal(status, 409);
  assert.equal(error.code, '23505');
});

test('rpc of a missing function is PGRST202 with 404', async () => {
  const { error, status } = await anon.rpc('conformance_missing', { x: 1 });
  assert.equal(status, 404);
  assert.equal(error.code, 'PGRST202');
  assert.match(error.message, /Could not find the function public\.conformance_missing\(x\)/);
});

test('anon runs as anon', async () => {
  const { data, error } = await anon.rpc('conformance_whoami');
  assert.equal(error, null);
  assert.deepEqual(data, { role: 'anon', uid: null, email: null });
});

test('a user token runs as authenticated with its claims', async () => {
  const { data, error } = await user.rpc('conformance_whoami');
  assert.equal(error, null);
  assert.deepEqual(data, { role: 'authenticated', uid: userId, email: 'ada@example.com' });
});

test('a function granted to authenticated only refuses anon with 401', async () => {
  const refused = await anon.rpc('conformance_members_only');
  assert.equal(refused.status, 401);
  assert.equal(refused.error.code, '42501');
  const allowed = await user.rpc('conformance_members_only');
  assert.equal(allowed.error, null);
  assert.equal(allowed.data, 'welcome');
});

test('an expired user token is refused with PGRST303', async () => {
  const expired = createClient(URL, ANON, {
    ...options,
    global: {
      headers: {
        Authorization: `Bearer ${userToken({ sub: userId, role: 'authenticated', exp: 1000 })}`,
      },
    },
  });
  const { error, status } = await expired.rpc('conformance_add', { a: 1, b: 1 });
  assert.equal(status, 401);
  assert.equal(error.code, 'PGRST303');
  assert.equal(error.message, 'JWT expired');
});

test('the service role key is accepted as a bearer', async () => {
  const service = createClient(URL, SERVICE, options);
  const { data, error } = await service.rpc('conformance_whoami');
  assert.equal(error, null);
  assert.equal(data.role, 'service_role');
});

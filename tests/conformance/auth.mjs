// Conformance of devstack's /auth/v1 with the official supabase-js client
// (auth-js inside it): sign-up, password sign-in, refresh, the user's
// record, claims verified through the JWKS, sign-out in each scope, state
// events, anonymous sign-in, and the admin API with the secret key.
//
// Run inside a throwaway stack:
//   devstack exec -- node tests/conformance/auth.mjs

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createClient } from '@supabase/supabase-js';
import { stack } from './lib/stack.mjs';

const { url: URL, publishableKey: PUBLISHABLE, secretKey: SECRET } = stack;

/** A client with its own in-memory session, as a browser tab has. */
function client(key = PUBLISHABLE) {
  const memory = new Map();
  return createClient(URL, key, {
    auth: {
      autoRefreshToken: false,
      persistSession: true,
      detectSessionInUrl: false,
      storage: {
        getItem: (k) => memory.get(k) ?? null,
        setItem: (k, v) => void memory.set(k, v),
        removeItem: (k) => void memory.delete(k),
      },
    },
  });
}

const admin = createClient(URL, SECRET, {
  auth: { autoRefreshToken: false, persistSession: false },
});

const email = () => `user-${randomUUID()}@example.com`;
const PASSWORD = 'correct horse battery';

test('signUp returns a session (autoconfirm) with the metadata given', async () => {
  const supabase = client();
  const address = email();
  const { data, error } = await supabase.auth.signUp({
    email: address.toUpperCase(),
    password: PASSWORD,
    options: { data: { display_name: 'Ada Lovelace' } },
  });
  assert.equal(error, null);
  assert.ok(data.session?.access_token, 'a session');
  assert.equal(data.user.email, address, 'lower-cased');
  assert.equal(data.user.user_metadata.display_name, 'Ada Lovelace');
  assert.deepEqual(data.user.app_metadata, { provider: 'email', providers: ['email'] });
  assert.equal(data.user.identities.length, 1);
  assert.equal(data.user.identities[0].provider, 'email');
  assert.equal(data.user.is_anonymous, false);
});

test('signUp errors carry GoTrue codes', async () => {
  const supabase = client();
  const address = email();
  await supabase.auth.signUp({ email: address, password: PASSWORD });
  const again = await supabase.auth.signUp({ email: address, password: PASSWORD });
  assert.equal(again.error?.code, 'user_already_exists');
  assert.equal(again.error?.status, 422);
  const weak = await client().auth.signUp({ email: email(), password: '123' });
  assert.equal(weak.error?.code, 'weak_password');
  assert.deepEqual(weak.error?.reasons, ['length']);
  const invalid = await client().auth.signUp({ email: 'not-an-address', password: PASSWORD });
  assert.equal(invalid.error?.code, 'validation_failed');
});

test('signInWithPassword, getUser, and a wrong password', async () => {
  const address = email();
  await client().auth.signUp({ email: address, password: PASSWORD });
  const supabase = client();
  const wrong = await supabase.auth.signInWithPassword({ email: address, password: 'nope-nope' });
  assert.equal(wrong.error?.code, 'invalid_credentials');
  assert.equal(wrong.error?.message, 'Invalid login credentials');
  const unknown = await supabase.auth.signInWithPassword({ email: email(), password: PASSWORD });
  assert.equal(unknown.error?.code, 'invalid_credentials', 'no hint that the address is unknown');
  const { data, error } = await supabase.auth.signInWithPassword({ email: address, password: PASSWORD });
  assert.equal(error, null);
  assert.equal(data.user.email, address);
  const me = await supabase.auth.getUser();
  assert.equal(me.error, null);
  assert.equal(me.data.user.id, data.user.id);
});

test('getClaims verifies the ES256 access token through the JWKS', async () => {
  const supabase = client();
  const address = email();
  const { data: signed } = await supabase.auth.signUp({ email: address, password: PASSWORD });
  const header = JSON.parse(
    Buffer.from(signed.session.access_token.split('.')[0], 'base64url').toString(),
  );
  assert.equal(header.alg, 'ES256');
  assert.ok(header.kid);
  const jwks = await (await fetch(`${URL}/auth/v1/.well-known/jwks.json`)).json();
  assert.deepEqual(
    jwks.keys.map((k) => k.kid),
    [header.kid],
  );
  const { data, error } = await supabase.auth.getClaims();
  assert.equal(error, null);
  const claims = data.claims;
  assert.equal(claims.sub, signed.user.id);
  assert.equal(claims.email, address);
  assert.equal(claims.role, 'authenticated');
  assert.equal(claims.aud, 'authenticated');
  assert.equal(claims.iss, `${URL}/auth/v1`);
  assert.equal(claims.aal, 'aal1');
  assert.equal(claims.is_anonymous, false);
  assert.ok(claims.session_id);
  assert.equal(claims.amr[0].method, 'password');
  assert.equal(claims.exp - claims.iat, 3600);
});

test('refreshSession rotates the refresh token; reusing an old one later fails', async () => {
  const supabase = client();
  await supabase.auth.signUp({ email: email(), password: PASSWORD });
  const first = (await supabase.auth.getSession()).data.session;
  const { data, error } = await supabase.auth.refreshSession();
  assert.equal(error, null);
  assert.notEqual(data.session.refresh_token, first.refresh_token);
  assert.ok(data.session.access_token);
  // The parent of the current token gives the current one back (a lost
  // answer), so a second client retrying with it is not punished.
  const retry = client();
  const replay = await retry.auth.refreshSession({ refresh_token: first.refresh_token });
  assert.equal(replay.error, null);
  assert.equal(replay.data.session.refresh_token, data.session.refresh_token);
  const unknown = await client().auth.refreshSession({ refresh_token: 'abcdefghijkl' });
  assert.equal(unknown.error?.code, 'refresh_token_not_found');
});

test('updateUser changes metadata, email and password', async () => {
  const supabase = client();
  const address = email();
  await supabase.auth.signUp({ email: address, password: PASSWORD });
  const meta = await supabase.auth.updateUser({ data: { display_name: 'Grace', team: 'navy' } });
  assert.equal(meta.error, null);
  assert.equal(meta.data.user.user_metadata.display_name, 'Grace');
  const dropped = await supabase.auth.updateUser({ data: { team: null } });
  assert.equal(dropped.data.user.user_metadata.team, undefined);
  assert.equal(dropped.data.user.user_metadata.display_name, 'Grace');
  const same = await supabase.auth.updateUser({ password: PASSWORD });
  assert.equal(same.error?.code, 'same_password');
  const changed = await supabase.auth.updateUser({ password: 'another good password' });
  assert.equal(changed.error, null);
  const newAddress = email();
  const moved = await supabase.auth.updateUser({ email: newAddress });
  assert.equal(moved.error, null);
  assert.equal(moved.data.user.email, newAddress);
  const again = client();
  const signIn = await again.auth.signInWithPassword({
    email: newAddress,
    password: 'another good password',
  });
  assert.equal(signIn.error, null);
});

test('signOut scopes: local ends this session, others the rest, global all', async () => {
  const address = email();
  await client().auth.signUp({ email: address, password: PASSWORD });
  const signIn = async () => {
    const c = client();
    await c.auth.signInWithPassword({ email: address, password: PASSWORD });
    return c;
  };
  const [a, b, c] = [await signIn(), await signIn(), await signIn()];
  // Keep c's refresh token to show what a signed-out session can still do.
  const cSession = (await c.auth.getSession()).data.session;

  assert.equal((await a.auth.signOut({ scope: 'local' })).error, null);
  assert.equal((await a.auth.getSession()).data.session, null, 'a dropped its session');
  assert.equal((await b.auth.getUser()).error, null, 'b still signed in');

  assert.equal((await b.auth.signOut({ scope: 'others' })).error, null);
  assert.equal((await b.auth.getUser()).error, null, 'b keeps its own session');
  assert.equal(await userStatus(cSession.access_token), 'session_not_found', 'c was signed out by b');
  // auth-js turns session_not_found into a missing session and forgets it.
  const cUser = await c.auth.getUser();
  assert.equal(cUser.error?.name, 'AuthSessionMissingError');
  assert.equal((await c.auth.getSession()).data.session, null);
  const cRefresh = await client().auth.refreshSession({ refresh_token: cSession.refresh_token });
  assert.equal(cRefresh.error?.code, 'refresh_token_not_found');

  const d = await signIn();
  const dSession = (await d.auth.getSession()).data.session;
  assert.equal((await b.auth.signOut()).error, null, 'global is the default');
  assert.equal(await userStatus(dSession.access_token), 'session_not_found');
});

/** The error code `GET /user` answers for an access token (or `ok`). */
async function userStatus(accessToken) {
  const response = await fetch(`${URL}/auth/v1/user`, {
    headers: {
      apikey: PUBLISHABLE,
      authorization: `Bearer ${accessToken}`,
      'x-supabase-api-version': '2024-01-01',
    },
  });
  if (response.ok) return 'ok';
  assert.equal(response.status, 403);
  return (await response.json()).code;
}

test('onAuthStateChange reports sign-in, refresh, update and sign-out', async () => {
  const supabase = client();
  const events = [];
  const { data: listener } = supabase.auth.onAuthStateChange((event) => events.push(event));
  await supabase.auth.signUp({ email: email(), password: PASSWORD });
  await supabase.auth.refreshSession();
  await supabase.auth.updateUser({ data: { x: 1 } });
  await supabase.auth.signOut();
  listener.subscription.unsubscribe();
  for (const event of ['SIGNED_IN', 'TOKEN_REFRESHED', 'USER_UPDATED', 'SIGNED_OUT']) {
    assert.ok(events.includes(event), `${event} in ${events}`);
  }
});

test('signInAnonymously gives an anonymous user that can later add an email', async () => {
  const supabase = client();
  const { data, error } = await supabase.auth.signInAnonymously({ options: { data: { nick: 'guest' } } });
  assert.equal(error, null);
  assert.equal(data.user.is_anonymous, true);
  assert.equal(data.user.email, '');
  assert.deepEqual(data.user.identities, []);
  const { data: claims } = await supabase.auth.getClaims();
  assert.equal(claims.claims.is_anonymous, true);
  assert.equal(claims.claims.amr[0].method, 'anonymous');
  const noEmail = await supabase.auth.updateUser({ password: PASSWORD });
  assert.equal(noEmail.error?.code, 'validation_failed');
  const address = email();
  const upgraded = await supabase.auth.updateUser({ email: address });
  assert.equal(upgraded.error, null);
  assert.equal(upgraded.data.user.is_anonymous, false);
  assert.equal(upgraded.data.user.email, address);
});

test('admin API with the secret key: create, list, get, ban, delete', async () => {
  const address = email();
  const created = await admin.auth.admin.createUser({
    email: address,
    password: PASSWORD,
    email_confirm: true,
    user_metadata: { display_name: 'Created' },
    app_metadata: { plan: 'team' },
  });
  assert.equal(created.error, null);
  const id = created.data.user.id;
  assert.equal(created.data.user.app_metadata.plan, 'team');
  assert.equal(created.data.user.app_metadata.provider, 'email');

  const listed = await admin.auth.admin.listUsers({ page: 1, perPage: 1000 });
  assert.equal(listed.error, null);
  assert.ok(listed.data.users.some((u) => u.id === id));
  assert.ok(listed.data.total >= 1);

  const got = await admin.auth.admin.getUserById(id);
  assert.equal(got.data.user.email, address);

  const user = client();
  assert.equal((await user.auth.signInWithPassword({ email: address, password: PASSWORD })).error, null);
  const banned = await admin.auth.admin.updateUserById(id, { ban_duration: '24h' });
  assert.equal(banned.error, null);
  assert.ok(banned.data.user.banned_until);
  const refused = await client().auth.signInWithPassword({ email: address, password: PASSWORD });
  assert.equal(refused.error?.code, 'user_banned');
  assert.equal((await user.auth.getUser()).error?.code, 'user_banned');
  const token = (await user.auth.getSession()).data.session.access_token;
  await admin.auth.admin.updateUserById(id, { ban_duration: 'none' });
  assert.equal(
    (await client().auth.signInWithPassword({ email: address, password: PASSWORD })).error,
    null,
  );

  const deleted = await admin.auth.admin.deleteUser(id);
  assert.equal(deleted.error, null);
  const gone = await admin.auth.admin.getUserById(id);
  assert.equal(gone.error?.status, 404);
  assert.equal(await userStatus(token), 'user_not_found');
});

test('the admin API refuses the publishable key and user tokens', async () => {
  const asPublic = createClient(URL, PUBLISHABLE, {
    auth: { autoRefreshToken: false, persistSession: false },
  });
  const listed = await asPublic.auth.admin.listUsers();
  assert.equal(listed.error?.code, 'not_admin');
});

test('settings and health answer through the gateway', async () => {
  const headers = { apikey: PUBLISHABLE };
  const settings = await (await fetch(`${URL}/auth/v1/settings`, { headers })).json();
  assert.equal(settings.external.email, true);
  assert.equal(settings.external.anonymous_users, true);
  assert.equal(settings.mailer_autoconfirm, true);
  const health = await (await fetch(`${URL}/auth/v1/health`, { headers })).json();
  assert.equal(health.name, 'GoTrue');
  const keyless = await fetch(`${URL}/auth/v1/settings`);
  assert.equal(keyless.status, 401);
});

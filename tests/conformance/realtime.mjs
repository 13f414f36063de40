// Conformance of devstack's Realtime with the official supabase-js client,
// for both serializers (vsn 1.0.0 and 2.0.0): public broadcast, `self` and
// `ack`, private channels allowed and refused by RLS policies written here,
// broadcast from SQL, presence between two clients, token update and expiry.
//
// Run inside a throwaway stack:
//   devstack exec -- node --experimental-websocket tests/conformance/realtime.mjs

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createClient } from '@supabase/supabase-js';
import { psql, signJwt, stack } from './lib/stack.mjs';

const { url: URL, anonKey: ANON, serviceKey: SERVICE } = stack;

function userToken(sub, ttlSeconds = 300) {
  const now = Math.floor(Date.now() / 1000);
  return signJwt({ sub, role: 'authenticated', aud: 'authenticated', iat: now, exp: now + ttlSeconds });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const clients = [];
after(async () => {
  // Close the sockets now rather than when realtime-js's idle timer would,
  // so the process ends with the tests. Leaving channels one by one would
  // wait out a push timeout for every channel the server already closed.
  await Promise.all(clients.map((c) => c.realtime.disconnect()));
});

/**
 * A supabase-js client speaking `vsn`. With `token`, Realtime authorizes
 * with it (the `accessToken` option, as third-party auth does); `token`
 * may be a function so a test can change it.
 */
function client(vsn, token) {
  const options = {
    auth: { persistSession: false, autoRefreshToken: false },
    // Drop the socket as soon as a test removes its last channel, instead
    // of realtime-js's default 50 s, so the run ends with the tests.
    realtime: { vsn, disconnectOnEmptyChannelsAfterMs: 0 },
  };
  if (token) options.accessToken = async () => (typeof token === 'function' ? token() : token);
  const c = createClient(URL, ANON, options);
  clients.push(c);
  return c;
}

/**
 * A client that authorizes Realtime with `token`. As Supabase's guide for
 * private channels says, `setAuth()` must complete before subscribing, or
 * the join carries no user token.
 */
async function authed(vsn, token) {
  const c = client(vsn, token);
  await c.realtime.setAuth();
  return c;
}

/** Subscribes and resolves with the first terminal status and its error. */
function subscribe(channel) {
  return new Promise((resolve) => {
    channel.subscribe((status, err) => {
      if (status !== 'SUBSCRIBED' && status !== 'CHANNEL_ERROR' && status !== 'TIMED_OUT' && status !== 'CLOSED') return;
      resolve({ status, err });
    });
  });
}

async function joined(channel) {
  const { status, err } = await subscribe(channel);
  assert.equal(status, 'SUBSCRIBED', `subscribe ${channel.topic}: ${status} ${err ?? ''}`);
  return channel;
}

/** Resolves with the next value `register` delivers, or rejects after `ms`. */
function next(register, ms = 5000) {
  const promise = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('timed out waiting for an event')), ms);
    register((value) => {
      clearTimeout(timer);
      resolve(value);
    });
  });
  // A test that fails before awaiting this must not leave an unhandled
  // rejection behind; awaiting it still sees the rejection.
  promise.catch(() => {});
  return promise;
}

/** Collects events into an array. */
function collect(channel, type, filter) {
  const got = [];
  channel.on(type, filter, (payload) => got.push(payload));
  return got;
}

async function until(check, ms = 5000) {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await sleep(20);
  }
}

// Policies for this file's topics: conf-allowed:* readable and writable by
// authenticated users; conf-readonly:* readable only.
psql(`
  drop policy if exists conformance_read on realtime.messages;
  drop policy if exists conformance_write on realtime.messages;
  create policy conformance_read on realtime.messages for select to authenticated
    using ((select realtime.topic()) like 'conf-allowed:%' or (select realtime.topic()) like 'conf-readonly:%');
  create policy conformance_write on realtime.messages for insert to authenticated
    with check ((select realtime.topic()) like 'conf-allowed:%');
`);

for (const vsn of ['1.0.0', '2.0.0']) {
  test(`vsn ${vsn}: public broadcast round trip`, async () => {
    const room = `room-${randomUUID()}`;
    const a = client(vsn).channel(room);
    const b = client(vsn).channel(room);
    const received = next((done) => b.on('broadcast', { event: 'msg' }, done));
    await joined(a);
    await joined(b);
    const status = await a.send({ type: 'broadcast', event: 'msg', payload: { text: 'hi', n: 1 } });
    assert.equal(status, 'ok');
    const msg = await received;
    assert.equal(msg.event, 'msg');
    assert.deepEqual(msg.payload, { text: 'hi', n: 1 });
  });

  test(`vsn ${vsn}: self and ack`, async () => {
    const room = `self-${randomUUID()}`;
    const selfish = client(vsn).channel(room, { config: { broadcast: { self: true, ack: true } } });
    const plain = client(vsn).channel(room, { config: { broadcast: { self: false } } });
    const mine = collect(selfish, 'broadcast', { event: 'e' });
    const plainGot = collect(plain, 'broadcast', { event: 'e' });
    await joined(selfish);
    await joined(plain);
    // ack: the promise resolves on the server's reply.
    assert.equal(await selfish.send({ type: 'broadcast', event: 'e', payload: { from: 'selfish' } }), 'ok');
    await until(() => mine.length === 1 && plainGot.length === 1);
    assert.deepEqual(mine[0].payload, { from: 'selfish' });
    // self: false: the sender does not hear itself.
    assert.equal(await plain.send({ type: 'broadcast', event: 'e', payload: { from: 'plain' } }), 'ok');
    await until(() => mine.length === 2);
    await sleep(300);
    assert.equal(plainGot.length, 1);
    assert.deepEqual(mine[1].payload, { from: 'plain' });
  });

  test(`vsn ${vsn}: private channel allowed and refused by RLS`, async () => {
    const alice = userToken(randomUUID());
    const bob = userToken(randomUUID());
    const topic = `conf-allowed:${randomUUID()}`;
    const a = (await authed(vsn, alice)).channel(topic, { config: { private: true, broadcast: { ack: true } } });
    const b = (await authed(vsn, bob)).channel(topic, { config: { private: true } });
    const received = next((done) => b.on('broadcast', { event: 'secret' }, done));
    await joined(a);
    await joined(b);
    assert.equal(await a.send({ type: 'broadcast', event: 'secret', payload: { x: 42 } }), 'ok');
    assert.deepEqual((await received).payload, { x: 42 });

    // No policy covers this topic.
    const deniedClient = await authed(vsn, alice);
    const denied = deniedClient.channel(`conf-denied:${randomUUID()}`, { config: { private: true } });
    const { status, err } = await subscribe(denied);
    assert.equal(status, 'CHANNEL_ERROR');
    assert.match(String(err?.message ?? err), /Unauthorized: You do not have permissions to read from this Channel topic/);
    await deniedClient.removeChannel(denied);

    // The anon key is not authenticated: refused as well.
    const anonClient = client(vsn);
    const anonCh = anonClient.channel(topic, { config: { private: true } });
    assert.equal((await subscribe(anonCh)).status, 'CHANNEL_ERROR');
    await anonClient.removeChannel(anonCh);

    // Read-only topic: joined, but a broadcast is dropped (ack times out).
    const ro = `conf-readonly:${randomUUID()}`;
    const writer = (await authed(vsn, alice)).channel(ro, { config: { private: true, broadcast: { ack: true } } });
    const reader = (await authed(vsn, bob)).channel(ro, { config: { private: true } });
    const readerGot = collect(reader, 'broadcast', { event: 'w' });
    await joined(writer);
    await joined(reader);
    assert.equal(await writer.send({ type: 'broadcast', event: 'w', payload: {} }, { timeout: 1000 }), 'timed out');
    assert.equal(readerGot.length, 0);
  });

  test(`vsn ${vsn}: realtime.send from SQL reaches private subscribers`, async () => {
    const topic = `conf-allowed:${randomUUID()}`;
    const ch = (await authed(vsn, userToken(randomUUID()))).channel(topic, { config: { private: true } });
    const publicCh = client(vsn).channel(topic);
    const publicGot = collect(publicCh, 'broadcast', { event: 'from_sql' });
    const received = next((done) => ch.on('broadcast', { event: 'from_sql' }, done));
    await joined(ch);
    await joined(publicCh);
    psql(`select realtime.send('{"body": "hello from sql"}'::jsonb, 'from_sql', '${topic}', true)`);
    const msg = await received;
    assert.equal(msg.payload.body, 'hello from sql');
    assert.equal(typeof msg.payload.id, 'string');
    await sleep(200);
    assert.equal(publicGot.length, 0, 'a private message does not reach the public channel');
  });

  test(`vsn ${vsn}: REST broadcast with the service role`, async () => {
    const topic = `conf-allowed:${randomUUID()}`;
    const ch = (await authed(vsn, userToken(randomUUID()))).channel(topic, { config: { private: true } });
    const received = next((done) => ch.on('broadcast', { event: 'rest' }, done));
    await joined(ch);
    const res = await fetch(`${URL}/realtime/v1/api/broadcast`, {
      method: 'POST',
      headers: { apikey: SERVICE, authorization: `Bearer ${SERVICE}`, 'content-type': 'application/json' },
      body: JSON.stringify({ messages: [{ topic, event: 'rest', payload: { via: 'rest' }, private: true }] }),
    });
    assert.equal(res.status, 202);
    assert.deepEqual((await received).payload, { via: 'rest' });
  });

  test(`vsn ${vsn}: presence sync, join and leave between two clients`, async () => {
    const room = `presence-${randomUUID()}`;
    const a = client(vsn).channel(room, { config: { presence: { key: 'alice' } } });
    const bClient = client(vsn);
    const b = bClient.channel(room, { config: { presence: { key: 'bob' } } });
    const joins = collect(a, 'presence', { event: 'join' });
    const leaves = collect(a, 'presence', { event: 'leave' });
    let syncs = 0;
    a.on('presence', { event: 'sync' }, () => syncs++);
    b.on('presence', { event: 'sync' }, () => {});
    await joined(a);
    await joined(b);
    assert.equal(await a.track({ status: 'online' }), 'ok');
    assert.equal(await b.track({ status: 'away' }), 'ok');
    await until(() => joins.some((j) => j.key === 'bob'));
    await until(() => Object.keys(b.presenceState()).length === 2);
    const state = a.presenceState();
    assert.deepEqual(Object.keys(state).sort(), ['alice', 'bob']);
    assert.equal(state.bob[0].status, 'away');
    assert.equal(typeof state.bob[0].presence_ref, 'string');
    assert.ok(syncs > 0);

    await bClient.removeChannel(b);
    await until(() => leaves.some((l) => l.key === 'bob'));
    await until(() => !('bob' in a.presenceState()));
  });

  test(`vsn ${vsn}: token update and expiry`, async () => {
    const sub = randomUUID();
    let current = userToken(sub, 300);
    const c = await authed(vsn, () => current);
    const topic = `conf-allowed:${randomUUID()}`;
    const ch = c.channel(topic, { config: { private: true } });
    const got = collect(ch, 'broadcast', { event: 'after' });
    const system = collect(ch, 'system', {});
    const statuses = [];
    await new Promise((resolve) =>
      ch.subscribe((status) => {
        statuses.push(status);
        if (status === 'SUBSCRIBED') resolve();
      }),
    );
    // A refreshed token is taken without disturbing the channel.
    current = userToken(sub, 600);
    await c.realtime.setAuth();
    psql(`select realtime.send('{"n": 1}'::jsonb, 'after', '${topic}', true)`);
    await until(() => got.length === 1);
    assert.equal(statuses.includes('CLOSED'), false);

    // A token about to expire: the server closes the channel at expiry.
    current = userToken(sub, 2);
    await c.realtime.setAuth();
    await until(() => statuses.includes('CLOSED'), 8000);
    const expired = system.find((m) => m.status === 'error');
    assert.ok(expired, `a system error before the close: ${JSON.stringify(system)}`);
    assert.match(expired.message, /^Token has expired \d+ seconds ago$/);
    assert.equal(expired.extension, 'system');
  });
}

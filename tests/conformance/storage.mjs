// Conformance of devstack's Storage with the official supabase-js client,
// against the project's own bucket and policies: uploads as storage-js
// sends them (a Blob as a form, bytes as a raw body), signed URLs, downloads
// of the same bytes, info, listing, signed upload URLs, removal, and the
// refusals a user without access gets.
//
// Run inside a throwaway stack:
//   devstack exec -- node --experimental-websocket tests/conformance/storage.mjs

import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { createClient } from '@supabase/supabase-js';
import { noSession, stack } from './lib/stack.mjs';

const { url: URL, anonKey: ANON } = stack;

const BUCKET = 'wc-attachments';
const options = noSession;
const anon = createClient(URL, ANON, options);

/** A client that sends `token` as the bearer, as the app does. */
function clientFor(token) {
  return createClient(URL, ANON, {
    ...options,
    global: { headers: { Authorization: `Bearer ${token}` } },
  });
}

async function register(name) {
  const email = `${name}-${randomUUID()}@example.com`;
  const { data, error } = await anon.rpc('wc_register', {
    email,
    password: 'correct horse battery',
    display_name: name,
  });
  assert.equal(error, null, JSON.stringify(error));
  return { email, id: data.account.id, client: clientFor(data.access_token) };
}

async function call(user, fn, args) {
  const { data, error } = await user.client.rpc(fn, args);
  assert.equal(error, null, `${fn}: ${JSON.stringify(error)}`);
  return data;
}

let owner, member, viewer, outsider, workflow, session;

before(async () => {
  [owner, member, viewer, outsider] = await Promise.all(
    ['owner', 'member', 'viewer', 'outsider'].map(register),
  );
  workflow = (await call(owner, 'wc_create_workflow', { name: 'Attachments' })).id;
  session = (await call(owner, 'wc_create_session', { workflow_id: workflow, title: 'Files' })).id;
  await call(owner, 'wc_add_member', { workflow_id: workflow, email: member.email, role: 'member' });
  await call(owner, 'wc_add_member', { workflow_id: workflow, email: viewer.email, role: 'viewer' });
});

const keyFor = (name) => `${workflow}/${session}/${randomUUID()}/${name}`;
const bytesOf = async (blob) => new Uint8Array(await blob.arrayBuffer());

test('a Blob uploads as a form; download, signed URL and info agree', async () => {
  const key = keyFor('photo.png');
  const bytes = randomBytes(300_000);
  const blob = new Blob([bytes], { type: 'image/png' });
  const up = await member.client.storage.from(BUCKET).upload(key, blob);
  assert.equal(up.error, null, JSON.stringify(up.error));
  assert.equal(up.data.path, key);
  assert.equal(up.data.fullPath, `${BUCKET}/${key}`);
  assert.match(up.data.id, /^[0-9a-f-]{36}$/);

  const down = await viewer.client.storage.from(BUCKET).download(key);
  assert.equal(down.error, null);
  assert.deepEqual(await bytesOf(down.data), new Uint8Array(bytes));
  assert.equal(down.data.type, 'image/png');

  const signed = await viewer.client.storage.from(BUCKET).createSignedUrl(key, 60);
  assert.equal(signed.error, null);
  assert.ok(signed.data.signedUrl.startsWith(`${URL}/storage/v1/object/sign/${BUCKET}/${key}?token=`));
  const viaUrl = await fetch(signed.data.signedUrl);
  assert.equal(viaUrl.status, 200);
  assert.deepEqual(new Uint8Array(await viaUrl.arrayBuffer()), new Uint8Array(bytes));

  const named = await viewer.client.storage.from(BUCKET).createSignedUrl(key, 60, { download: 'a b.png' });
  const attachment = await fetch(named.data.signedUrl);
  assert.match(attachment.headers.get('content-disposition'), /^attachment; filename=a%20b\.png/);
  await attachment.arrayBuffer();

  const info = await viewer.client.storage.from(BUCKET).info(key);
  assert.equal(info.error, null);
  assert.equal(info.data.size, bytes.length);
  assert.equal(info.data.contentType, 'image/png');
  assert.equal(info.data.cacheControl, 'max-age=3600');
  assert.equal(info.data.bucketId, BUCKET);

  const exists = await viewer.client.storage.from(BUCKET).exists(key);
  assert.equal(exists.data, true);
});

test('bytes upload as a raw body with their content type; a voice note keeps its kind', async () => {
  const key = keyFor('note.txt');
  const raw = await member.client.storage
    .from(BUCKET)
    .upload(key, Buffer.from('hello, world'), { contentType: 'text/plain' });
  assert.equal(raw.error, null, JSON.stringify(raw.error));
  const down = await member.client.storage.from(BUCKET).download(key);
  assert.equal(await down.data.text(), 'hello, world');

  // A MediaRecorder blob: `audio/webm;codecs=opus` passes the bucket's
  // audio/* and is stored as audio/webm, as Storage's form parser does.
  const voice = keyFor('voice.webm');
  const recording = new Blob([randomBytes(4096)], { type: 'audio/webm;codecs=opus' });
  const up = await member.client.storage.from(BUCKET).upload(voice, recording, {
    metadata: { duration_ms: 3100 },
  });
  assert.equal(up.error, null, JSON.stringify(up.error));
  const info = await viewer.client.storage.from(BUCKET).info(voice);
  assert.equal(info.data.contentType, 'audio/webm');
  // storage-js camel-cases every key of the info answer, metadata included.
  assert.deepEqual(info.data.metadata, { durationMs: 3100 });
});

test('listing, batch signing and removal', async () => {
  const folder = randomUUID();
  const prefix = `${workflow}/${session}/${folder}`;
  for (const name of ['b.txt', 'a.txt']) {
    const { error } = await member.client.storage
      .from(BUCKET)
      .upload(`${prefix}/${name}`, new Blob([name], { type: 'text/plain' }));
    assert.equal(error, null);
  }
  const listed = await viewer.client.storage.from(BUCKET).list(prefix);
  assert.equal(listed.error, null);
  assert.deepEqual(listed.data.map((f) => f.name), ['a.txt', 'b.txt']);
  assert.equal(listed.data[0].metadata.size, 5);

  const batch = await viewer.client.storage
    .from(BUCKET)
    .createSignedUrls([`${prefix}/a.txt`, `${prefix}/missing.txt`], 60);
  assert.equal(batch.error, null);
  assert.equal(await (await fetch(batch.data[0].signedUrl)).text(), 'a.txt');
  assert.equal(batch.data[1].signedUrl, null);
  assert.match(batch.data[1].error, /does not exist or you do not have access/);

  // A viewer may not remove; the uploader may.
  const byViewer = await viewer.client.storage.from(BUCKET).remove([`${prefix}/a.txt`]);
  assert.deepEqual(byViewer.data, []);
  const removed = await member.client.storage.from(BUCKET).remove([`${prefix}/a.txt`, `${prefix}/b.txt`]);
  assert.equal(removed.error, null);
  assert.deepEqual(removed.data.map((o) => o.name).sort(), [`${prefix}/a.txt`, `${prefix}/b.txt`]);
  const gone = await viewer.client.storage.from(BUCKET).download(`${prefix}/a.txt`);
  assert.equal(gone.data, null);
  assert.equal(gone.error.status, 400);
  assert.equal(gone.error.statusCode, '404');
  const after = await viewer.client.storage.from(BUCKET).exists(`${prefix}/a.txt`);
  assert.equal(after.data, false);
});

test('signed upload URLs', async () => {
  const key = keyFor('later.pdf');
  const signed = await member.client.storage.from(BUCKET).createSignedUploadUrl(key);
  assert.equal(signed.error, null, JSON.stringify(signed.error));
  const put = await anon.storage
    .from(BUCKET)
    .uploadToSignedUrl(key, signed.data.token, new Blob(['%PDF-1.7'], { type: 'application/pdf' }));
  assert.equal(put.error, null, JSON.stringify(put.error));
  assert.equal(put.data.fullPath, `${BUCKET}/${key}`);
  const down = await viewer.client.storage.from(BUCKET).download(key);
  assert.equal(await down.data.text(), '%PDF-1.7');

  const refused = await viewer.client.storage.from(BUCKET).createSignedUploadUrl(keyFor('x.pdf'));
  assert.equal(refused.error.statusCode, '403');
});

test('a user without access gets nothing, and limits are Storage errors', async () => {
  const key = keyFor('private.png');
  const blob = new Blob([randomBytes(1000)], { type: 'image/png' });
  assert.equal((await member.client.storage.from(BUCKET).upload(key, blob)).error, null);

  const down = await outsider.client.storage.from(BUCKET).download(key);
  assert.equal(down.data, null);
  assert.equal(down.error.name, 'StorageApiError');
  assert.equal(down.error.status, 400);
  assert.equal(down.error.statusCode, '404');

  const sign = await outsider.client.storage.from(BUCKET).createSignedUrl(key, 60);
  assert.equal(sign.data, null);
  assert.equal(sign.error.statusCode, '404');
  assert.equal(sign.error.message, 'Object not found');

  const listed = await outsider.client.storage.from(BUCKET).list(`${workflow}/${session}`);
  assert.deepEqual(listed.data, []);

  const upload = await outsider.client.storage.from(BUCKET).upload(keyFor('x.png'), blob);
  assert.equal(upload.error.status, 400);
  assert.equal(upload.error.statusCode, '403');
  assert.equal(upload.error.message, 'new row violates row-level security policy');

  const anonymous = await anon.storage.from(BUCKET).download(key);
  assert.equal(anonymous.error.statusCode, '404');

  const removal = await outsider.client.storage.from(BUCKET).remove([key]);
  assert.deepEqual(removal.data, []);
  assert.equal((await viewer.client.storage.from(BUCKET).exists(key)).data, true);

  const overwrite = await member.client.storage.from(BUCKET).upload(key, blob, { upsert: true });
  assert.equal(overwrite.error.statusCode, '403');
  const duplicate = await member.client.storage.from(BUCKET).upload(key, blob);
  assert.equal(duplicate.error.statusCode, '409');

  const bmp = await member.client.storage
    .from(BUCKET)
    .upload(keyFor('x.bmp'), new Blob(['BM'], { type: 'image/bmp' }));
  assert.equal(bmp.error.statusCode, '415');
  assert.equal(bmp.error.message, 'mime type image/bmp is not supported');

  const tooLarge = await member.client.storage
    .from(BUCKET)
    .upload(keyFor('big.pdf'), new Blob([new Uint8Array(26_214_401)], { type: 'application/pdf' }));
  assert.equal(tooLarge.error.statusCode, '413');
  assert.equal(tooLarge.error.message, 'The object exceeded the maximum allowed size');
});

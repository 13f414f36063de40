// Files and voice notes: A attaches, B sees and downloads the same bytes;
// limits are shown and applied before upload; an upload can be cancelled;
// a voice note recorded from Chromium's fake microphone plays on B's side;
// a stranger gets nothing for a guessed path.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  launchBrowser, openUser, signIn, demoLogins, freshWorkflow, tokenFor, appUrl, anonKey, sessionPath,
} from './lib/browser.mjs';

const logins = demoLogins();
// A 2x2 PNG.
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP8z8DAwMDAxMDAwMDAAAANHQEDasKb6QAAAABJRU5ErkJggg==', 'base64');
const TEXT = Buffer.from('quarterly numbers\n1,2,3\n');

let browser, fixture, a, b, path;

before(async () => {
  browser = await launchBrowser(['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream']);
  fixture = await freshWorkflow(logins.ada, [
    { login: logins.ben, role: 'member' },
    { login: logins.chloe, role: 'member' },
  ], 'Files');
  path = sessionPath(fixture.workflow.id, fixture.session.id);
  a = await openUser(browser);
  b = await openUser(browser);
  await signIn(a.page, logins.ben, path);
  await signIn(b.page, logins.chloe, path);
  for (const { page } of [a, b]) await page.locator('#composer-input').waitFor();
});

after(async () => {
  for (const u of [a, b]) if (u) assert.deepEqual(u.page.errors, []);
  await browser?.close();
  await fixture?.remove();
});

test('the limits are shown before anything is picked', async () => {
  const limits = await a.page.locator('#attach-limits').textContent();
  assert.match(limits, /Up to 25 MB each/);
  assert.match(await a.page.locator('#attach-input').getAttribute('accept'), /image\/png/);
});

test('A attaches an image and a file; B sees the preview and downloads the same bytes', async () => {
  await a.page.locator('#attach-input').setInputFiles([
    { name: 'dot.png', mimeType: 'image/png', buffer: PNG },
    { name: 'numbers.csv', mimeType: 'text/csv', buffer: TEXT },
  ]);
  const image = b.page.locator('.msg .attachment-image');
  await image.waitFor({ timeout: 10000 });
  await b.page.waitForFunction(() => document.querySelector('.msg .attachment-image')?.naturalWidth === 2);
  const card = b.page.locator('.msg .file-card', { hasText: 'numbers.csv' });
  await card.waitFor();
  assert.ok((await card.textContent()).includes(`${TEXT.length} B · text/csv`));
  const link = card.locator('a.file-download');
  await link.waitFor();
  const bytes = await b.page.evaluate(async (href) => {
    const r = await fetch(href);
    return Array.from(new Uint8Array(await r.arrayBuffer()));
  }, await link.getAttribute('href'));
  assert.deepEqual(Buffer.from(bytes), TEXT);
  const imageBytes = await b.page.evaluate(async (src) => {
    const r = await fetch(src);
    return Array.from(new Uint8Array(await r.arrayBuffer()));
  }, await image.getAttribute('src'));
  assert.deepEqual(Buffer.from(imageBytes), PNG);
  // In the session list, the last message reads as a file.
  await b.page.locator('.session-preview', { hasText: 'File: ' }).first().waitFor();
});

test('a refused type or an empty file is explained and never uploaded', async () => {
  const before = await a.page.locator('.msg[data-seq]').count();
  await a.page.locator('#attach-input').setInputFiles([
    { name: 'page.html', mimeType: 'text/html', buffer: Buffer.from('<p>x</p>') },
    { name: 'empty.txt', mimeType: 'text/plain', buffer: Buffer.alloc(0) },
  ]);
  const notice = a.page.locator('.upload-error');
  await notice.waitFor();
  assert.match(await notice.textContent(), /page\.html: this type of file cannot be attached/);
  assert.match(await notice.textContent(), /empty\.txt is empty/);
  await a.page.waitForTimeout(500);
  assert.equal(await a.page.locator('.msg[data-seq]').count(), before);
});

test('an upload shows its progress and can be cancelled', async () => {
  const cdp = await a.context.newCDPSession(a.page);
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 256 * 1024,
  });
  const before = await a.page.locator('.msg[data-seq]').count();
  await a.page.locator('#attach-input').setInputFiles([
    { name: 'big.zip', mimeType: 'application/zip', buffer: Buffer.alloc(4 * 1024 * 1024, 7) },
  ]);
  const item = a.page.locator('.upload', { hasText: 'big.zip' });
  await item.waitFor();
  await a.page.waitForFunction(() => Number(document.querySelector('.upload progress')?.value) > 0, null, { timeout: 10000 });
  await item.locator('.upload-cancel').click();
  await item.waitFor({ state: 'detached' });
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1,
  });
  await a.page.waitForTimeout(500);
  assert.equal(await a.page.locator('.msg[data-seq]').count(), before);
  assert.equal(await b.page.locator('.msg', { hasText: 'big.zip' }).count(), 0);
});

test('a voice note recorded in Chromium plays on the other side with its duration', async () => {
  await a.page.locator('.record-button').click();
  await a.page.locator('.recording').waitFor();
  await a.page.waitForTimeout(2300);
  await a.page.locator('.record-stop').click();
  const note = b.page.locator('.msg .voice-note');
  await note.waitFor({ timeout: 10000 });
  const time = await note.locator('.voice-time').textContent();
  assert.match(time, /^0:00 \/ 0:0[23]$/, time);
  const play = note.locator('button.play');
  await b.page.waitForFunction(() => !document.querySelector('.msg .voice-note button.play').disabled);
  await play.click();
  await b.page.waitForFunction(() => document.querySelector('.msg .voice-note audio').currentTime > 0.2, null, { timeout: 10000 });
  assert.equal(await play.getAttribute('aria-label'), 'Pause');
  // The seek bar follows and can move the playback.
  await note.locator('input[type=range]').evaluate((el) => {
    el.value = '1000';
    el.dispatchEvent(new Event('input', { bubbles: true }));
  });
  const at = await b.page.evaluate(() => document.querySelector('.msg .voice-note audio').currentTime);
  assert.ok(at >= 0.9, `position after seeking: ${at}`);
});

test('a stranger gets nothing for a guessed path', async () => {
  const { token: owner } = await tokenFor(logins.ada);
  const [message] = (await (await fetch(`${appUrl()}rest/v1/rpc/wc_get_messages`, {
    method: 'POST',
    headers: { apikey: anonKey(), Authorization: `Bearer ${owner}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ session_id: fixture.session.id }),
  })).json()).filter((m) => m.attachment);
  const { token: stranger } = await tokenFor(logins.dev);
  const headers = { apikey: anonKey(), Authorization: `Bearer ${stranger}` };
  const object = `${appUrl()}storage/v1/object/wc-attachments/${message.attachment.path.split('/').map(encodeURIComponent).join('/')}`;
  const download = await fetch(object, { headers });
  assert.ok(download.status >= 400, `download answered ${download.status}`);
  const sign = await fetch(object.replace('/object/', '/object/sign/'), {
    method: 'POST', headers: { ...headers, 'Content-Type': 'application/json' }, body: JSON.stringify({ expiresIn: 60 }),
  });
  assert.ok(sign.status >= 400, `signing answered ${sign.status}`);
  // The owner, a member of the workflow, gets the bytes.
  const own = await fetch(object, { headers: { apikey: anonKey(), Authorization: `Bearer ${owner}` } });
  assert.equal(own.status, 200);
});

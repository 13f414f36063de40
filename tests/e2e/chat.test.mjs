// Two users in two browser contexts chatting in one session of a fresh
// workflow on the seeded devstack.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  launchBrowser, openUser, signIn, demoLogins, freshWorkflow, rpc, tokenFor, send,
  sessionPath, shownBodies,
} from './lib/browser.mjs';

const logins = demoLogins();
// Remembers every WebSocket the page opens, so a test can cut it.
const trackSockets = () => {
  const Native = window.WebSocket;
  window.__sockets = [];
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      window.__sockets.push(this);
    }
  };
};

let browser, fixture, other, a, b, aToken;

before(async () => {
  browser = await launchBrowser();
  fixture = await freshWorkflow(logins.ada, [
    { login: logins.ben, role: 'member' },
    { login: logins.chloe, role: 'member' },
  ], 'Planning');
  other = await rpc('wc_create_session', { workflow_id: fixture.workflow.id, title: 'Elsewhere' }, fixture.ownerToken);
  aToken = (await tokenFor(logins.ben)).token;
  a = await openUser(browser);
  b = await openUser(browser, { init: trackSockets });
  const path = sessionPath(fixture.workflow.id, fixture.session.id);
  await signIn(a.page, logins.ben, path);
  await signIn(b.page, logins.chloe, path);
  for (const { page } of [a, b]) await page.locator('.chat .composer textarea').waitFor();
});

after(async () => {
  for (const u of [a, b]) if (u) assert.deepEqual(u.page.errors, [], 'no errors in the page');
  await browser?.close();
  await fixture?.remove();
});

test('both open the session by its URL after signing in', async () => {
  for (const { page } of [a, b]) {
    assert.equal(await page.locator('.chat-title').textContent(), 'Planning');
    assert.equal(await page.locator('.history-edge').textContent(), 'This is the beginning of the session.');
  }
});

test('A sends and B sees it live; both see it confirmed', async () => {
  await a.page.locator('#composer-input').fill('Hello Chloé, see https://example.org');
  await a.page.keyboard.press('Enter');
  // Optimistic: at once on A's side, then confirmed with a seq.
  const mine = a.page.locator('.msg', { hasText: 'Hello Chloé' });
  await mine.waitFor();
  assert.equal(await a.page.locator('#composer-input').inputValue(), '', 'composer cleared');
  await a.page.locator('.msg[data-seq="1"]', { hasText: 'Hello Chloé' }).waitFor();
  const theirs = b.page.locator('.msg[data-seq="1"]', { hasText: 'Hello Chloé' });
  await theirs.waitFor({ timeout: 5000 });
  assert.equal(await theirs.locator('.msg-author').textContent(), 'Ben Okafor');
  // Only the link is a link.
  assert.equal(await theirs.locator('a').count(), 1);
  assert.equal(await theirs.locator('a').getAttribute('href'), 'https://example.org');
});

test('markup in a message is shown as typed', async () => {
  const hostile = '<img src=x onerror="window.__owned=1"> <b>bold</b>';
  await a.page.locator('#composer-input').fill(hostile);
  await a.page.keyboard.press('Enter');
  const row = b.page.locator('.msg[data-seq="2"]');
  await row.waitFor();
  assert.equal((await row.locator('.msg-body').textContent()).trim(), hostile);
  assert.equal(await row.locator('img, b').count(), 0);
  assert.equal(await b.page.evaluate(() => window.__owned), undefined);
});

test('Shift+Enter adds a line, Enter sends', async () => {
  const input = a.page.locator('#composer-input');
  await input.fill('first line');
  await input.press('Shift+Enter');
  await input.type('second line');
  assert.equal(await input.inputValue(), 'first line\nsecond line');
  await input.press('Enter');
  const row = b.page.locator('.msg[data-seq="3"] .msg-body');
  await row.waitFor();
  assert.equal((await row.textContent()).trim(), 'first line\nsecond line');
});

test("B's unread badge in another view updates live", async () => {
  await b.page.locator('.session-link', { hasText: 'Elsewhere' }).click();
  await b.page.locator('.chat-title', { hasText: 'Elsewhere' }).waitFor();
  await send(aToken, fixture.session.id, 'first while away');
  await send(aToken, fixture.session.id, 'second while away');
  const item = b.page.locator(`.session-item[data-session="${fixture.session.id}"]`);
  await item.locator('.unread-badge', { hasText: '2' }).waitFor({ timeout: 5000 });
  assert.match(await item.locator('.session-preview').textContent(), /Ben Okafor: second while away/);
  // Opening it reads it: the badge goes, and the divider marks where.
  await item.locator('.session-link').click();
  await b.page.locator('.unread-divider').waitFor();
  const afterDivider = b.page.locator('.unread-divider + .msg .msg-body');
  assert.equal((await afterDivider.textContent()).trim(), 'first while away');
  await item.locator('.unread-badge').waitFor({ state: 'detached' });
  // Back and forward keep working.
  await b.page.goBack();
  await b.page.locator('.chat-title', { hasText: 'Elsewhere' }).waitFor();
  await b.page.goForward();
  await b.page.locator('.chat-title', { hasText: 'Planning' }).waitFor();
});

test('typing appears and disappears', async () => {
  const indicator = b.page.locator('.typing-indicator');
  await a.page.locator('#composer-input').pressSequentially('I am wri', { delay: 30 });
  await indicator.filter({ hasText: 'Ben Okafor is typing…' }).waitFor({ timeout: 10000 });
  // Sending stops it at once.
  await a.page.locator('#composer-input').pressSequentially('ting', { delay: 30 });
  await a.page.keyboard.press('Enter');
  await b.page.locator('.msg', { hasText: 'I am writing' }).waitFor();
  await indicator.filter({ hasText: /^$/ }).waitFor({ timeout: 3000 });
  // A pause stops it too: the throttle says "stopped" after a few seconds.
  await a.page.locator('#composer-input').pressSequentially('hmm', { delay: 30 });
  await indicator.filter({ hasText: 'Ben Okafor is typing…' }).waitFor({ timeout: 10000 });
  const started = Date.now();
  await indicator.filter({ hasText: /^$/ }).waitFor({ timeout: 10000 });
  assert.ok(Date.now() - started >= 2000, 'the indicator stays while the pause is short');
  await a.page.locator('#composer-input').fill('');
});

test('a reaction shows on both sides with who reacted', async () => {
  const target = b.page.locator('.msg', { hasText: 'I am writing' });
  await target.hover();
  await target.locator('.action-react').click();
  await target.locator('.emoji-palette button[aria-label="👍"]').click();
  const chip = target.locator('.reaction');
  await chip.waitFor();
  assert.equal(await chip.getAttribute('aria-pressed'), 'true');
  assert.equal(await chip.locator('.reaction-count').textContent(), '1');
  const theirChip = a.page.locator('.msg', { hasText: 'I am writing' }).locator('.reaction');
  await theirChip.waitFor({ timeout: 5000 });
  assert.equal(await theirChip.getAttribute('aria-pressed'), 'false');
  assert.match(await theirChip.getAttribute('title'), /Chloé Martin reacted with 👍/);
  // A adds theirs: the count is 2 on both sides.
  await theirChip.click();
  await a.page.locator('.msg', { hasText: 'I am writing' }).locator('.reaction[aria-pressed="true"] .reaction-count', { hasText: '2' }).waitFor();
  await chip.locator('.reaction-count', { hasText: '2' }).waitFor({ timeout: 5000 });
});

test('read receipts show who has seen the newest message', async () => {
  const receipt = a.page.locator('.msg .receipt', { hasText: 'Seen by Chloé Martin' });
  await receipt.waitFor({ timeout: 5000 });
});

test("B's connection drops while A sends; afterwards B has every message once, in order", async () => {
  await b.page.locator('.msg', { hasText: 'I am writing' }).waitFor();
  await b.context.setOffline(true);
  // Also cut the socket, as a dead network would.
  await b.page.evaluate(() => window.__sockets.forEach((s) => s.close()));
  await b.page.locator('.connection-banner[data-state="offline"]').waitFor();
  const sent = [];
  for (let i = 1; i <= 6; i++) {
    const body = `while offline ${i}`;
    await send(aToken, fixture.session.id, body);
    sent.push(body);
  }
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(await b.page.locator('.msg', { hasText: 'while offline' }).count(), 0);
  await b.context.setOffline(false);
  await b.page.locator('.connection-banner[data-state="connected"]').waitFor({ state: 'attached', timeout: 15000 });
  await b.page.locator('.msg', { hasText: 'while offline 6' }).waitFor({ timeout: 15000 });
  const bodies = (await shownBodies(b.page)).map((s) => s.trim());
  const offline = bodies.filter((s) => s.startsWith('while offline'));
  assert.deepEqual(offline, sent, 'each message once, in order');
  const seqs = await b.page.locator('.chat-scroll .msg').evaluateAll((rows) => rows.map((r) => Number(r.dataset.seq)));
  for (let i = 1; i < seqs.length; i++) assert.equal(seqs[i], seqs[i - 1] + 1, `seq ${seqs[i - 1]} then ${seqs[i]}`);
  // The realtime path works again too.
  await send(aToken, fixture.session.id, 'back online');
  await b.page.locator('.msg', { hasText: 'back online' }).waitFor({ timeout: 5000 });
});

test('a socket closed under the app comes back and catches up', async () => {
  await b.page.evaluate(() => window.__sockets.forEach((s) => s.close()));
  await send(aToken, fixture.session.id, 'after the socket closed');
  await b.page.locator('.msg', { hasText: 'after the socket closed' }).waitFor({ timeout: 15000 });
  assert.equal(await b.page.locator('.msg', { hasText: 'after the socket closed' }).count(), 1);
});

test('an edit and a deletion show on both sides', async () => {
  const mine = a.page.locator('.msg[data-seq="1"]');
  await mine.hover();
  await mine.locator('.action-edit').click();
  await a.page.locator('.composer-context', { hasText: 'Editing message' }).waitFor();
  assert.match(await a.page.locator('#composer-input').inputValue(), /^Hello Chloé/);
  await a.page.locator('#composer-input').fill('Hello Chloé, edited');
  await a.page.keyboard.press('Enter');
  const theirs = b.page.locator('.msg[data-seq="1"]');
  await theirs.locator('.msg-body', { hasText: 'Hello Chloé, edited' }).waitFor({ timeout: 5000 });
  await theirs.locator('.msg-edited').waitFor();
  // The composer is back to the draft, empty here.
  assert.equal(await a.page.locator('#composer-input').inputValue(), '');
  a.page.once('dialog', (d) => d.accept());
  await mine.hover();
  await mine.locator('.action-delete').click();
  await theirs.locator('.msg-deleted', { hasText: 'This message was deleted.' }).waitFor({ timeout: 5000 });
  assert.equal(await theirs.locator('.msg-actions').count(), 0);
});

test('a message written offline shows as not sent, then goes out once when the network is back', async () => {
  await b.context.setOffline(true);
  await b.page.locator('.connection-banner[data-state="offline"]').waitFor();
  await b.page.locator('#composer-input').fill('written on the train');
  await b.page.keyboard.press('Enter');
  const row = b.page.locator('.msg', { hasText: 'written on the train' });
  await row.waitFor();
  await b.page.locator('.msg.msg--failed', { hasText: 'written on the train' }).waitFor({ timeout: 15000 });
  assert.equal(await row.locator('.send-state').textContent().then((s) => s.includes('Not sent.')), true);
  await b.context.setOffline(false);
  // Sent again by itself after the reconnect (or with Retry), once.
  await b.page.locator('.msg[data-seq]', { hasText: 'written on the train' }).waitFor({ timeout: 20000 });
  await a.page.locator('.msg[data-seq]', { hasText: 'written on the train' }).waitFor({ timeout: 5000 });
  await a.page.waitForTimeout(500);
  assert.equal(await a.page.locator('.msg', { hasText: 'written on the train' }).count(), 1);
  assert.equal(await b.page.locator('.msg', { hasText: 'written on the train' }).count(), 1);
});

// A long history: the newest page first, older pages as the user scrolls
// up without the view jumping, a bounded number of rows in the page, and
// "jump to latest".
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  launchBrowser, openUser, signIn, demoLogins, freshWorkflow, tokenFor, send, sessionPath,
} from './lib/browser.mjs';

const logins = demoLogins();
const TOTAL = 400;
// Most rows the page may hold (the window's limit plus day separators and
// the divider); see src/views/model/window.rs.
const MAX_ROWS = 160;

let browser, fixture, user;

before(async () => {
  browser = await launchBrowser();
  fixture = await freshWorkflow(logins.ada, [{ login: logins.chloe, role: 'member' }], 'Long history');
  const { token } = await tokenFor(logins.ada);
  for (let i = 1; i <= TOTAL; i++) await send(token, fixture.session.id, `history ${i}`);
  user = await openUser(browser);
  await signIn(user.page, logins.chloe, sessionPath(fixture.workflow.id, fixture.session.id));
  await user.page.locator('.msg[data-seq="400"]').waitFor();
});

after(async () => {
  if (user) assert.deepEqual(user.page.errors, []);
  await browser?.close();
  await fixture?.remove();
});

const rowCount = (page) => page.locator('.chat-scroll [data-message]').count();

test('the newest messages show first, at the bottom', async () => {
  const { page } = user;
  const count = await rowCount(page);
  assert.ok(count > 0 && count <= 60, `${count} rows`);
  const gap = await page.locator('.chat-scroll').evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight);
  assert.ok(gap <= 2, `${gap}px from the bottom`);
  const last = page.locator('.chat-scroll [data-message]').last();
  assert.equal((await last.locator('.msg-body').textContent()).trim(), `history ${TOTAL}`);
});

test('scrolling up loads older messages without a jump, up to the first', async (t) => {
  const { page } = user;
  const scroller = page.locator('.chat-scroll');
  const started = Date.now();
  let steps = 0;
  let mostRows = 0;
  for (;;) {
    // Go to the top and note the row there, in the same frame.
    const before = await scroller.evaluate((el) => {
      el.scrollTop = 0;
      const row = el.querySelector('[data-message]');
      return { key: row.dataset.row, seq: Number(row.dataset.seq), top: row.getBoundingClientRect().top };
    });
    if (before.seq === 1) break;
    // Older rows appear above it...
    await page.waitForFunction((seq) => {
      const first = document.querySelector('.chat-scroll [data-message]');
      return first && Number(first.dataset.seq) < seq;
    }, before.seq, { timeout: 10000 });
    // ...after which the frame that keeps the position has run.
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    const after = await scroller.evaluate((el, key) => {
      const row = el.querySelector(`[data-row="${key}"]`);
      return { top: row.getBoundingClientRect().top, scrollTop: el.scrollTop };
    }, before.key);
    assert.ok(Math.abs(after.top - before.top) <= 2,
      `row ${before.seq} moved from ${before.top} to ${after.top}`);
    assert.ok(after.scrollTop > 0, 'the new rows are above the viewport');
    mostRows = Math.max(mostRows, await rowCount(page));
    steps++;
    assert.ok(steps < 50, 'the start is reached');
  }
  t.diagnostic(`loaded ${TOTAL} messages in ${steps} steps, ${Date.now() - started} ms; at most ${mostRows} rows in the page`);
  assert.ok(mostRows <= MAX_ROWS, `${mostRows} rows in the page`);
  await page.locator('.history-edge', { hasText: 'This is the beginning of the session.' }).waitFor();
  const seqs = await page.locator('.chat-scroll [data-message]').evaluateAll((rows) => rows.map((r) => Number(r.dataset.seq)));
  assert.equal(seqs[0], 1);
  for (let i = 1; i < seqs.length; i++) assert.equal(seqs[i], seqs[i - 1] + 1);
});

test('jump to latest returns to the newest message', async () => {
  const { page } = user;
  const jump = page.locator('.jump-latest');
  await jump.waitFor();
  await jump.click();
  await page.locator(`.msg[data-seq="${TOTAL}"]`).waitFor();
  await jump.waitFor({ state: 'detached' });
  const gap = await page.locator('.chat-scroll').evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight);
  assert.ok(gap <= 2, `${gap}px from the bottom`);
  assert.ok(await rowCount(page) <= 60);
});

test('arrow keys move between messages', async () => {
  const { page } = user;
  await page.locator('.chat-scroll').focus();
  await page.keyboard.press('ArrowUp');
  const focused = () => page.evaluate(() => document.activeElement?.dataset?.seq);
  assert.equal(await focused(), String(TOTAL));
  await page.keyboard.press('ArrowUp');
  assert.equal(await focused(), String(TOTAL - 1));
  await page.keyboard.press('ArrowDown');
  assert.equal(await focused(), String(TOTAL));
  // A focused message shows its actions, reachable with Tab.
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement?.className), 'action-react');
});

// Workflows and sessions by role, session management, members, access
// control, routes, keyboard use and the narrow layout.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  launchBrowser, openUser, signIn, demoLogins, freshWorkflow, rpc, tokenFor, appUrl, anonKey,
  sessionPath, PHONE,
} from './lib/browser.mjs';

const logins = demoLogins();
let browser, fixture;
const users = [];

before(async () => {
  browser = await launchBrowser();
  fixture = await freshWorkflow(logins.ada, [
    { login: logins.ben, role: 'member' },
    { login: logins.dev, role: 'viewer' },
  ], 'Kick-off');
});

after(async () => {
  for (const u of users) assert.deepEqual(u.page.errors, []);
  await browser?.close();
  await fixture?.remove();
});

async function user(options) {
  const u = await openUser(browser, options);
  users.push(u);
  return u;
}

test('a user sees only their workflows, and a stranger neither sees a workflow nor can join its topics', async () => {
  const { page } = await user();
  await signIn(page, logins.dev);
  const names = await page.locator('.workflow-name').allTextContents();
  assert.ok(names.includes('Support desk'));
  assert.ok(!names.includes('Product launch'), `dev sees ${names}`);
  // A guessed URL of Product launch's session shows nothing of it.
  const { token: chloe } = await tokenFor(logins.chloe);
  const launch = (await rpc('wc_list_workflows', {}, chloe)).find((w) => w.name === 'Product launch');
  const [plan] = await rpc('wc_list_sessions', { workflow_id: launch.id }, chloe);
  await page.goto(appUrl() + sessionPath(launch.id, plan.id));
  await page.locator('.no-access').waitFor();
  assert.equal(await page.locator('.msg').count(), 0);
  assert.equal(await page.locator('.nav-sessions .nav-status', { hasText: 'not shared with you' }).count(), 1);
  // Joining the session's topics with dev's own token is refused.
  const token = JSON.parse(await page.evaluate(() => localStorage.getItem('workflow-chat.auth'))).token;
  const replies = await page.evaluate(async ({ url, key, token, topics }) => {
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}realtime/v1/websocket?apikey=${key}&vsn=1.0.0`);
    await new Promise((ok, fail) => { ws.onopen = ok; ws.onerror = fail; });
    const answers = {};
    const done = new Promise((ok) => {
      ws.onmessage = (e) => {
        const frame = JSON.parse(e.data);
        if (frame.event === 'phx_reply') answers[frame.topic] = frame.payload.status;
        if (Object.keys(answers).length === topics.length) ok();
      };
    });
    topics.forEach((topic, i) => ws.send(JSON.stringify({
      topic: `realtime:${topic}`, event: 'phx_join', ref: String(i + 1), join_ref: String(i + 1),
      payload: { access_token: token, config: { private: true, broadcast: { self: false, ack: false }, presence: { key: '' }, postgres_changes: [] } },
    })));
    await Promise.race([done, new Promise((r) => setTimeout(r, 5000))]);
    ws.close();
    return answers;
  }, { url: appUrl(), key: anonKey(), token, topics: [`chat:${plan.id}`, `workflow:${launch.id}`] });
  assert.deepEqual(replies, { [`realtime:chat:${plan.id}`]: 'error', [`realtime:workflow:${launch.id}`]: 'error' });
});

test('a viewer reads but cannot write', async () => {
  const { page } = await user();
  await signIn(page, logins.dev, sessionPath(fixture.workflow.id, fixture.session.id));
  await page.locator('.composer-readonly', { hasText: 'can read this session but not write' }).waitFor();
  assert.equal(await page.locator('#composer-input').count(), 0);
  assert.equal(await page.locator('.new-session-button').count(), 0);
});

test('a member creates, renames, archives and restores a session', async () => {
  const { page } = await user();
  await signIn(page, logins.ben, `w/${fixture.workflow.id}`);
  await page.locator('.new-session-button').click();
  await page.locator('#new-session-title').fill('Sprint review');
  await page.keyboard.press('Enter');
  await page.locator('.chat-title', { hasText: 'Sprint review' }).waitFor();
  const path = new URL(page.url()).pathname;
  assert.match(path, new RegExp(`^/w/${fixture.workflow.id}/s/[0-9a-f-]{36}$`));
  // Rename.
  await page.locator('.rename-session').click();
  await page.locator('#rename-input').fill('Sprint retro');
  await page.keyboard.press('Enter');
  await page.locator('.chat-title', { hasText: 'Sprint retro' }).waitFor();
  await page.locator('.session-title', { hasText: 'Sprint retro' }).waitFor();
  // Archive: read-only, gone from the list unless archived ones are shown.
  await page.locator('.archive-session').click();
  await page.locator('.composer-readonly', { hasText: 'archived' }).waitFor();
  await page.locator('.session-title', { hasText: 'Sprint retro' }).waitFor({ state: 'detached' });
  await page.locator('.archived-toggle input').check();
  await page.locator('.session-item', { hasText: 'Sprint retro' }).locator('.archived-badge').waitFor();
  await page.locator('.archive-session', { hasText: 'Restore' }).click();
  await page.locator('#composer-input').waitFor();
  // The same URL after a reload.
  await page.reload();
  await page.locator('.chat-title', { hasText: 'Sprint retro' }).waitFor();
  assert.equal(new URL(page.url()).pathname, path);
});

test('a member cannot manage a session someone else created', async () => {
  const { page } = await user();
  await signIn(page, logins.ben, sessionPath(fixture.workflow.id, fixture.session.id));
  await page.locator('.chat-title', { hasText: 'Kick-off' }).waitFor();
  assert.equal(await page.locator('.rename-session').count(), 0);
  assert.equal(await page.locator('.archive-session').count(), 0);
});

test('the owner manages members; others only see them', async () => {
  const owner = (await user()).page;
  await signIn(owner, logins.ada, `w/${fixture.workflow.id}/members`);
  const ben = owner.locator('.member', { hasText: 'Ben Okafor' });
  await ben.waitFor();
  await ben.locator('select.member-role').selectOption('admin');
  await owner.waitForTimeout(300);
  const { token } = await tokenFor(logins.ada);
  const members = await rpc('wc_list_members', { workflow_id: fixture.workflow.id }, token);
  assert.equal(members.find((m) => m.display_name === 'Ben Okafor').role, 'admin');
  await owner.locator('#add-member-email').fill(logins.chloe.email);
  await owner.locator('#add-member-role').selectOption('viewer');
  await owner.locator('.add-member button[type=submit]').click();
  await owner.locator('.member', { hasText: 'Chloé Martin' }).locator('select.member-role').waitFor();
  await owner.locator('#add-member-email').fill('nobody@example.com');
  await owner.locator('.add-member button[type=submit]').click();
  await owner.locator('.form-error', { hasText: 'No account has this email.' }).waitFor();
  // A viewer sees the list without controls (apart from leaving).
  const viewer = (await user()).page;
  await signIn(viewer, logins.dev, `w/${fixture.workflow.id}/members`);
  await viewer.locator('.member', { hasText: 'Ada Lovelace' }).waitFor();
  assert.equal(await viewer.locator('select.member-role').count(), 0);
  assert.deepEqual(await viewer.locator('.member-remove').allTextContents(), ['Leave workflow']);
  // Emails are for admins only.
  assert.equal(await viewer.locator('.member-email').count(), 0);
  assert.ok(await owner.locator('.member-email').count() > 0);
});

test('keyboard only: skip link, visible focus, sign-in and sending', async () => {
  const { page } = await user();
  await page.goto(appUrl() + sessionPath(fixture.workflow.id, fixture.session.id));
  await page.locator('#signin-email').waitFor();
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.className), 'skip-link');
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  assert.equal(outline, 'solid', 'the focused element shows a ring');
  await page.locator('#signin-email').focus();
  await page.keyboard.type(logins.ben.email);
  await page.keyboard.press('Tab');
  await page.keyboard.type(logins.ben.password);
  await page.keyboard.press('Enter');
  await page.locator('.chat-title', { hasText: 'Kick-off' }).waitFor();
  await page.locator('#composer-input').focus();
  await page.keyboard.type('typed without a mouse');
  await page.keyboard.press('Enter');
  await page.locator('.msg[data-seq]', { hasText: 'typed without a mouse' }).waitFor();
  // Reply by keyboard: focus the message, Tab to its actions.
  await page.locator('.chat-scroll').focus();
  await page.keyboard.press('ArrowUp');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.className), 'action-reply');
  await page.keyboard.press('Enter');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'composer-input');
  await page.locator('.composer-context', { hasText: 'Replying to Ben Okafor' }).waitFor();
  await page.keyboard.type('a reply');
  await page.keyboard.press('Enter');
  const reply = page.locator('.msg[data-seq]', { hasText: 'a reply' });
  await reply.waitFor();
  assert.match(await reply.locator('.msg-quote').textContent(), /Ben Okafor: typed without a mouse/);
});

test('on a phone one pane shows at a time, with a way back', async () => {
  const { page } = await user({ viewport: PHONE });
  await signIn(page, logins.ben);
  assert.ok(await page.locator('.nav-workflows').isVisible());
  await page.locator('.workflow-link', { hasText: fixture.workflow.name }).click();
  await page.locator('.session-link', { hasText: 'Kick-off' }).click();
  await page.locator('.chat-title', { hasText: 'Kick-off' }).waitFor();
  assert.equal(await page.locator('.sidebar').isVisible(), false);
  await page.locator('.back-button').click();
  await page.locator('.session-link', { hasText: 'Kick-off' }).waitFor();
  assert.equal(await page.locator('.chat').count(), 0);
  assert.equal(await page.locator('.nav-workflows').isVisible(), false, 'inside a workflow, its sessions fill the screen');
  await page.locator('.back-button').click();
  await page.locator('.nav-workflows').waitFor();
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= PHONE.width, `no sideways scrolling (${width}px)`);
});

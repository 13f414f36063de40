// Registering, signing in and out, staying signed in across reloads, and a
// session that ends while the user writes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import {
  launchBrowser, openUser, signIn, demoLogins, freshWorkflow, rpc, appUrl, sessionPath,
} from './lib/browser.mjs';

const logins = demoLogins();
let browser, fixture;
const users = [];

before(async () => {
  browser = await launchBrowser();
  fixture = await freshWorkflow(logins.ada, [{ login: logins.ben, role: 'member' }], 'Drafts');
});

after(async () => {
  for (const u of users) assert.deepEqual(u.page.errors, []);
  await browser?.close();
  await fixture?.remove();
});

async function user() {
  const u = await openUser(browser);
  users.push(u);
  return u;
}

test('register, land on an empty home, sign out, sign in again', async () => {
  const { page } = await user();
  const email = `e2e-${randomUUID().slice(0, 8)}@example.com`;
  await page.goto(appUrl());
  await page.locator('.auth-switch a').click();
  assert.equal(new URL(page.url()).pathname, '/register');
  await page.locator('#register-email').fill(email);
  await page.locator('#register-name').fill('Erin Example');
  await page.locator('#register-password').fill('short');
  await page.locator('.auth-form button[type=submit]').click();
  await page.locator('.form-error', { hasText: 'at least 8 characters' }).waitFor();
  await page.locator('#register-password').fill('a long enough password');
  await page.locator('.auth-form button[type=submit]').click();
  await page.locator('.nav-status', { hasText: 'You are not a member of any workflow yet.' }).waitFor();
  assert.equal(new URL(page.url()).pathname, '/');
  assert.equal(await page.locator('.account-name').textContent(), 'Erin Example');
  // The same email cannot register twice.
  await page.locator('.sign-out').click();
  await page.locator('#signin-email').waitFor();
  await page.goto(appUrl() + 'register');
  await page.locator('#register-email').fill(email);
  await page.locator('#register-name').fill('Erin Again');
  await page.locator('#register-password').fill('a long enough password');
  await page.locator('.auth-form button[type=submit]').click();
  await page.locator('.form-error', { hasText: 'already exists' }).waitFor();
  await signIn(page, { email, password: 'a long enough password' });
  assert.equal(await page.locator('.account-name').textContent(), 'Erin Example');
});

test('a wrong password is refused with a clear message', async () => {
  const { page } = await user();
  await page.goto(appUrl());
  await page.locator('#signin-email').fill(logins.dev.email);
  await page.locator('#signin-password').fill('not the password');
  await page.locator('.auth-form button[type=submit]').click();
  await page.locator('.form-error', { hasText: 'Wrong email or password.' }).waitFor();
  assert.equal(await page.locator('.nav-workflows').count(), 0);
});

test('a reload keeps the user signed in on the same view', async () => {
  const { page } = await user();
  const path = sessionPath(fixture.workflow.id, fixture.session.id);
  await signIn(page, logins.ben, path);
  await page.locator('.chat-title', { hasText: 'Drafts' }).waitFor();
  await page.reload();
  await page.locator('.chat-title', { hasText: 'Drafts' }).waitFor();
  assert.equal(await page.locator('#signin-email').count(), 0);
  assert.equal(new URL(page.url()).pathname, '/' + path);
});

test('drafts are kept per session', async () => {
  const { page } = await user();
  const other = await rpc('wc_create_session', { workflow_id: fixture.workflow.id, title: 'Other' }, fixture.ownerToken);
  await signIn(page, logins.ben, sessionPath(fixture.workflow.id, fixture.session.id));
  await page.locator('#composer-input').fill('draft for Drafts');
  await page.locator('.session-link', { hasText: 'Other' }).click();
  await page.locator('.chat-title', { hasText: 'Other' }).waitFor();
  assert.equal(await page.locator('#composer-input').inputValue(), '');
  await page.locator('#composer-input').fill('draft for Other');
  await page.goBack();
  await page.locator('.chat-title', { hasText: 'Drafts' }).waitFor();
  assert.equal(await page.locator('#composer-input').inputValue(), 'draft for Drafts');
  await page.reload();
  await page.locator('.chat-title', { hasText: 'Drafts' }).waitFor();
  assert.equal(await page.locator('#composer-input').inputValue(), 'draft for Drafts');
  await page.goto(appUrl() + sessionPath(fixture.workflow.id, other.id));
  assert.equal(await page.locator('#composer-input').inputValue(), 'draft for Other');
  await page.locator('#composer-input').fill('');
});

test('a session that ends returns to sign-in and keeps what was being written', async () => {
  const { page } = await user();
  const path = sessionPath(fixture.workflow.id, fixture.session.id);
  await signIn(page, logins.ben, path);
  await page.locator('#composer-input').fill('words I must not lose');
  // The token is revoked behind the app's back (as by an admin, or by an
  // expiry), then the user presses Enter.
  const stored = JSON.parse(await page.evaluate(() => localStorage.getItem('workflow-chat.auth')));
  await rpc('wc_logout', {}, stored.token);
  await page.keyboard.press('Enter');
  await page.locator('.notice', { hasText: 'Your session has ended' }).waitFor();
  assert.equal(new URL(page.url()).pathname, '/' + path, 'the address stays');
  await page.locator('#signin-email').fill(logins.ben.email);
  await page.locator('#signin-password').fill(logins.ben.password);
  await page.locator('.auth-form button[type=submit]').click();
  await page.locator('.chat-title', { hasText: 'Drafts' }).waitFor();
  assert.equal(await page.locator('#composer-input').inputValue(), 'words I must not lose');
  // Nothing was stored while signed out.
  assert.equal(await page.locator('.msg', { hasText: 'words I must not lose' }).count(), 0);
});

test('signing out forgets the token and the drafts', async () => {
  const { page } = await user();
  await signIn(page, logins.ben, sessionPath(fixture.workflow.id, fixture.session.id));
  await page.locator('#composer-input').fill('private words');
  await page.locator('.sign-out').click();
  await page.locator('#signin-email').waitFor();
  const keys = await page.evaluate(() => Object.keys(localStorage));
  assert.deepEqual(keys.filter((k) => k.startsWith('workflow-chat.auth') || k.startsWith('workflow-chat.draft')), []);
  await page.reload();
  await page.locator('#signin-email').waitFor();
});

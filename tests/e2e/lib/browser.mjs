// Real headless Chromium (Debian's) driven by playwright-core, the app under
// test, and helpers shared by the end-to-end tests.
//
// The suite runs against devstack, which serves the built app (dist/) on the
// same origin as the API: `devstack exec --seed -- node --test tests/e2e/`
// exports SUPABASE_URL and SUPABASE_ANON_KEY, and the app is at SUPABASE_URL.
import { chromium } from 'playwright-core';
import { createServer } from 'node:http';
import { mkdir, readFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { extname, join, normalize, resolve } from 'node:path';
import { randomUUID } from 'node:crypto';

const repo = resolve(import.meta.dirname, '../../..');

export const artifacts = join(repo, 'tests/artifacts');

/** The app's URL (devstack serves it at its root). */
export function appUrl() {
  const url = process.env.SUPABASE_URL;
  if (!url) throw new Error('SUPABASE_URL is not set: run the suite with `devstack exec --seed -- node --test tests/e2e/`');
  return url.replace(/\/+$/, '') + '/';
}

/** The project's anon key. */
export function anonKey() {
  const key = process.env.SUPABASE_ANON_KEY;
  if (!key) throw new Error('SUPABASE_ANON_KEY is not set');
  return key;
}

/** Demo accounts declared in sql/seed.sql (`-- demo-login: <email> <password> ...`). */
export function demoLogins() {
  const seed = readFileSync(join(repo, 'sql/seed.sql'), 'utf8');
  const logins = {};
  for (const line of seed.split('\n')) {
    const m = line.match(/^-- demo-login: (\S+) (\S+)/);
    if (m) logins[m[1].split('@')[0]] = { email: m[1], password: m[2] };
  }
  return logins;
}

export async function launchBrowser(extraArgs = []) {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', ...extraArgs],
  });
}

/** Viewports of the screenshots and layout checks. */
export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 780 };

/**
 * A browser context (its own cookies and storage: one user) with a page
 * that records console errors and uncaught exceptions in `page.errors`.
 */
export async function openUser(browser, { viewport = DESKTOP, colorScheme = 'light', init } = {}) {
  const context = await browser.newContext({ viewport, colorScheme });
  if (init) await context.addInitScript(init);
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(String(e)));
  page.on('console', (m) => {
    // Chromium logs failed requests as console errors; the tests cut the
    // network on purpose, so only the app's own errors count.
    if (m.type() === 'error' && !/Failed to load resource|net::ERR_/.test(m.text())) {
      page.errors.push(m.text());
    }
  });
  return { context, page };
}

/** Signs in through the form and waits for the navigation to show. */
export async function signIn(page, login, path = '') {
  await page.goto(appUrl() + path.replace(/^\//, ''));
  await page.locator('#signin-email').fill(login.email);
  await page.locator('#signin-password').fill(login.password);
  await page.locator('.auth-form button[type=submit]').click();
  // Signed in once the workflow list (or its empty state) has loaded.
  await page.locator('.nav-workflows .workflow-list, .nav-workflows .nav-status')
    .filter({ hasNotText: 'Loading' }).first().waitFor({ state: 'attached' });
}

/** Calls a database function as the anon key or with a user token. */
export async function rpc(fn, args = {}, token) {
  const response = await fetch(`${appUrl()}rest/v1/rpc/${fn}`, {
    method: 'POST',
    headers: {
      apikey: anonKey(),
      Authorization: `Bearer ${token ?? anonKey()}`,
      'Content-Type': 'application/json',
    },
    body: JSON.stringify(args),
  });
  const text = await response.text();
  if (!response.ok) {
    const error = new Error(`${fn}: HTTP ${response.status} ${text}`);
    error.status = response.status;
    throw error;
  }
  return text ? JSON.parse(text) : null;
}

/** A token for a login. */
export async function tokenFor(login) {
  const grant = await rpc('wc_login', { email: login.email, password: login.password });
  return { token: grant.access_token, account: grant.account };
}

/** Sends a text message through the API. */
export async function send(token, sessionId, body) {
  return rpc('wc_send_message', { session_id: sessionId, client_id: randomUUID(), kind: 'text', body }, token);
}

/**
 * A fresh workflow owned by `owner` with `members` ({ login, role }) and
 * one session, so that each test file has its own corner of the seeded
 * stack.
 */
export async function freshWorkflow(owner, members, title = 'Test session') {
  const { token } = await tokenFor(owner);
  const workflow = await rpc('wc_create_workflow', { name: `E2E ${randomUUID().slice(0, 8)}` }, token);
  for (const { login, role } of members) {
    await rpc('wc_add_member', { workflow_id: workflow.id, email: login.email, role }, token);
  }
  const session = await rpc('wc_create_session', { workflow_id: workflow.id, title }, token);
  // Removes the workflow again, so that later files (and screenshots) see
  // the seeded data without test leftovers.
  const remove = () => rpc('wc_delete_workflow', { workflow_id: workflow.id }, token);
  return { workflow, session, ownerToken: token, remove };
}

/** The path of a session in the app. */
export function sessionPath(workflowId, sessionId) {
  return `w/${workflowId}/s/${sessionId}`;
}

/** Texts of the message bodies shown, top to bottom. */
export async function shownBodies(page) {
  return page.locator('.chat-scroll .msg .msg-body').allTextContents();
}

/** Saves a screenshot into tests/artifacts/ and returns its path. */
export async function screenshot(page, name) {
  await mkdir(artifacts, { recursive: true });
  const path = join(artifacts, `${name}.png`);
  await page.screenshot({ path });
  return path;
}

const types = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.wasm': 'application/wasm',
  '.css': 'text/css',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

// Serves dist/ with the single-page-app fallback and without configuration,
// for tests of the static app alone. Resolves to { url, close }.
export function serveDist(dist = process.env.E2E_DIST ?? join(repo, 'dist')) {
  const server = createServer(async (req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname));
    const file = join(dist, path);
    for (const candidate of [file, join(file, 'index.html'), join(dist, 'index.html')]) {
      if (!candidate.startsWith(dist)) break;
      try {
        const body = await readFile(candidate);
        res.writeHead(200, { 'content-type': types[extname(candidate)] ?? 'application/octet-stream' });
        res.end(body);
        return;
      } catch { /* try the next candidate */ }
    }
    res.writeHead(404).end();
  });
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => ok({
    url: `http://127.0.0.1:${server.address().port}/`,
    close: () => new Promise((done) => server.close(done)),
  })));
}

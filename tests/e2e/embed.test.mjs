// The chat embedded in a host page: mounted into the host's element with the
// options it carries, signed in with a token the host's server issued.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import { anonKey, appUrl, launchBrowser, openUser } from './lib/browser.mjs';

const dist = process.env.E2E_DIST ?? join(resolve(import.meta.dirname, '../..'), 'dist');

// The host page: its own content, plus the built app's stylesheet and script
// tags copied from dist/index.html, as a deployer would paste them.
function hostPage(attributes) {
  const built = readFileSync(join(dist, 'index.html'), 'utf8');
  const head = built.match(/<head>([\s\S]*)<\/head>/)[1]
    .replace(/<title>[\s\S]*?<\/title>/, '<title>Acme support portal</title>');
  const attrs = Object.entries(attributes)
    .map(([name, value]) => `${name}="${value.replace(/"/g, '&quot;')}"`)
    .join(' ');
  return `<!doctype html><html lang="en"><head>${head}</head><body>
    <h1 id="host-title">Acme support portal</h1>
    <div id="chat" data-workflow-chat ${attrs} style="height: 600px"></div>
    <footer id="host-footer">Acme Inc.</footer>
  </body></html>`;
}

async function openHostPage(browser, attributes) {
  const { page } = await openUser(browser);
  const url = `${appUrl()}acme-host-${randomUUID()}.html`;
  await page.route(url, (route) => route.fulfill({ contentType: 'text/html', body: hostPage(attributes) }));
  await page.goto(url);
  return page;
}

async function issueToken(externalId, displayName) {
  const response = await fetch(`${appUrl()}rest/v1/rpc/wc_issue_token`, {
    method: 'POST',
    headers: {
      apikey: process.env.SUPABASE_SERVICE_ROLE_KEY,
      Authorization: `Bearer ${process.env.SUPABASE_SERVICE_ROLE_KEY}`,
      'Content-Type': 'application/json',
    },
    body: JSON.stringify({ external_id: externalId, display_name: displayName }),
  });
  assert.equal(response.status, 200, await response.clone().text());
  return (await response.json()).access_token;
}

let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });

test('mounted into the host element with a host-issued token, the user is signed in', async () => {
  const name = `Host user ${randomUUID().slice(0, 6)}`;
  const token = await issueToken(`acme-${randomUUID()}`, name);
  const page = await openHostPage(browser, {
    'data-supabase-url': appUrl(),
    'data-supabase-anon-key': anonKey(),
    'data-token': token,
  });
  const chat = page.locator('#chat');
  await chat.locator('.app-shell').waitFor();
  await chat.getByText(name).first().waitFor();
  assert.equal(await chat.locator('#signin-email').count(), 0, 'no sign-in form');
  // The host's own content is untouched, and the app stays inside its element.
  assert.equal(await page.locator('#host-title').textContent(), 'Acme support portal');
  assert.equal(await page.locator('#host-footer').count(), 1);
  assert.equal(await page.locator('body > .app-shell').count(), 0);
  const box = await chat.locator('.app-shell').boundingBox();
  assert.ok(box.height <= 600.5, `the app fills its element, not the viewport (${box.height}px)`);
  assert.deepEqual(page.errors, []);
});

test('a host element without the project URL says what is missing', async () => {
  const page = await openHostPage(browser, { 'data-supabase-anon-key': anonKey() });
  const problem = page.locator('#chat [role=alert]');
  await problem.waitFor();
  assert.match(await problem.textContent(), /URL/i);
});

test('a refused host token leads to the sign-in form inside the element', async () => {
  const page = await openHostPage(browser, {
    'data-supabase-url': appUrl(),
    'data-supabase-anon-key': anonKey(),
    // Well-formed, but not signed with the project's secret.
    'data-token': 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIwMDAwMDAwMC0wMDAwLTQwMDAtODAwMC0wMDAwMDAwMDAwMDEiLCJyb2xlIjoiYXV0aGVudGljYXRlZCIsImV4cCI6NDEwMjQ0NDgwMH0.c2lnbmF0dXJl',
  });
  await page.locator('#chat #signin-email').waitFor();
});

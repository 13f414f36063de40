// The built app (dist/) opened in real headless Chromium.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, serveDist } from './lib/browser.mjs';

let browser, server;
before(async () => {
  server = await serveDist();
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await server?.close();
});

test('the shell renders with the product name and no console errors', async () => {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));

  await page.goto(server.url);
  await page.locator('h1.app-title').waitFor();
  assert.equal(await page.locator('h1.app-title').textContent(), 'workflow-chat');
  assert.equal(await page.locator('main#main').count(), 1);
  assert.deepEqual(errors, []);
});

test('a deep link falls back to the app', async () => {
  const page = await browser.newPage();
  await page.goto(new URL('w/some-workflow/s/some-session', server.url).href);
  await page.locator('h1.app-title').waitFor();
  assert.equal(await page.title(), 'workflow-chat');
});

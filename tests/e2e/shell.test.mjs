// The built app in real headless Chromium: served by devstack with its
// configuration, and served bare without it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, openUser, serveDist, appUrl } from './lib/browser.mjs';

let browser, bare;
before(async () => {
  bare = await serveDist();
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await bare?.close();
});

test('the app opens on the sign-in form with its landmarks and no console errors', async () => {
  const { page } = await openUser(browser);
  await page.goto(appUrl());
  await page.locator('#signin-email').waitFor();
  assert.equal(await page.locator('h1.app-title').textContent(), 'workflow-chat');
  assert.equal(await page.title(), 'workflow-chat');
  assert.equal(await page.locator('main#main').count(), 1);
  assert.equal(await page.locator('header.app-header').count(), 1);
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'en');
  assert.deepEqual(page.errors, []);
});

test('a deep link opens the app at that address', async () => {
  const { page } = await openUser(browser);
  const path = 'w/00000000-0000-4000-8000-000000000001/s/00000000-0000-4000-8000-000000000002';
  await page.goto(appUrl() + path);
  await page.locator('#signin-email').waitFor();
  assert.equal(new URL(page.url()).pathname, '/' + path);
});

test('served without its configuration, the page says what is missing', async () => {
  const { page } = await openUser(browser);
  await page.goto(bare.url);
  const problem = page.locator('[role=alert]');
  await problem.waitFor();
  assert.match(await problem.textContent(), /supabase-url/);
  assert.equal(await page.locator('h1.app-title').textContent(), 'workflow-chat');
});

test('the theme follows the system and can be chosen', async () => {
  const { page } = await openUser(browser, { colorScheme: 'dark' });
  await page.goto(appUrl());
  await page.locator('#signin-email').waitFor();
  const background = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  const dark = await background();
  await page.locator('#theme-select').selectOption('light');
  assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'light');
  const light = await background();
  assert.notEqual(dark, light);
  assert.equal(light, 'rgb(255, 255, 255)');
  // The choice is remembered.
  await page.reload();
  await page.locator('#signin-email').waitFor();
  assert.equal(await background(), light);
});

// Screenshots of the main views at desktop and phone width, in the light
// and dark themes, saved into tests/artifacts/ (the README shows a curated
// copy from docs/screenshots/). Each view is also checked for what it must
// show, so a broken view fails here rather than producing a bad picture.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  launchBrowser, openUser, signIn, demoLogins, rpc, tokenFor, send, screenshot, sessionPath,
  DESKTOP, PHONE,
} from './lib/browser.mjs';
import { randomUUID } from 'node:crypto';

const logins = demoLogins();
let browser, workflow, tokens;

before(async () => {
  browser = await launchBrowser();
  const ada = await tokenFor(logins.ada);
  const benToken = (await tokenFor(logins.ben)).token;
  const chloe = (await tokenFor(logins.chloe)).token;
  workflow = await rpc('wc_create_workflow', { name: 'Design review', description: 'Weekly design decisions' }, ada.token);
  await rpc('wc_add_member', { workflow_id: workflow.id, email: logins.ben.email, role: 'admin' }, ada.token);
  await rpc('wc_add_member', { workflow_id: workflow.id, email: logins.chloe.email, role: 'member' }, ada.token);
  await rpc('wc_add_member', { workflow_id: workflow.id, email: logins.dev.email, role: 'viewer' }, ada.token);
  const onboarding = await rpc('wc_create_session', { workflow_id: workflow.id, title: 'Onboarding checklist' }, ada.token);
  await send(ada.token, onboarding.id, 'Welcome aboard! Start with the checklist pinned above.');
  const notes = await rpc('wc_create_session', { workflow_id: workflow.id, title: 'Release notes 2.4' }, ada.token);
  await send(chloe, notes.id, 'Draft of the release notes is up for review.');
  await send(chloe, notes.id, 'Two open questions at the end.');
  tokens = { ada: ada.token, ben: benToken, chloe };
});

// The conversation shown, made afresh for each picture so that Ben always
// has unread messages in it (and archived afterwards).
async function conversation() {
  const { ada: adaToken, ben: benToken, chloe } = tokens;
  const chat = await rpc('wc_create_session', { workflow_id: workflow.id, title: 'Homepage redesign' }, adaToken);
  const first = await send(adaToken, chat.id, 'Morning! The new homepage mock-ups are ready: https://example.org/mockups/v3');
  await send(adaToken, chat.id, 'Main change: the hero is shorter and the sign-up form moves above the fold.');
  await send(benToken, chat.id, 'Looks great. Can we keep the testimonials strip?');
  await rpc('wc_send_message', { session_id: chat.id, client_id: randomUUID(), kind: 'text', body: 'Yes, it moves below the pricing table.', reply_to: first.id }, adaToken);
  await send(chloe, chat.id, 'I will update the copy today 🎉');
  await send(chloe, chat.id, 'Accessibility check: contrast is fine in both themes, focus rings visible.');
  await rpc('wc_toggle_reaction', { message_id: first.id, emoji: '👍' }, benToken);
  await rpc('wc_toggle_reaction', { message_id: first.id, emoji: '👍' }, chloe);
  await rpc('wc_toggle_reaction', { message_id: first.id, emoji: '🎉' }, chloe);
  await rpc('wc_mark_read', { session_id: chat.id, seq: 4 }, benToken);
  return chat;
}

after(async () => {
  await browser?.close();
  if (workflow) await rpc('wc_delete_workflow', { workflow_id: workflow.id }, tokens.ada);
});

for (const colorScheme of ['light', 'dark']) {
  for (const [size, viewport] of [['desktop', DESKTOP], ['phone', PHONE]]) {
    test(`main views, ${size}, ${colorScheme}`, async () => {
      const chat = await conversation();
      const { page } = await openUser(browser, { viewport, colorScheme });
      await page.goto(new URL('signin', process.env.SUPABASE_URL).href);
      await page.locator('#signin-email').waitFor();
      await screenshot(page, `signin-${size}-${colorScheme}`);

      // Chloé is in the session too, typing.
      const other = await openUser(browser);
      await signIn(other.page, logins.chloe, sessionPath(workflow.id, chat.id));
      await other.page.locator('#composer-input').waitFor();

      await signIn(page, logins.ben, sessionPath(workflow.id, chat.id));
      await page.locator('.msg', { hasText: 'focus rings visible' }).waitFor();
      await page.locator('.presence-count', { hasText: '2 online' }).waitFor({ state: 'attached' });
      await other.page.locator('#composer-input').pressSequentially('Sounds good', { delay: 20 });
      await page.locator('.typing-indicator', { hasText: 'Chloé Martin is typing…' }).waitFor();
      assert.equal(await page.locator('.unread-divider').count(), 1);
      assert.ok(await page.locator('.reaction').count() >= 2);
      await page.mouse.move(0, 0);
      await screenshot(page, `chat-${size}-${colorScheme}`);

      await page.goto(new URL(`w/${workflow.id}`, process.env.SUPABASE_URL).href);
      await page.locator('.session-item', { hasText: 'Release notes 2.4' }).locator('.unread-badge').waitFor();
      await screenshot(page, `sessions-${size}-${colorScheme}`);

      await page.goto(new URL(`w/${workflow.id}/members`, process.env.SUPABASE_URL).href);
      await page.locator('.member', { hasText: 'Dev Patel' }).waitFor();
      await screenshot(page, `members-${size}-${colorScheme}`);

      await other.page.locator('#composer-input').fill('');
      await other.context.close();
      await rpc('wc_archive_session', { session_id: chat.id }, tokens.ada);
      assert.deepEqual(page.errors, []);
      await page.context().close();
    });
  }
}

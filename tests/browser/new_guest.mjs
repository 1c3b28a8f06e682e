// The walkthrough's first flow in a real browser (Debian's Chromium, driven by
// playwright-core): a new guest requests "Marketing resources for guests",
// answers the questions and attributes; the approver opens the link from the
// mail outbox, signs in and approves; the guest then holds the package.
//
// Usage: node new_guest.mjs <gatehouse base URL> <screenshot dir>
// (env GATEHOUSE_TEST_CHROMIUM: the Chromium binary). Run by tests/portal/browser.rs.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const [base, shots] = process.argv.slice(2);
if (!base || !shots) {
  console.error('usage: node new_guest.mjs <base URL> <screenshot dir>');
  process.exit(2);
}
mkdirSync(shots, { recursive: true });

const browser = await chromium.launch({
  executablePath: process.env.GATEHOUSE_TEST_CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
});
let step = 0;
async function shot(page, name) {
  step += 1;
  await page.screenshot({ path: join(shots, `${String(step).padStart(2, '0')}-${name}.png`), fullPage: true });
}
// Each check is printed as `seen: <what>`; tests/portal/browser.rs expects them all.
function expect(cond, what) {
  if (!cond) throw new Error(`expected: ${what}`);
  console.log(`seen: ${what}`);
}

try {
  // The new guest.
  const guest = await (await browser.newContext()).newPage();
  const email = `nina.${Date.now()}@fabrikam.example`;
  await guest.goto(`${base}/auth/login`);
  await guest.fill('#guest-email', email);
  await shot(guest, 'sign-in');
  await guest.click('button:has-text("Continue as this new guest")');
  await guest.waitForURL(`${base}/`);
  expect(await guest.isVisible('text=Marketing resources for guests'), 'the guests package is offered');
  await shot(guest, 'my-access');
  const card = guest.locator('article', { hasText: 'Marketing resources for guests' });
  await card.locator('a:has-text("Request")').click();
  await guest.waitForSelector('#q1');
  await guest.fill('#q1', 'Spring launch');
  await guest.fill('#q2', 'Maria Manager');
  await guest.check('input[name="q3"][value="quarter"]');
  await guest.fill('input[name="attr_givenName"]', 'Nina');
  await guest.fill('input[name="attr_surname"]', 'Newman');
  await guest.fill('input[name="attr_jobTitle"]', 'Designer');
  await shot(guest, 'request-form');
  await guest.click('button:has-text("Request access")');
  await guest.waitForURL(`${base}/requests`);
  expect(await guest.isVisible('text=pending approval'), 'the request waits for approval');
  await shot(guest, 'my-requests-pending');

  // An administrator finds the approval link in the mail outbox.
  const admin = await (await browser.newContext()).newPage();
  await admin.goto(`${base}/auth/login`);
  await admin.click('button:has-text("Ada Admin")');
  await admin.goto(`${base}/admin/mail`);
  expect(await admin.isVisible('text=Action required: approve or deny'), 'the approval mail is in the outbox');
  const link = await admin.locator('a[href*="/approvals/"]').first().getAttribute('href');
  expect(link, 'an approval link in the outbox');
  await shot(admin, 'mail-outbox');

  // The approver follows it, signs in, lands on the request and approves.
  const approver = await (await browser.newContext()).newPage();
  await approver.goto(link);
  await approver.click('button:has-text("Maria Manager")');
  await approver.waitForURL(link);
  expect(await approver.isVisible('text=Spring launch'), 'the answers are shown');
  await approver.fill('#justification', 'Welcome to the campaign');
  await shot(approver, 'approval-page');
  await approver.click('button[value="approve"]');
  await approver.waitForLoadState();
  expect(await approver.isVisible('text=Decision recorded: the request is delivered'), 'the approver is told the request is delivered');
  await shot(approver, 'approved');

  // The guest now holds the package, under the name the attributes gave.
  await guest.goto(`${base}/`);
  expect(await guest.isVisible('text=Nina Newman'), 'signed in as the new guest account');
  const held = guest.locator('article', { hasText: 'Marketing resources for guests' });
  expect(await held.locator('text=You have access').isVisible(), 'the package is marked as held');
  await shot(guest, 'guest-has-access');
  await guest.goto(`${base}/requests`);
  expect(await guest.isVisible('text=delivered'), 'the request is delivered');
  await shot(guest, 'my-requests-delivered');
  console.log(`ok: ${step} screenshots in ${shots}`);
} catch (e) {
  console.error(e);
  process.exitCode = 1;
} finally {
  await browser.close();
}

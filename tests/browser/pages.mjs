// The pages people use most, in a real browser (Debian's Chromium, driven by
// playwright-core), at desktop width and at 390 px: My Access's tabs, the
// request form, an approval page, the console home, a package page and the
// policy editor, a catalog's custom extensions and a package's access
// reviews, each checked with axe-core (no serious or critical
// violation), a picker used with the keyboard, and the same editor without
// JavaScript. Screenshots of every page at both sizes are kept.
//
// Usage: node pages.mjs <gatehouse base URL> <screenshot dir>
// (env GATEHOUSE_TEST_CHROMIUM: the Chromium binary). Run by tests/portal/browser.rs.

import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const axePath = require.resolve('axe-core/axe.min.js');
const [base, shots] = process.argv.slice(2);
if (!base || !shots) {
  console.error('usage: node pages.mjs <base URL> <screenshot dir>');
  process.exit(2);
}
mkdirSync(shots, { recursive: true });

const browser = await chromium.launch({
  executablePath: process.env.GATEHOUSE_TEST_CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
});
const sizes = { desktop: { width: 1280, height: 900 }, phone: { width: 390, height: 844 } };
function expect(cond, what) {
  if (!cond) throw new Error(`expected: ${what}`);
  console.log(`seen: ${what}`);
}
async function signedIn(who, options = {}) {
  // bypassCSP lets the test inject axe-core; the pages themselves run no inline script.
  const context = await browser.newContext({ viewport: sizes.desktop, bypassCSP: true, ...options });
  const page = await context.newPage();
  await page.goto(`${base}/auth/login`);
  await page.click(`button:has-text("${who}")`);
  await page.waitForURL(`${base}/`);
  return page;
}
// Each page: screenshots at both sizes, and axe at desktop width.
async function check(page, name) {
  for (const [size, viewport] of Object.entries(sizes)) {
    await page.setViewportSize(viewport);
    await page.screenshot({ path: join(shots, `${name}-${size}.png`), fullPage: true });
  }
  await page.setViewportSize(sizes.desktop);
  await page.addScriptTag({ path: axePath });
  const result = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
  });
  if (result.length) {
    throw new Error(`axe found on ${name}:\n  ${result.join('\n  ')}`);
  }
  console.log(`seen: no serious accessibility violations on ${name}`);
}

try {
  // An employee: My Access and its tabs, and a request.
  const eric = await signedIn('Eric Employee');
  expect(await eric.isVisible('nav[aria-label="My Access"] >> text=Request history'), 'My Access has its tabs');
  await check(eric, 'my-access-available');
  const card = eric.locator('article', { hasText: 'Marketing resources for employees' });
  await card.locator('a').first().click();
  await eric.waitForSelector('#justification');
  await check(eric, 'request-form');
  await eric.fill('#justification', 'The spring campaign');
  await eric.click('button:has-text("Request access")');
  await eric.waitForURL(`${base}/requests`);
  expect(await eric.isVisible('text=Pending approval'), 'the request is in the request history');
  await check(eric, 'request-history');
  await eric.click('table >> a:has-text("Marketing resources for employees")');
  await eric.waitForSelector('dl.props >> text=Justification');
  expect(await eric.isVisible('button:has-text("Cancel request")'), 'the request can be canceled from its page');
  await check(eric, 'request-details');
  await eric.goto(`${base}/?view=active`);
  expect(await eric.isVisible('nav[aria-label="Access packages"] >> text=Active'), 'the Active view');
  await check(eric, 'my-access-active');
  await eric.goto(`${base}/?view=expired`);
  await check(eric, 'my-access-expired');

  // The manager approves it from the Approvals tab.
  const maria = await signedIn('Maria Manager');
  await maria.click('nav[aria-label="My Access"] >> text=Approvals');
  expect(await maria.isVisible('text=Eric Employee'), 'the request waits in the Approvals tab');
  await check(maria, 'approvals');
  await maria
    .locator('tr', { hasText: 'Marketing resources for employees' })
    .filter({ hasText: 'Eric Employee' })
    .locator('a:has-text("Review")')
    .first()
    .click();
  await maria.waitForSelector('button[value="approve"]');
  await check(maria, 'approval-page');
  if (await maria.isVisible('#justification')) {
    await maria.fill('#justification', 'For the campaign');
  }
  await maria.click('button[value="approve"]');
  await maria.waitForLoadState();
  await maria.goto(`${base}/approvals`);
  expect(await maria.isVisible('table >> text=Approved'), 'the decision is in the history');

  // The administrator: the console home, a package, the policy editor.
  const ada = await signedIn('Ada Admin');
  await ada.goto(`${base}/admin`);
  expect(await ada.isVisible('nav[aria-label="Console"] >> text=Entitlement management'), 'the console navigation is grouped');
  expect(await ada.isVisible('text=Needs attention'), 'the console home says what needs attention');
  await check(ada, 'console-home');
  await ada.click('nav[aria-label="Console"] >> text=Access packages');
  await ada.click('a:has-text("Marketing resources for employees")');
  await ada.waitForSelector('nav[aria-label="Access package"]');
  await check(ada, 'package');
  await ada.click('nav[aria-label="Access package"] >> text=Policies');
  await ada.click('a:has-text("Add policy")');
  await ada.waitForSelector('#policy_name');
  await check(ada, 'policy-editor');

  // The policy opens on its Basics, as Entra's does.
  expect(await ada.isVisible('#policy_name'), 'a new policy starts with its name');
  // A picker, with the keyboard: type, pick the suggestion, see the chip.
  await ada.click('a[href="#step-requests"]');
  await ada.check('input[value="specificDirectoryUsers"]');
  const search = ada.locator('#target_users-search');
  await search.fill('maria');
  await ada.waitForSelector('#target_users-suggestions [role=option]');
  await search.press('ArrowDown');
  await search.press('Enter');
  await ada.waitForSelector('.picker .chip:has-text("maria.manager@gatehouse.demo")');
  expect((await ada.inputValue('#target_users')).includes('maria.manager@gatehouse.demo'), 'the picker writes the chosen address into the field');
  for (const [size, viewport] of Object.entries(sizes)) {
    await ada.setViewportSize(viewport);
    await ada.screenshot({ path: join(shots, `picker-${size}.png`), fullPage: false });
  }

  // "+ Add translation" with the script: one more language and text in the
  // question, named with the next index, and nothing posted.
  await ada.click('a[href="#step-requestor"]');
  const question = ada.locator('.question-row').first();
  const translations = await question.locator('.translation-row').count();
  await question.locator('button[data-add-sibling=".translation-row"]').click();
  expect((await question.locator('.translation-row').count()) === translations + 1, 'adding a translation adds a row in the page');
  expect((await question.locator('.translation-row select').last().getAttribute('name')) === `q0_lang${translations}`, 'the new translation takes the next index');
  for (const [size, viewport] of Object.entries(sizes)) {
    await ada.setViewportSize(viewport);
    await question.screenshot({ path: join(shots, `question-${size}.png`) });
  }
  await ada.setViewportSize(sizes.desktop);
  const choices = await question.locator('input.choice-row').count();
  await question.locator('button[data-add-sibling="input.choice-row"]').click();
  expect((await question.locator('input.choice-row').last().getAttribute('name')) === `q0_choice${choices}`, 'adding a choice adds a field in the page');
  // A question added after it starts blank: no language chosen, one row.
  await question.locator('.translation-row select').first().selectOption('fr-FR');
  await ada.click('button[data-add-row=".question-row"]');
  const added = ada.locator('.question-row').last();
  expect((await added.locator('.translation-row').count()) === 1 && (await added.locator('.translation-row select').inputValue()) === '', 'a question added in the page starts without translations');

  // Without JavaScript: the same field is a plain text area, and "+ Add
  // question" posts the form back with one more blank row.
  const plain = await signedIn('Ada Admin', { javaScriptEnabled: false });
  await plain.goto(ada.url());
  await plain.goto(`${ada.url().split('#')[0]}`);
  expect(await plain.isVisible('#step-basics'), 'the policy editor works without JavaScript');
  const before = await plain.locator('.question-row').count();
  await plain.click('a[href="#step-requestor"]');
  await plain.click('button:has-text("+ Add question")');
  await plain.waitForLoadState();
  expect((await plain.locator('.question-row').count()) === before + 1, 'adding a question without JavaScript adds a row');

  // The picker without JavaScript: search, tick a match, add it to the field.
  await plain.click('a[href="#step-requests"]');
  await plain.check('input[value="specificDirectoryUsers"]');
  await plain.fill('input[name="pickq:target_users"]', 'maria');
  await plain.click('button[name="pick"][value="user:target_users"]');
  await plain.waitForLoadState();
  await plain.check('.pick-results input[value="maria.manager@gatehouse.demo"]');
  for (const [size, viewport] of Object.entries(sizes)) {
    await plain.setViewportSize(viewport);
    await plain.screenshot({ path: join(shots, `picker-no-script-${size}.png`), fullPage: false });
  }
  await plain.click('.pick-results button:has-text("Add selected")');
  await plain.waitForLoadState();
  expect((await plain.inputValue('#target_users')).includes('maria.manager@gatehouse.demo'), 'the picked address is in the field without JavaScript');
  // A catalog's Custom extensions tab, and a package's Access reviews tab.
  await ada.goto(`${base}/admin/catalogs`);
  await ada.click('a:has-text("Marketing")');
  await ada.click('nav[aria-label="Catalog"] >> text=Custom extensions');
  expect(await ada.isVisible('h2:has-text("New custom extension")'), 'the Custom extensions tab');
  await check(ada, 'custom-extensions');
  // A required attribute's question in other languages: "+ Add translation"
  // adds a row in that attribute, named with the next index, and "+ Add
  // attribute" a blank attribute with one blank translation row.
  await ada.click('nav[aria-label="Catalog"] >> text=Resources');
  await ada.locator('a[href$="/attributes"]').first().click();
  await ada.waitForLoadState();
  const attribute = ada.locator('.required-attribute').first();
  const given = await attribute.locator('.translation-row').count();
  await attribute.locator('button[data-add-sibling=".translation-row"]').click();
  expect((await attribute.locator('.translation-row').count()) === given + 1 && (await attribute.locator('.translation-row select').last().getAttribute('name')) === `lang${given}_0`, 'the translation added to an attribute takes the next index');
  const label = (await attribute.locator('.translation-row').last().locator('label').first().textContent()).trim();
  expect(label.startsWith(`Language ${given + 1}`), 'the translation added to an attribute is numbered in its labels');
  await attribute.locator('.translation-row select').last().selectOption('fr-FR');
  await ada.click('button[data-add-row=".required-attribute"]');
  const attributes = await ada.locator('.required-attribute').count();
  const blank = ada.locator('.required-attribute').last().locator('.translation-row');
  expect((await blank.count()) === 1 && (await blank.locator('select').getAttribute('name')) === `lang0_${attributes - 1}` && (await blank.locator('select').inputValue()) === '', 'an attribute added in the page starts without translations');
  await check(ada, 'required-attributes');
  await ada.goto(`${base}/admin/access-packages`);
  await ada.click('a:has-text("Marketing resources for employees")');
  await ada.click('nav[aria-label="Access package"] >> text=Access reviews');
  expect(await ada.isVisible('text=No access review of this package yet.'), 'the Access reviews tab');
  await check(ada, 'access-reviews');
  await eric.goto(`${base}/access-reviews`);
  await check(eric, 'my-access-reviews');
  console.log('ok: pages checked');
} catch (e) {
  console.error(e);
  process.exitCode = 1;
} finally {
  await browser.close();
}

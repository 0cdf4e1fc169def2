// Datencockpit end to end in real headless Chromium: sign in through the demo identity provider
// as a sample person, see the transfers made for that person, open one, see it verified (the
// page checks the salted commitment, the Merkle proof, the checkpoint's Ed25519 signature and the
// witness's cosignature with WebCrypto), keep screenshots of the list and the detail at phone
// width (390 px) and desktop width (1280 px). Across visits: the page remembers the checkpoint it
// verified; on the next visit the log has grown (GROW_COMMAND adds a transfer) and the page checks
// the consistency proof; a remembered checkpoint the log does not extend is shown as a warning.
// Usage: node cockpit.e2e.mjs <base-url> <person-index> <expected-transfers> <screenshot.png>
// (the detail at phone width; the others beside it as <name>-list-phone.png, -list-desktop.png,
// -detail-desktop.png). Accessibility (BITV 2.0 / WCAG 2.1 AA): axe-core on every view (sign-in,
// the provider's page, list, overview, detail, English), zero serious or critical violations (the
// findings kept as axe-<view>.json); a keyboard-only walk (sign-in, list, detail, back, language,
// logout); no horizontal scrolling at 390 px and at 200 % zoom (1280 px / 2). The first page after
// sign-in is timed in the browser.
import { execSync } from 'node:child_process';
import fs from 'node:fs';
import { launchChromium } from './browser.mjs';
import AxeBuilder from '@axe-core/playwright';

const [base, person, expected, screenshot] = process.argv.slice(2);
const shot = (suffix) => screenshot.replace(/\.png$/, `-${suffix}.png`);
const fail = (message) => { console.error(`cockpit e2e: ${message}`); process.exit(1); };

const browser = await launchChromium();
try {
  // The gateway's certificate comes from the test's own demo CA, which this browser does not
  // know; certificate errors are accepted for this test browser only.
  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 390, height: 844 } });
  const page = await context.newPage();
  const blocked = [];
  page.on('request', (request) => { if (!request.url().startsWith(base)) blocked.push(request.url()); });
  const cspViolations = [];
  page.on('console', (message) => { if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text()); });

  const artifacts = screenshot.replace(/\/[^/]*$/, '');
  const axeFindings = [];
  const axe = async (view) => {
    const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
    fs.writeFileSync(`${artifacts}/axe-${view}.json`, JSON.stringify(results.violations, null, 2));
    const serious = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    if (serious.length) fail(`axe, ${view}: ${serious.map((v) => `${v.id} (${v.impact}, ${v.nodes.length}x: ${v.nodes[0].target})`).join('; ')}`);
    axeFindings.push(`${view} ${results.violations.length}`);
  };
  const noHorizontalScroll = async (view) => {
    const [scroll, inner] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
    if (scroll > inner) fail(`${view}: horizontal scrolling (${scroll} px content in ${inner} px)`);
  };

  await page.goto(`${base}/cockpit/`);
  await page.screenshot({ path: shot('signin-phone'), fullPage: true });
  await axe('signin');
  // Sign-in as a citizen does it: the cockpit's button, the provider's page (OpenID Connect code
  // flow with PKCE), back to the cockpit.
  await page.click('#signin-link');
  await page.waitForSelector('#person option', { state: 'attached' });
  await page.screenshot({ path: shot('provider-phone'), fullPage: true });
  await noHorizontalScroll('the provider at 390 px');
  await axe('provider');
  if (!page.url().includes('/cockpit/demo-idp/authorize?') || !page.url().includes('code_challenge_method=S256')) {
    fail(`the sign-in did not go to the provider with PKCE: ${page.url()}`);
  }
  await page.selectOption('#person', person);
  await page.click('button[name=login]');
  await page.waitForSelector('#transfers tbody tr', { timeout: 15000 });
  const rows = await page.locator('#transfers tbody tr').count();
  if (rows < Number(expected)) fail(`expected ${expected} transfers, saw ${rows}`);
  const table = await page.innerText('#transfers tbody');
  if (!/Bürgeramt Hannover/.test(table) || !/Geburtsurkunde/.test(table) || !/übermittelt/.test(table)) {
    fail(`the list does not show the delivered birth certificates: ${table}`);
  }

  if (!/nichts übermittelt/.test(table) || !/abgelehnt/.test(table)) fail(`the refused request is not said plainly: ${table}`);
  if (!/hat am .* Ihre Geburtsurkunde beim .* abgerufen, um Ihren Antrag auf eine Sozialleistung zu prüfen\./.test(table)) {
    fail(`no plain sentence for the transfer: ${table}`);
  }
  if (/leistungsgewaehrung|UNKNOWN_AUTHORITY|NOT_PERMITTED/.test(table)) fail(`codes instead of words: ${table}`);
  await page.waitForFunction(() => document.querySelector('#overview-chart svg rect') !== null, null, { timeout: 15000 });
  const summary = await page.innerText('#overview-summary');
  if (!/Abrufe mit Übermittlung/.test(summary) || !/abgelehnt/.test(summary)) fail(`overview: ${summary}`);
  await page.screenshot({ path: shot('list-phone'), fullPage: true });
  await noHorizontalScroll('list at 390 px');
  await axe('list-phone');
  // Only the refused ones.
  await page.selectOption('#outcome', 'refused');
  await page.click('#filters button[type=submit]');
  await page.waitForFunction(() => [...document.querySelectorAll('#transfers tbody tr')].every((r) => r.classList.contains('refused')), null, { timeout: 15000 });
  await page.selectOption('#outcome', '');
  await page.click('#filters button[type=submit]');
  await page.waitForFunction((n) => document.querySelectorAll('#transfers tbody tr').length >= n, Number(expected), { timeout: 15000 });

  // The log's checkpoint, verified in the browser and remembered: first visit.
  const logState = async () => {
    await page.waitForSelector('#log-status[data-state]', { timeout: 15000 });
    return [await page.getAttribute('#log-status', 'data-state'), await page.innerText('#log-status')];
  };
  let [state, text] = await logState();
  if (state !== 'first' || !/von 1 unabhängigen Zeugen bestätigt/.test(text)) fail(`first visit: ${state}: ${text}`);
  // The next visit, after the log grew: the new checkpoint extends the remembered one.
  if (process.env.GROW_COMMAND) execSync(process.env.GROW_COMMAND);
  await new Promise((resolve) => setTimeout(resolve, 2500));  // a checkpoint and its cosignature
  await page.reload();
  // The first page of the list, timed in the browser from the start of the navigation.
  const firstPageMs = await (await page.waitForFunction(
    () => document.querySelectorAll('#transfers tbody tr').length > 0 && performance.now(), null, { timeout: 15000 })).jsonValue();
  [state, text] = await logState();
  if (state !== 'ok' || !/nur ergänzt/.test(text)) fail(`second visit: ${state}: ${text}`);
  if (firstPageMs > 5000) fail(`the first page took ${firstPageMs} ms`);

  await page.locator('#transfers tbody tr button').first().click();
  await page.waitForSelector('#proof-status[data-verified]', { timeout: 15000 });
  const verified = await page.getAttribute('#proof-status', 'data-verified');
  const status = await page.innerText('#proof-status');
  await page.screenshot({ path: screenshot, fullPage: true });
  if (verified !== 'yes') fail(`proof not verified: ${status}`);
  if (!/Geprüft/.test(status)) fail(`unexpected status text: ${status}`);
  const detailText = await page.innerText('#detail');
  for (const part of ['Übermittelte Angaben', 'Familienname', 'Kennung der Anfrage', 'Fragen und Beschwerden', 'Datenschutzbeauftragte']) {
    if (!detailText.includes(part)) fail(`the detail does not show "${part}": ${detailText}`);
  }
  if (/"leaf_hash"|"salt"/.test(detailText)) fail('the raw proof is shown');
  await noHorizontalScroll('detail at 390 px');
  await axe('detail-phone');

  // The same views on a desktop screen.
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.screenshot({ path: shot('detail-desktop'), fullPage: true });
  await axe('detail-desktop');
  await page.click('#back');
  await page.waitForSelector('#transfers tbody tr', { timeout: 15000 });
  await page.screenshot({ path: shot('list-desktop'), fullPage: true });
  await axe('list-desktop');
  // The verifiable Auskunft: downloaded, checked by oncegate-logverify --proof and by the page
  // itself; a copy with one changed record fails both.
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#auskunft')]);
  const auskunft = `${artifacts}/auskunft.json`;
  await download.saveAs(auskunft);
  const copy = JSON.parse(fs.readFileSync(auskunft, 'utf8'));
  if (copy.entries.length < Number(expected)) fail(`the Auskunft has ${copy.entries.length} entries`);
  if (process.env.VERIFY_COMMAND) {
    const out = execSync(`${process.env.VERIFY_COMMAND} ${auskunft}`).toString();
    if (!out.startsWith(`OK: ${copy.entries.length} entries`)) fail(`oncegate-logverify --proof: ${out}`);
  }
  await page.setInputFiles('#auskunft-file', auskunft);
  await page.waitForSelector('#auskunft-status[data-verified]', { timeout: 15000 });
  if ((await page.getAttribute('#auskunft-status', 'data-verified')) !== 'yes') fail(`the page did not verify the Auskunft: ${await page.innerText('#auskunft-status')}`);
  const forged = JSON.parse(JSON.stringify(copy));
  forged.entries[0].record = forged.entries[0].record.replace('"geburtsurkunde"', '"meldebescheinigung"');
  const forgedFile = `${artifacts}/auskunft-forged.json`;
  fs.writeFileSync(forgedFile, JSON.stringify(forged));
  if (process.env.VERIFY_COMMAND) {
    let refused = false;
    try { execSync(`${process.env.VERIFY_COMMAND} ${forgedFile}`, { stdio: 'pipe' }); } catch (e) { refused = e.status === 1; }
    if (!refused) fail('oncegate-logverify --proof accepted a changed record');
  }
  await page.setInputFiles('#auskunft-file', forgedFile);
  await page.waitForSelector('#auskunft-status[data-verified="no"]', { timeout: 15000 });

  // The filter row at desktop width: one line, every control the same height and top.
  const boxes = await page.$$eval('#filters input, #filters select, #filters button', (els) => els.map((e) => {
    const r = e.getBoundingClientRect();
    return [Math.round(r.top), Math.round(r.height)];
  }));
  if (new Set(boxes.map((b) => b.join('/'))).size !== 1) fail(`the filter row is not aligned at 1280 px: ${JSON.stringify(boxes)}`);
  // 200 % zoom: a 1280 px screen shows 640 CSS pixels.
  await page.setViewportSize({ width: 640, height: 400 });
  await noHorizontalScroll('list at 200 %');
  await page.screenshot({ path: shot('list-zoom200'), fullPage: true });
  await page.setViewportSize({ width: 1280, height: 800 });

  // English toggle.
  await page.click('#lang');
  if (!/Retrievals of your data/.test(await page.innerText('#list-title')) || !/Birth certificate|birth certificate/.test(await page.innerText('#transfers tbody'))) {
    fail('the English toggle did not switch the language');
  }
  await axe('list-english');
  await page.click('#lang');
  // Last, so that the screenshots above show an intact log (the reload below is in German again).
  // A log that no longer contains what this browser saw (here: the remembered root is another
  // one, as if the log had been rewritten since): the page says so in plain words.
  await page.evaluate(() => {
    for (const key of Object.keys(localStorage).filter((k) => k.startsWith('oncegate.seen.'))) {
      const seen = JSON.parse(localStorage.getItem(key));
      seen.root = '00'.repeat(32);
      localStorage.setItem(key, JSON.stringify(seen));
    }
  });
  await page.reload();
  await page.waitForSelector('#transfers tbody tr', { timeout: 15000 });
  [state, text] = await logState();
  if (state !== 'forked' || !/nachträglich verändert/.test(text)) fail(`rewritten log not shown: ${state}: ${text}`);
  await page.screenshot({ path: shot('log-warning'), fullPage: true });
  await page.evaluate(() => localStorage.clear());
  // Logout ends the session and goes through the provider's end-session endpoint back here.
  await page.click('#logout');
  await page.waitForFunction(() => /abgemeldet/.test(document.getElementById('signin-error').textContent), null, { timeout: 15000 })
    .catch(() => fail('logout did not say so'));
  const after = await page.evaluate(async () => (await fetch('/cockpit/api/transfers', { headers: { 'X-Oncegate-Cockpit': '1' } })).status);
  if (after !== 401) fail(`after logout the API answered ${after}`);
  // Keyboard only, in a fresh browser: sign in, list, detail, back, language, logout.
  const keyboard = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 800 } });
  const kpage = await keyboard.newPage();
  const tabTo = async (selector, key = 'Tab') => {
    for (let i = 0; i < 80; i += 1) {
      if (await kpage.evaluate((sel) => document.activeElement !== null && document.activeElement.matches(sel), selector)) return;
      await kpage.keyboard.press(key);
    }
    fail(`keyboard: ${selector} cannot be reached with ${key}`);
  };
  await kpage.goto(`${base}/cockpit/`);
  await tabTo('#signin-link');
  await kpage.keyboard.press('Enter');
  await kpage.waitForSelector('#person option', { state: 'attached' });
  await tabTo('button[name=login]');
  await kpage.keyboard.press('Enter');
  await kpage.waitForSelector('#transfers tbody tr', { timeout: 15000 });
  await tabTo('#transfers tbody button');
  await kpage.keyboard.press('Enter');
  await kpage.waitForSelector('#proof-status[data-verified]', { timeout: 15000 });
  await tabTo('#back');
  await kpage.keyboard.press('Enter');
  await kpage.waitForSelector('#list:not([hidden])');
  await tabTo('#lang', 'Shift+Tab');
  await kpage.keyboard.press('Enter');
  if ((await kpage.getAttribute('html', 'lang')) !== 'en') fail('keyboard: the language did not switch');
  await tabTo('#logout');
  await kpage.keyboard.press('Enter');
  await kpage.waitForFunction(() => /abgemeldet|signed out/.test(document.getElementById('signin-error').textContent), null, { timeout: 15000 })
    .catch(() => fail('keyboard: logout did not finish'));
  await keyboard.close();
  if (blocked.length) fail(`requests outside the gateway: ${blocked.join(', ')}`);
  if (cspViolations.length) fail(`CSP violations: ${cspViolations.join('; ')}`);
  console.log(`cockpit e2e: ${rows} transfers listed, proof and witnessed checkpoint verified in the browser, a rewritten log detected, screenshot ${screenshot}`);
  console.log(`cockpit e2e: first page rendered in ${Math.round(firstPageMs)} ms; axe (violations below serious, per view): ${axeFindings.join(', ')}; keyboard walk and reflow passed`);
  console.log('1 passed, 0 failed');
} finally {
  await browser.close();
}

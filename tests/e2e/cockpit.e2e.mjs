// Datencockpit end to end in real headless Chromium: sign in through the demo identity provider
// as a sample person, see the transfers made for that person, open one, see it verified (the
// page checks the salted commitment, the Merkle proof, the checkpoint's Ed25519 signature and the
// witness's cosignature with WebCrypto), keep screenshots of the list and the detail at phone
// width (390 px) and desktop width (1280 px). Across visits: the page remembers the checkpoint it
// verified; on the next visit the log has grown (GROW_COMMAND adds a transfer) and the page checks
// the consistency proof; a remembered checkpoint the log does not extend is shown as a warning.
// Usage: node cockpit.e2e.mjs <base-url> <person-index> <expected-transfers> <screenshot.png>
// (the detail at phone width; the others beside it as <name>-list-phone.png, -list-desktop.png,
// -detail-desktop.png)
import { execSync } from 'node:child_process';
import { chromium } from 'playwright-core';

const [base, person, expected, screenshot] = process.argv.slice(2);
const shot = (suffix) => screenshot.replace(/\.png$/, `-${suffix}.png`);
const fail = (message) => { console.error(`cockpit e2e: ${message}`); process.exit(1); };

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
         '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  // The gateway's certificate comes from the test's own demo CA, which this browser does not
  // know; certificate errors are accepted for this test browser only.
  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 390, height: 844 } });
  const page = await context.newPage();
  const blocked = [];
  page.on('request', (request) => { if (!request.url().startsWith(base)) blocked.push(request.url()); });
  const cspViolations = [];
  page.on('console', (message) => { if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text()); });

  // Sign-in as a citizen does it: the cockpit's button, the provider's page (OpenID Connect code
  // flow with PKCE), back to the cockpit.
  await page.goto(`${base}/cockpit/`);
  await page.click('#signin-link');
  await page.waitForSelector('#person option', { state: 'attached' });
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

  await page.screenshot({ path: shot('list-phone'), fullPage: true });

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
  await page.waitForSelector('#transfers tbody tr', { timeout: 15000 });
  [state, text] = await logState();
  if (state !== 'ok' || !/nur ergänzt/.test(text)) fail(`second visit: ${state}: ${text}`);

  await page.locator('#transfers tbody tr button').first().click();
  await page.waitForSelector('#proof-status[data-verified]', { timeout: 15000 });
  const verified = await page.getAttribute('#proof-status', 'data-verified');
  const status = await page.innerText('#proof-status');
  await page.screenshot({ path: screenshot, fullPage: true });
  if (verified !== 'yes') fail(`proof not verified: ${status}`);
  if (!/Geprüft/.test(status)) fail(`unexpected status text: ${status}`);

  // The same views on a desktop screen.
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.screenshot({ path: shot('detail-desktop'), fullPage: true });
  await page.click('#back');
  await page.waitForSelector('#transfers tbody tr', { timeout: 15000 });
  await page.screenshot({ path: shot('list-desktop'), fullPage: true });

  // English toggle.
  await page.click('#lang');
  if (!/Verified/.test(await page.innerText('#proof-status')) && !/Transfer details/.test(await page.innerText('#detail-title'))) {
    fail('the English toggle did not switch the language');
  }
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
  if (blocked.length) fail(`requests outside the gateway: ${blocked.join(', ')}`);
  if (cspViolations.length) fail(`CSP violations: ${cspViolations.join('; ')}`);
  console.log(`cockpit e2e: ${rows} transfers listed, proof and witnessed checkpoint verified in the browser, a rewritten log detected, screenshot ${screenshot}`);
  console.log('1 passed, 0 failed');
} finally {
  await browser.close();
}

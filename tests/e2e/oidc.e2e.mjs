// The Datencockpit signing in at node-oidc-provider (see oidc_run.sh) in headless Chromium: the
// cockpit's button, the provider's own login page, back with the code; the list; logout through
// the provider's end-session endpoint; signing in again asks for the login again (the provider's
// session ended); an unknown account comes back as a cancelled sign-in, said in plain words.
// Usage: node oidc.e2e.mjs <cockpit-base-url> <issuer> <expected-transfers> <artifact-dir>
import { launchChromium } from './browser.mjs';

const [base, issuer, expected, artifacts] = process.argv.slice(2);
const fail = (message) => { console.error(`oidc e2e: ${message}`); process.exit(1); };

const browser = await launchChromium();
try {
  // Both the gateway's and the provider's certificates come from the test's own CAs.
  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const signIn = async (account) => {
    await page.goto(`${base}/cockpit/`);
    await page.click('#signin-link');
    await page.waitForURL((url) => url.href.startsWith(issuer), { timeout: 15000 });
    const login = new URL(page.url());
    await page.waitForSelector('#account', { timeout: 15000 });
    await page.fill('#account', account);
    await page.click('#op-login');
    return login;
  };

  await signIn('anna');
  await page.waitForSelector('#transfers tbody tr', { timeout: 15000 });
  const rows = await page.locator('#transfers tbody tr').count();
  if (rows < Number(expected)) fail(`expected ${expected} transfers, saw ${rows}`);
  if (!/Geburtsurkunde/.test(await page.innerText('#transfers tbody'))) fail('the transfers are not listed');
  await page.screenshot({ path: `${artifacts}/oidc-list.png`, fullPage: true });

  // Logout: the cockpit's session ends, and the provider's (it asks to confirm).
  await page.click('#logout');
  await page.waitForURL((url) => url.href.startsWith(issuer), { timeout: 15000 });
  await page.screenshot({ path: `${artifacts}/oidc-logout.png`, fullPage: true });
  await page.click('button[type=submit][value=yes], button[name=logout]');
  await page.waitForURL((url) => url.href.startsWith(`${base}/cockpit/`), { timeout: 15000 });
  await page.waitForSelector('#signin:not([hidden])', { timeout: 15000 });
  const status = await page.evaluate(async () => (await fetch('/cockpit/api/transfers')).status);
  if (status !== 401) fail(`after logout the API answered ${status}`);

  // Signing in again: the provider asks again (its session is over), and an account it does not
  // know ends as a cancelled sign-in.
  await signIn('nobody');
  await page.waitForURL((url) => url.href.startsWith(`${base}/cockpit/`), { timeout: 15000 });
  await page.waitForFunction(() => document.getElementById('signin-error').textContent.length > 0, null, { timeout: 15000 });
  const notice = await page.innerText('#signin-error');
  if (!/abgebrochen/.test(notice)) fail(`an unknown account was not shown as a cancelled sign-in: ${notice}`);
  await page.screenshot({ path: `${artifacts}/oidc-cancelled.png`, fullPage: true });
  console.log(`oidc e2e: signed in at ${issuer} (node-oidc-provider), ${rows} transfers listed, logout ended both sessions`);
  console.log('1 passed, 0 failed');
} finally {
  await browser.close();
}

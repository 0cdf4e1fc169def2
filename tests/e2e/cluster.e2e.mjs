// The Datencockpit of a cluster in real headless Chromium, through HAProxy (each connection may
// reach another node; the sign-in state and the session are in Redis): the person's list
// holds the transfers of all three nodes' logs, the page checks every node's log (one checkpoint
// per origin, each with its own pinned key), a transfer recorded by node 2 is proven in node 2's
// log in the browser; with node 3 stopped (STOP_COMMAND) the page names it as not answering.
// Screenshots: <artifacts>/cluster-list-phone.png, cluster-detail-phone.png, cluster-missing-phone.png.
// Usage: node cluster.e2e.mjs <the balanced cockpit's base URL> <person index> <artifact dir>
import { execSync } from 'node:child_process';
import { launchChromium } from './browser.mjs';

const [base, person, artifacts] = process.argv.slice(2);
const fail = (message) => { console.error(`cluster e2e: ${message}`); process.exit(1); };

const browser = await launchChromium();
try {
  // The nodes' certificate comes from the cluster's demo CA, which this browser does not know.
  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 390, height: 844 } });
  const page = await context.newPage();
  await page.goto(`${base}/cockpit/`);
  await page.click('#signin-link');
  await page.waitForSelector('#person option', { state: 'attached' });
  await page.selectOption('#person', person);
  await page.click('button[name=login]');
  await page.waitForSelector('#transfers tbody tr', { timeout: 15000 });

  const nodesOfRows = async () => {
    const ids = await page.$$eval('#transfers tbody tr button', (buttons) => buttons.map((b) => b.dataset.id));
    return [...new Set(ids.map((id) => id.split('/')[0]))].sort();
  };
  const seen = await nodesOfRows();
  if (seen.join(' ') !== 'node-1 node-2 node-3') fail(`the list holds transfers of ${seen.join(', ')}, not of all three nodes`);
  await page.waitForSelector('#log-status[data-state]', { timeout: 15000 });
  const state = await page.getAttribute('#log-status', 'data-state');
  const text = await page.innerText('#log-status');
  if (state !== 'first' || !/alle 3 Teilprotokolle/.test(text)) fail(`the three logs were not all checked: ${state}: ${text}`);
  if (await page.isVisible('#nodes-missing')) fail(`a node is named as missing: ${await page.innerText('#nodes-missing')}`);
  await page.screenshot({ path: `${artifacts}/cluster-list-phone.png`, fullPage: true });

  // A transfer of node 2, opened at whichever node serves: proven in node 2's log, in this browser.
  await page.locator('#transfers tbody tr button[data-id^="node-2/"]').first().click();
  await page.waitForSelector('#proof-status[data-verified]', { timeout: 15000 });
  const verified = await page.getAttribute('#proof-status', 'data-verified');
  const proof = await page.$eval('#proof-fields', (list) => list.textContent);  // inside a closed <details>
  await page.screenshot({ path: `${artifacts}/cluster-detail-phone.png`, fullPage: true });
  if (verified !== 'yes') fail(`node 2's transfer was not verified: ${await page.innerText('#proof-status')}`);
  if (!proof.includes('log/node-2')) fail(`the proof does not name node 2's log: ${proof}`);
  await page.click('#back');

  // Node 3 stopped: named, and the others' transfers still there.
  execSync(process.env.STOP_COMMAND, { stdio: 'inherit' });
  await page.reload();
  await page.waitForSelector('#transfers tbody tr', { timeout: 15000 });
  await page.waitForSelector('#nodes-missing:not([hidden])', { timeout: 15000 });
  const missing = await page.innerText('#nodes-missing');
  if (!/node-3/.test(missing) || !/Nicht alle Server haben rechtzeitig geantwortet/.test(missing)) fail(`node 3 is not named: ${missing}`);
  const left = await nodesOfRows();
  if (left.join(' ') !== 'node-1 node-2') fail(`with node 3 stopped the list holds transfers of ${left.join(', ')}`);
  await page.screenshot({ path: `${artifacts}/cluster-missing-phone.png`, fullPage: true });
  console.log('cluster e2e: the list holds all three nodes\' transfers; node 2\'s proof verified in the browser; node 3 named while stopped');
} finally {
  await browser.close();
}

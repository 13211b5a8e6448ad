// Drives the employer's page /verify in Debian's Chromium (playwright-core from deploy/node's
// pinned lockfile) as an employer would, at one window width, and prints what the page showed.
// Input (stdin, JSON): {nodeDir, chromium, url, width, shots, valid, revoked, tampered, upload,
// uploadPath, unknown, holder: {family, given, birth, nrn}}.
import {createRequire} from 'node:module';
import {readFileSync} from 'node:fs';

const input = JSON.parse(readFileSync(0, 'utf8'));
const {chromium} = createRequire(input.nodeDir + '/')('playwright-core');

const browser = await chromium.launch({executablePath: input.chromium,
  args: ['--no-sandbox', '--disable-gpu']});
const context = await browser.newContext({viewport: {width: input.width, height: 1000}});
const page = await context.newPage();
const sent = [];
page.on('request', r => sent.push(`${r.method()} ${r.url()} ${r.postData() || ''}`));
const out = {errors: []};
page.on('pageerror', e => out.errors.push(String(e)));

async function settled() {
  await page.waitForFunction(() => {
    const a = document.getElementById('local-verdict').dataset.verdict;
    const b = document.getElementById('server-verdict').dataset.verdict;
    return a !== 'pending' && b !== 'pending';
  }, null, {timeout: 60000});
  return page.evaluate(() => ({
    local: document.getElementById('local-verdict').dataset.verdict,
    server: document.getElementById('server-verdict').dataset.verdict,
    revocation: document.getElementById('revocation').hidden ? null
      : document.getElementById('revocation').textContent,
    reasons: [...document.querySelectorAll('#reasons li')].map(li => li.textContent),
    facts: document.getElementById('facts').textContent,
    holderShown: !document.getElementById('holder').hidden,
    overflow: document.documentElement.scrollWidth > window.innerWidth,
  }));
}

async function reset() {  // so that settled() waits for the next verdicts, not the last ones
  await page.evaluate(() => {
    for(const id of ['local-verdict', 'server-verdict']) {
      document.getElementById(id).dataset.verdict = 'pending';
    }
  });
}

async function shot(name) {
  await page.screenshot({path: `${input.shots}/verify-${name}-${input.width}.png`, fullPage: true});
}

// 1. the QR link: /verify?id=<number>
await page.goto(`${input.url}/verify?id=${input.valid.number}`);
out.qr = await settled();
await page.waitForSelector('#holder', {state: 'visible', timeout: 10000}).catch(() => null);
out.qr.holderShown = await page.isVisible('#holder');
await shot('valid');
if(!out.qr.holderShown) { console.log(JSON.stringify(out)); process.exit(0); }

// 2. the holder check: a wrong identity, then the right one (never sent anywhere)
await page.fill('#family', input.holder.family + 'x');
await page.fill('#given', input.holder.given);
await page.fill('#birth', input.holder.birth);
await page.fill('#nrn', input.holder.nrn || '');
await page.click('#compare');
await page.waitForFunction(() => ['yes', 'no'].includes(document.getElementById('holder-result').dataset.match));
out.wrongHolder = await page.evaluate(() => document.getElementById('holder-result').dataset.match);
await page.fill('#family', input.holder.family.toLowerCase());
await page.click('#compare');
await page.waitForFunction(() => ['yes', 'no'].includes(document.getElementById('holder-result').dataset.match)
  && document.getElementById('holder-result').textContent !== 'Comparaison…');
out.rightHolder = await page.evaluate(() => document.getElementById('holder-result').dataset.match);
await shot('holder');

// 3. a revoked certificate typed by number
await reset();
await page.fill('#number', input.revoked.number);
await page.click('#find');
out.revoked = await settled();
await page.waitForFunction(() => /le \d/.test(document.getElementById('revocation').textContent));
out.revoked.revocation = await page.evaluate(() => document.getElementById('revocation').textContent);
await shot('revoked');

// 4. a tampered credential pasted
await reset();
await page.fill('#credential', JSON.stringify(input.tampered));
await page.click('#check');
out.tampered = await settled();
await shot('tampered');

// 5. a credential uploaded as a file
await reset();
await page.setInputFiles('#file', input.uploadPath);
out.upload = await settled();

// 6. an unknown number
await reset();
await page.fill('#number', input.unknown);
await page.click('#find');
out.unknown = await settled();

// 7. the server unreachable: the page and the status list are loaded; verify again offline
await context.setOffline(true);
await reset();
await page.fill('#credential', JSON.stringify(input.valid.credential));
await page.click('#check');
out.offline = await settled();
await reset();
await page.fill('#credential', JSON.stringify(input.tampered));
await page.click('#check');
out.offlineTampered = await settled();
await shot('offline');

out.sent = sent;
await browser.close();
console.log(JSON.stringify(out));

// Opens the API documentation pages (/docs: Swagger UI, /redoc: ReDoc) in Debian's Chromium
// (playwright-core from deploy/node's pinned lockfile) with every request that does not go to
// the loopback server aborted, and prints what each page rendered.
// Input (stdin, JSON): {nodeDir, chromium, url}. Output (stdout, JSON): per page, the operations
// shown, the requests blocked, the page errors and the Content-Security-Policy violations.
import {createRequire} from 'node:module';
import {readFileSync} from 'node:fs';

const input = JSON.parse(readFileSync(0, 'utf8'));
const {chromium} = createRequire(input.nodeDir + '/')('playwright-core');
const origin = new URL(input.url).origin;

const browser = await chromium.launch({executablePath: input.chromium,
  args: ['--no-sandbox', '--disable-gpu']});
const out = {};

async function open(path, selector, read) {
  const context = await browser.newContext({viewport: {width: 1280, height: 1000}});
  const seen = {blocked: [], errors: [], csp: [], served: []};
  await context.route('**/*', route => {
    const url = route.request().url();
    if(url.startsWith(origin + '/') || url.startsWith('data:')) {
      seen.served.push(url.slice(origin.length));
      return route.continue();
    }
    seen.blocked.push(url);
    return route.abort('blockedbyclient');
  });
  const page = await context.newPage();
  page.on('pageerror', e => seen.errors.push(String(e)));
  page.on('console', m => {
    if(/Content.Security.Policy/i.test(m.text())) seen.csp.push(m.text());
  });
  const response = await page.goto(input.url + path);
  seen.status = response.status();
  seen.policy = response.headers()['content-security-policy'] || null;
  try {
    await page.waitForSelector(selector, {timeout: 60000});
    seen.operations = await page.evaluate(read);
  } catch(e) {
    seen.operations = [];
    seen.errors.push(String(e));
  }
  await context.close();
  return seen;
}

out.docs = await open('/docs', '.opblock', () =>
  [...document.querySelectorAll('.opblock')].map(b =>
    b.querySelector('.opblock-summary-method').textContent.trim().toUpperCase() + ' ' +
    b.querySelector('.opblock-summary-path').getAttribute('data-path')));
out.redoc = await open('/redoc', '[data-section-id^="operation/"]', () =>
  [...document.querySelectorAll('[data-section-id^="operation/"]')].map(e =>
    e.getAttribute('data-section-id').slice('operation/'.length)));
await browser.close();
console.log(JSON.stringify(out));

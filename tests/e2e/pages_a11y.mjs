// Opens each page in Debian's Chromium (playwright-core from deploy/node's pinned lockfile) at one
// window width, as a reader would, and reports what a person (and a screen reader) meets there:
// horizontal overflow (document.documentElement.scrollWidth > window.innerWidth), a full-page
// screenshot, and the axe-core violations (WCAG 2.x A/AA rules, axe-core from the same lockfile).
// Input (stdin, JSON): {nodeDir, chromium, width, shots, pages: [{name, url, ready?}]}; `ready` is
// a CSS selector the page shows once it has finished its own work (e.g. a verdict).
import {createRequire} from 'node:module';
import {readFileSync} from 'node:fs';

const input = JSON.parse(readFileSync(0, 'utf8'));
const load = createRequire(input.nodeDir + '/');
const {chromium} = load('playwright-core');
const axeSource = readFileSync(load.resolve('axe-core/axe.min.js'), 'utf8');

const browser = await chromium.launch({executablePath: input.chromium,
  args: ['--no-sandbox', '--disable-gpu']});
// bypassCSP: the pages' own Content-Security-Policy would refuse the injected checker
const context = await browser.newContext({viewport: {width: input.width, height: 900}, bypassCSP: true,
  locale: 'fr-FR'});  // a French reader's browser (its own controls in French too)
const out = {};
for(const target of input.pages) {
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', e => errors.push(String(e)));
  await page.goto(target.url, {waitUntil: 'networkidle'});
  if(target.ready) await page.waitForSelector(target.ready, {timeout: 60000});
  await page.screenshot({path: `${input.shots}/${target.name}-${input.width}.png`, fullPage: true});
  const layout = await page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
    lang: document.documentElement.lang,
    title: document.title,
  }));
  await page.addScriptTag({content: axeSource});
  const result = await page.evaluate(() => window.axe.run(document, {
    runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']},
    resultTypes: ['violations'],
  }));
  out[target.name] = {
    ...layout,
    errors,
    passes: result.passes.length,
    violations: result.violations.map(v => ({
      id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ')),
    })),
  };
  await page.close();
}
await browser.close();
console.log(JSON.stringify(out));

// check.cjs: opens a viperbench page (report.html, compare-*.html, ...)
// from file:// in Debian's headless Chromium, driven by playwright-core
// (from build/web), and checks what a reader relies on:
//   - the page logs no error and loads nothing from anywhere;
//   - every flame graph is drawn, with as many frames as its data holds;
//   - clicking a frame zooms: it then spans the graph's whole width;
//   - no text from the record ran as script (window.__pwned, which the
//     hostile-input test's symbols and descriptions try to set);
// then saves a full-page screenshot.  Prints one JSON line per graph
// ({title, kind, frames, drawn}) for the calling test to compare with
// the frames it counts itself from perf.folded; exits 1 on a failure.
//
//   node check.cjs PAGE SCREENSHOT.png
'use strict';
const path = require('path');
const web = process.env.VIPER_WEB || path.join(__dirname, '../../build/web');
const { chromium } = require(path.join(web, 'node_modules/playwright-core'));

const [page_path, shot] = process.argv.slice(2);
if (!page_path || !shot) {
  console.error('usage: node check.cjs PAGE SCREENSHOT.png');
  process.exit(2);
}

function fail(msg) {
  console.error('check.cjs: ' + page_path + ': ' + msg);
  process.exitCode = 1;
}

(async () => {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
    timeout: 60000,
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors = [];
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('request', (r) => {
      if (!r.url().startsWith('file:') && !r.url().startsWith('data:'))
        errors.push('request to ' + r.url());
    });
    await page.goto('file://' + path.resolve(page_path), { waitUntil: 'load', timeout: 60000 });
    await page.waitForSelector('body[data-flames="ready"]', { timeout: 60000 });
    // Let the first transitions finish.
    await page.waitForTimeout(600);
    const graphs = await page.$$eval('div.flame', (els) => els.map((el) => ({
      id: el.id,
      title: el.querySelector('h3').textContent,
      kind: el.dataset.kind,
      frames: Number(el.dataset.frames),
      drawn: el.querySelectorAll('g.frame').length,
      width: Number(el.querySelector('svg').getAttribute('width')),
    })));
    for (const g of graphs) {
      console.log(JSON.stringify(g));
      if (g.drawn !== g.frames)
        fail(`${g.title}: ${g.drawn} frames drawn, its data has ${g.frames}`);
    }
    // Zoom: click the widest frame two levels below the process that is
    // narrower than the graph; it must then fill the width.
    for (const g of graphs.filter((x) => x.kind === 'profile').slice(0, 1)) {
      const target = await page.$$eval(`#${g.id} g.frame`, (fs, w) => {
        let best = -1, bw = 0;
        fs.forEach((f, i) => {
          const r = f.querySelector('rect');
          const width = Number(r.getAttribute('width'));
          if (width > bw && width < w * 0.95 && width > 20) { bw = width; best = i; }
        });
        return best;
      }, g.width);
      if (target < 0) { fail(`${g.title}: no frame narrow enough to zoom into`); continue; }
      const frame = (await page.$$(`#${g.id} g.frame`))[target];
      const before = Number(await frame.$eval('rect', (r) => r.getAttribute('width')));
      await frame.click();
      await page.waitForTimeout(900);
      const after = Number(await frame.$eval('rect', (r) => r.getAttribute('width')));
      console.log(JSON.stringify({ zoom: g.title, before, after, width: g.width }));
      if (!(after > before && after >= g.width * 0.99))
        fail(`${g.title}: clicking a frame of width ${before} left it ${after} wide (graph ${g.width})`);
      await page.click(`#${g.id} button.reset`);
      await page.waitForTimeout(600);
    }
    await page.screenshot({ path: shot, fullPage: true });
    // And the parts a reader looks at first: the top of the page and the
    // first graph of each kind, each its own picture.
    const base = shot.replace(/\.png$/, '');
    await page.screenshot({ path: base + '-top.png' });
    for (const kind of ['profile', 'diff']) {
      const el = await page.$(`div.flame[data-kind="${kind}"]`);
      if (el) await el.screenshot({ path: `${base}-${kind}.png` });
    }
    for (const e of errors) fail('page error: ' + e);
    // A record's text (a hostile symbol or description) must never run.
    if (await page.evaluate(() => window.__pwned !== undefined))
      fail('text from the record ran as script');
  } finally {
    await browser.close();
  }
})().catch((e) => { fail(String(e && e.stack || e)); });

#!/usr/bin/env node
/*
 * Keeps the dashboard open in headless Chromium for a while and reports
 * what the page received. Used by bench/bench_dashboard.sh.
 *   node bench/dashboard_open.js URL SECONDS [HASH]
 * (HASH "#netdata": URL is a Netdata agent; open its own dashboard)
 * Waits until the table has rows (and, with HASH, the container page has
 * drawn), then counts the bytes the page receives over the network
 * (Chrome DevTools Protocol Network.dataReceived: bytes on the wire,
 * chunked framing included) during SECONDS. Prints one JSON line:
 *   {"seconds", "bytes", "bytes_per_second", "frames", "rows",
 *    "page_busy_ms_per_s", "page_script_ms_per_s"}
 * page_busy is the page's main-thread time per second of wall time
 * (Performance.getMetrics TaskDuration): what keeping it live costs the
 * browser, and how far it is from falling behind (1000 ms/s).
 */
'use strict';
const path = require('path');
const { chromium } = require(path.join(__dirname, '../tests/e2e/node_modules/playwright-core'));

(async () => {
  const [url, secs, hash] = [process.argv[2], Number(process.argv[3] || 30), process.argv[4] || ''];
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Network.enable');
    let bytes = 0, frames = 0, counting = false;
    cdp.on('Network.dataReceived', (e) => { if (counting) bytes += e.encodedDataLength || e.dataLength; });
    cdp.on('Network.eventSourceMessageReceived', () => { if (counting) frames++; });
    await page.goto(url + '/' + (hash === '#netdata' ? '' : hash));
    if (hash === '#netdata') {
      /* Netdata's own dashboard: wait until its charts have drawn */
      await page.waitForSelector('canvas, .dygraph-chart, .netdata-chart', { timeout: 60000 });
    } else if (hash) {
      await page.waitForFunction(() => /usage \d/.test((document.getElementById('lg-cpu') || {}).textContent || ''), null, { timeout: 60000 });
    } else {
      await page.waitForSelector('#ctable tbody tr', { timeout: 60000 });
    }
    await page.waitForTimeout(2000);
    await cdp.send('Performance.enable');
    const perf = async () => {
      const m = {};
      for (const x of (await cdp.send('Performance.getMetrics')).metrics) m[x.name] = x.value;
      return m;
    };
    const p0 = await perf();
    counting = true;
    const t0 = Date.now();
    await page.waitForTimeout(secs * 1000);
    counting = false;
    const dt = (Date.now() - t0) / 1000;
    const p1 = await perf();
    /* main-thread time the page spent (scripts, style, layout, paint) */
    const busy = (p1.TaskDuration - p0.TaskDuration) / dt * 1000;
    const script = (p1.ScriptDuration - p0.ScriptDuration) / dt * 1000;
    const rows = hash === '#netdata' ? 0 : await page.$$eval('#ctable tbody tr', (t) => t.length);
    console.log(JSON.stringify({ seconds: dt, bytes, bytes_per_second: Math.round(bytes / dt), frames, rows,
      page_busy_ms_per_s: Math.round(busy * 10) / 10, page_script_ms_per_s: Math.round(script * 10) / 10 }));
  } finally {
    await browser.close();
  }
})().catch((e) => { console.error('dashboard_open.js: ' + e.message); process.exit(1); });

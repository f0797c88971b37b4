#!/usr/bin/env node
/*
 * End-to-end test of the dashboard in headless Chromium (Debian's
 * /usr/bin/chromium driven by playwright-core). Run by
 * tests/integration/test_dashboard.sh, which starts the agent and the
 * containers and passes:
 *   AGENT_URL      the agent, e.g. http://127.0.0.1:23456
 *   TEST_LOGDIR    screenshots go there
 *   WEB_BURN       a container burning CPU (`yes`), run with -m 64m
 *   WEB_IDLE       a sleeping container
 *   WEB_GONE       a sleeping container this script removes with docker rm
 *
 * Checks, each against ground truth rather than against the page itself:
 *   1. the page loads with no console errors or uncaught exceptions (the
 *      only tolerated one is the 404 of /logs, which the page probes to
 *      decide whether to show the log panel);
 *   2. the container table lists the running containers, and its figures
 *      are the ones GET /api/v1/containers returns (id, image, state,
 *      restarts, memory limit exactly; memory and CPU within what moves
 *      between two samples); the limit is the 64 MiB given to docker run;
 *   3. the filter box filters;
 *   4. the container page of the CPU burner draws charts whose pixels
 *      change over a few seconds and whose CPU legend shows the burn;
 *   5. a container removed on the host disappears from the table.
 * Prints "ok N - what" lines; exits 1 on the first failure.
 */
'use strict';
const { chromium } = require('playwright-core');
const { execFileSync } = require('child_process');
const path = require('path');

const URL = process.env.AGENT_URL;
const OUT = process.env.TEST_LOGDIR || '.';
const BURN = process.env.WEB_BURN, IDLE = process.env.WEB_IDLE, GONE = process.env.WEB_GONE;
let step = 0;

function ok(what) { console.log('ok ' + (++step) + ' - ' + what); }
function fail(what) { console.log('not ok ' + (++step) + ' - ' + what); throw new Error(what); }
function check(cond, what) { if (!cond) fail(what); ok(what); }

async function api(p) {
  const r = await fetch(URL + p);
  if (!r.ok) throw new Error('GET ' + p + ': ' + r.status);
  return r.json();
}

function readTable(page) {
  return page.$$eval('#ctable tbody tr', (trs) => trs.map((tr) => {
    const t = (k) => tr.querySelector('td[data-k="' + k + '"]').textContent;
    return {
      id: tr.dataset.id, name: tr.dataset.name, cpu: Number(tr.dataset.cpu),
      mem: Number(tr.dataset.mem), memLimit: Number(tr.dataset.memLimit),
      restarts: Number(tr.dataset.restarts), image: t('image'), state: t('state'),
      memText: t('mem'), hidden: tr.hidden,
    };
  }));
}

async function main() {
  if (!URL || !BURN || !IDLE || !GONE) throw new Error('AGENT_URL, WEB_BURN, WEB_IDLE, WEB_GONE must be set');
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
  const errors = [];
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.on('console', (m) => {
      if (m.type() !== 'error') return;
      const loc = (m.location() && m.location().url) || '';
      if (/\/logs(\?|$)/.test(loc) && /404/.test(m.text())) return; /* the log panel's probe */
      errors.push(m.text() + (loc ? ' (' + loc + ')' : ''));
    });
    page.on('pageerror', (e) => errors.push('uncaught: ' + e.message));

    /* 1 + 2: the table */
    await page.goto(URL + '/');
    const names = [BURN, IDLE, GONE];
    await page.waitForFunction((ns) => ns.every((n) => document.querySelector(
      '#ctable tbody tr[data-name="' + n + '"]')), names, { timeout: 20000 });
    ok('the table lists ' + names.join(', '));
    /* a few frames, so CPU rates are steady and the table is live */
    await page.waitForTimeout(3000);
    /* Other tests share this dockerd and start and stop containers: take
     * the API and the DOM close together, and again if the sets differ. */
    let apiList, dom;
    for (let i = 0; i < 10; i++) {
      apiList = await api('/api/v1/containers');
      dom = await readTable(page);
      const a = apiList.filter((c) => c.state === 'running' && c.cgroup).map((c) => c.name).sort();
      const d = dom.map((r) => r.name).sort();
      if (a.join() === d.join()) break;
      await page.waitForTimeout(1000);
    }
    await page.screenshot({ path: path.join(OUT, 'dashboard-list.png'), fullPage: true });
    const running = apiList.filter((c) => c.state === 'running' && c.cgroup);
    check(dom.map((r) => r.name).sort().join() === running.map((c) => c.name).sort().join(),
      `the table's ${dom.length} rows are the API's ${running.length} running containers`);
    for (const n of names) {
      const a = apiList.find((c) => c.name === n), d = dom.find((r) => r.name === n);
      if (!a || !d) fail(n + ' missing from the API or the table');
      check(d.id === a.short_id && d.image === a.image && d.state === a.state &&
        d.restarts === a.restart_count && d.memLimit === a.memory.limit_bytes,
        `${n}: id ${d.id}, image ${d.image}, state ${d.state}, restarts ${d.restarts}, ` +
        `memory limit ${d.memLimit} as the API says`);
      const dm = Math.abs(d.mem - a.memory.usage_bytes);
      check(dm <= 0.2 * a.memory.usage_bytes + 4 * 1048576,
        `${n}: memory ${d.mem} in the table, ${a.memory.usage_bytes} in the API`);
      const dc = Math.abs(d.cpu - a.cpu.cores);
      check(dc <= 0.35, `${n}: CPU ${d.cpu.toFixed(3)} cores in the table, ${a.cpu.cores.toFixed(3)} in the API`);
    }
    const burn = dom.find((r) => r.name === BURN);
    check(burn.memLimit === 64 * 1048576 && burn.memText.includes('64.0 MiB'),
      `${BURN}: the 64 MiB limit of docker run shows ("${burn.memText}")`);
    check(burn.cpu > 0.1, `${BURN}: burning CPU shows (${burn.cpu.toFixed(3)} cores)`);

    /* 3: filter */
    await page.fill('#filter', BURN);
    const visible = await page.$$eval('#ctable tbody tr', (trs) => trs.filter((t) => !t.hidden).map((t) => t.dataset.name));
    check(visible.length === 1 && visible[0] === BURN, 'the filter leaves only ' + BURN + ' (' + visible.join(',') + ')');
    await page.fill('#filter', '');

    /* 4: the container page's charts move */
    await page.goto(URL + '/#/c/' + encodeURIComponent(BURN));
    await page.waitForFunction(() => {
      const l = document.getElementById('lg-cpu');
      return l && /usage \d/.test(l.textContent);
    }, null, { timeout: 20000 });
    const snap = () => page.evaluate(() => ({
      cpu: document.getElementById('dc-cpu').toDataURL(),
      mem: document.getElementById('dc-mem').toDataURL(),
      legend: document.getElementById('lg-cpu').textContent,
      info: document.getElementById('d-info').textContent,
    }));
    const s1 = await snap();
    await page.waitForTimeout(4000);
    const s2 = await snap();
    await page.screenshot({ path: path.join(OUT, 'dashboard-container.png'), fullPage: true });
    check(s1.cpu !== s2.cpu, 'the CPU chart changed between two looks 4 s apart');
    const cores = Number((/usage ([\d.]+)/.exec(s2.legend) || [])[1]);
    check(cores > 0.1, `the CPU chart's latest value is the burn (${s2.legend})`);
    check(s2.info.includes('memory limit 64.0 MiB'), 'the container page shows the memory limit');
    /* the log panel shows what the container printed (to stdout and stderr
     * before it started burning), read from Docker's json-file */
    const logs = await page.evaluate(() => ({
      hidden: document.getElementById('p-logs').hidden,
      text: document.getElementById('logs').textContent,
    }));
    check(!logs.hidden && logs.text.includes('berth-log-marker-out') &&
          /E berth-log-marker-err/.test(logs.text),
          'the container page shows its recent log lines, stderr marked (' + logs.text.slice(0, 120) + ')');

    /* 5: removed on the host, gone from the page */
    await page.goto(URL + '/#/');
    await page.waitForSelector('#ctable tbody tr[data-name="' + GONE + '"]', { timeout: 20000 });
    execFileSync('docker', ['rm', '-f', GONE], { stdio: 'ignore' });
    await page.waitForFunction((n) => !document.querySelector('#ctable tbody tr[data-name="' + n + '"]'),
      GONE, { timeout: 30000 });
    const after = await api('/api/v1/containers');
    check(!after.some((c) => c.name === GONE), GONE + ' removed with docker rm is gone from the table and the API');
    await page.screenshot({ path: path.join(OUT, 'dashboard-removed.png'), fullPage: true });

    check(errors.length === 0, 'no console errors' + (errors.length ? ': ' + errors.join(' | ') : ''));
  } finally {
    await browser.close();
  }
}

main().then(() => { console.log('dashboard.js: all ' + step + ' checks passed'); process.exit(0); },
  (e) => { console.error('dashboard.js: ' + e.message); process.exit(1); });

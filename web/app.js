/*
 * berth dashboard. Plain JavaScript, no dependencies, no build step.
 *
 * Data: /api/v1/stream (Server-Sent Events) pushes one summary frame per
 * collection interval: {t, cols, rows: [[...]], host: {...}}. Each frame
 * replaces the previous state (frames are summaries, never deltas), so a
 * dropped frame costs nothing. Charts come from the history endpoints once
 * and are then extended live.
 *
 * Rendering: every frame marks what changed and one requestAnimationFrame
 * callback redraws, so a burst of frames costs one redraw. The container
 * table is keyed by id: cells are written only when their text changes,
 * rows are created and removed, never rebuilt, and re-ordered only when the
 * order changes.
 */
'use strict';

const $ = (id) => document.getElementById(id);
const HIST = '10m';
const COLORS = ['#4fb3ff', '#f0883e', '#3fb950', '#d2a8ff', '#f85149', '#d29922'];

/* ---- formatting ---------------------------------------------------------- */

function fmtBytes(v) {
  if (v === null || v === undefined || isNaN(v)) return '–';
  const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (Math.abs(v) >= 1024 && i < u.length - 1) { v /= 1024; i++; }
  return (i === 0 ? v.toFixed(0) : v.toFixed(v < 10 ? 2 : 1)) + ' ' + u[i];
}
const fmtRate = (v) => (v === null || v === undefined) ? '–' : fmtBytes(v) + '/s';
function fmtNum(v, d) {
  if (v === null || v === undefined || isNaN(v)) return '–';
  if (Math.abs(v) >= 1e6) return (v / 1e6).toFixed(1) + 'M';
  if (Math.abs(v) >= 1e4) return (v / 1e3).toFixed(1) + 'k';
  return v.toFixed(d === undefined ? 2 : d);
}
const fmtPct = (v) => (v === null || v === undefined) ? '–' : (v * 100).toFixed(1) + '%';
function fmtTime(ms) {
  const d = new Date(ms);
  return String(d.getHours()).padStart(2, '0') + ':' + String(d.getMinutes()).padStart(2, '0') +
    ':' + String(d.getSeconds()).padStart(2, '0');
}

async function getJSON(url) {
  const r = await fetch(url, { cache: 'no-store' });
  if (!r.ok) { const e = new Error(url + ': ' + r.status); e.status = r.status; throw e; }
  return r.json();
}

/* ---- charts: small canvas time series of our own --------------------------- */

class Chart {
  /* series: [{label, color}]; opts: {fmt, min0 (default true), spark, maxPoints} */
  constructor(canvas, series, opts) {
    this.c = canvas;
    this.series = series;
    this.o = Object.assign({ fmt: (v) => fmtNum(v), maxPoints: 1200 }, opts || {});
    this.xs = [];
    this.ys = series.map(() => []);
    this.dirty = true;
    this.legend = null;
  }
  clear() { this.xs = []; this.ys = this.series.map(() => []); this.dirty = true; }
  push(t, vals) {
    if (this.xs.length && t <= this.xs[this.xs.length - 1]) return;
    this.xs.push(t);
    vals.forEach((v, i) => this.ys[i].push(v));
    if (this.xs.length > this.o.maxPoints) {
      this.xs.shift();
      this.ys.forEach((y) => y.shift());
    }
    this.dirty = true;
  }
  /* last values, for tests and legends */
  last() { return this.ys.map((y) => y.length ? y[y.length - 1] : null); }
  draw() {
    if (!this.dirty) return;
    this.dirty = false;
    const c = this.c, dpr = window.devicePixelRatio || 1;
    const w = c.clientWidth, h = c.clientHeight;
    if (!w || !h) { this.dirty = true; return; }
    if (c.width !== Math.round(w * dpr) || c.height !== Math.round(h * dpr)) {
      c.width = Math.round(w * dpr); c.height = Math.round(h * dpr);
    }
    const g = c.getContext('2d');
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, w, h);
    const spark = !!this.o.spark;
    const padL = spark ? 0 : 58, padR = 4, padT = 4, padB = spark ? 2 : 16;
    const n = this.xs.length;
    let lo = Infinity, hi = -Infinity;
    for (const y of this.ys) for (const v of y) if (v !== null && isFinite(v)) { if (v < lo) lo = v; if (v > hi) hi = v; }
    if (this.o.min0 !== false) lo = Math.min(0, lo);
    if (!isFinite(lo)) { lo = 0; hi = 1; }
    if (this.o.minSpan && hi - lo < this.o.minSpan) hi = lo + this.o.minSpan;
    if (hi <= lo) hi = lo + (Math.abs(lo) || 1);
    hi += (hi - lo) * 0.05;
    const x0 = n ? this.xs[0] : 0, x1 = n ? this.xs[n - 1] : 1;
    const X = (t) => padL + (x1 > x0 ? (t - x0) / (x1 - x0) : 1) * (w - padL - padR);
    const Y = (v) => padT + (1 - (v - lo) / (hi - lo)) * (h - padT - padB);
    g.font = '10px system-ui, sans-serif';
    g.strokeStyle = '#26303a'; g.fillStyle = '#7b8794'; g.lineWidth = 1;
    if (!spark) {
      for (let i = 0; i <= 3; i++) {
        const v = lo + (hi - lo) * i / 3, y = Math.round(Y(v)) + 0.5;
        g.beginPath(); g.moveTo(padL, y); g.lineTo(w - padR, y); g.stroke();
        g.textAlign = 'right'; g.textBaseline = 'middle';
        g.fillText(this.o.fmt(v), padL - 4, Math.min(Math.max(y, 6), h - padB - 2));
      }
      if (n > 1) {
        g.textBaseline = 'bottom';
        g.textAlign = 'left'; g.fillText(fmtTime(x0), padL, h);
        g.textAlign = 'right'; g.fillText(fmtTime(x1), w - padR, h);
      }
    }
    this.ys.forEach((y, si) => {
      g.strokeStyle = this.series[si].color; g.lineWidth = 1.5;
      if (this.series[si].dash) g.setLineDash([4, 3]); else g.setLineDash([]);
      g.beginPath();
      let pen = false;
      for (let i = 0; i < n; i++) {
        const v = y[i];
        if (v === null || !isFinite(v)) { pen = false; continue; }
        const px = X(this.xs[i]), py = Y(v);
        if (pen) g.lineTo(px, py); else g.moveTo(px, py);
        pen = true;
      }
      g.stroke();
    });
    g.setLineDash([]);
    if (this.legend) {
      const l = this.last();
      this.legend.textContent = '';
      this.series.forEach((s, i) => {
        const sw = document.createElement('i');
        sw.style.background = s.color;
        this.legend.appendChild(sw);
        this.legend.appendChild(document.createTextNode(s.label + ' ' + (l[i] === null ? '–' : this.o.fmt(l[i])) + ' '));
      });
    }
  }
}

/* Turns counter samples into per-second rates: out[i] for sample i uses
 * i-1 (null for the first, and across a counter reset). */
function rates(ts, vals, scale) {
  const out = [null];
  for (let i = 1; i < ts.length; i++) {
    const dt = (ts[i] - ts[i - 1]) / 1000, dv = vals[i] - vals[i - 1];
    out.push(dt > 0 && dv >= 0 ? dv / dt * (scale || 1) : null);
  }
  return out;
}

/* ---- state ------------------------------------------------------------------ */

const S = {
  frame: null,        /* last frame */
  byName: new Map(),  /* name -> row object */
  sortKey: 'name', sortDir: 1,
  filter: '',
  route: { view: 'list' },
  pending: false,
  detail: null,       /* {name, charts, lastTs, info, fetching} */
};

const ov = {
  cpu: new Chart($('ch-cpu'), [{ label: 'busy', color: COLORS[0] }], { spark: true }),
  mem: new Chart($('ch-mem'), [{ label: 'used', color: COLORS[2] }], { spark: true }),
  net: new Chart($('ch-net'), [{ label: 'rx', color: COLORS[0] }, { label: 'tx', color: COLORS[1] }], { spark: true }),
  disk: new Chart($('ch-disk'), [{ label: 'used', color: COLORS[3] }], { spark: true }),
};

function rowObj(cols, r) {
  const o = {};
  for (let i = 0; i < cols.length; i++) o[cols[i]] = r[i];
  return o;
}

/* ---- overview ------------------------------------------------------------ */

async function loadHostHistory() {
  try {
    const h = await getJSON('/api/v1/host/history?since=' + HIST);
    const f = h.fields, ix = (n) => f.indexOf(n);
    const ts = h.samples.map((s) => s[0]);
    const col = (n) => h.samples.map((s) => s[ix(n)]);
    const rx = rates(ts, col('net_rx_bytes')), tx = rates(ts, col('net_tx_bytes'));
    const cpu = col('cpu_busy_millicores'), mem = col('memory_used_bytes'), disk = col('disk_used_bytes');
    for (let i = 0; i < ts.length; i++) {
      ov.cpu.push(ts[i], [cpu[i] / 1000]);
      ov.mem.push(ts[i], [mem[i]]);
      ov.net.push(ts[i], [rx[i], tx[i]]);
      ov.disk.push(ts[i], [disk[i]]);
    }
  } catch (e) { /* live frames fill the charts */ }
}

function renderOverview(f) {
  const h = f.host;
  $('ov-cpu').textContent = fmtNum(h.cpu_busy) + ' / ' + h.cpus + ' cores';
  $('ov-mem').textContent = fmtBytes(h.mem_total - h.mem_avail) + ' / ' + fmtBytes(h.mem_total);
  $('ov-net').textContent = '↓ ' + fmtRate(h.rx) + '  ↑ ' + fmtRate(h.tx);
  $('ov-disk').textContent = h.disk_total ? fmtBytes(h.disk_used) + ' / ' + fmtBytes(h.disk_total) : '–';
  $('ov-ctr').textContent = h.running + ' running';
  $('ov-ctr2').textContent = h.total + ' known' + (h.unhealthy ? ', ' + h.unhealthy + ' unhealthy' : '');
  for (const k in ov) ov[k].draw();
}

/* ---- container table ----------------------------------------------------- */

const tbody = document.querySelector('#ctable tbody');
/* names sort as people read them: web-2 before web-10 */
const collator = new Intl.Collator(undefined, { numeric: true });
const CELLS = ['name', 'image', 'state', 'health', 'cpu', 'mem', 'net', 'blk', 'disk', 'restarts', 'svc', 'pids'];

function sortValue(o, k) {
  switch (k) {
    case 'net': return (o.rx || 0) + (o.tx || 0);
    case 'blk': return (o.rd || 0) + (o.wr || 0);
    case 'svc': return o.svc_down * 1e6 + o.svc_up;
    default: return o[k];
  }
}

function cellText(o, k) {
  switch (k) {
    case 'cpu': return fmtNum(o.cpu) + (o.cpu_limit ? ' / ' + fmtNum(o.cpu_limit) : '');
    case 'mem': return fmtBytes(o.mem) + (o.mem_limit ? ' / ' + fmtBytes(o.mem_limit) : '');
    case 'net': return o.rx === null ? '–' : fmtRate(o.rx) + ' / ' + fmtRate(o.tx);
    case 'blk': return o.rd === null ? '–' : fmtRate(o.rd) + ' / ' + fmtRate(o.wr);
    case 'disk': return o.disk === null ? '–' : fmtBytes(o.disk);
    case 'svc': return (o.svc_up + o.svc_down) ? o.svc_up + ' up' + (o.svc_down ? ', ' + o.svc_down + ' down' : '') : '–';
    case 'pids': return o.pids === null ? '–' : String(o.pids);
    case 'restarts': return String(o.restarts);
    case 'health': return o.health || '–';
    default: return String(o[k]);
  }
}

function makeRow(o) {
  const tr = document.createElement('tr');
  const cells = {};
  for (const k of CELLS) {
    const td = document.createElement('td');
    td.dataset.k = k;
    if (['cpu', 'mem', 'net', 'blk', 'disk', 'restarts', 'svc', 'pids'].includes(k)) td.className = 'num';
    if (k === 'disk') td.classList.add('col-disk');
    if (k === 'image') td.className = 'image';
    if (k === 'name') {
      const a = document.createElement('a');
      a.href = '#/c/' + encodeURIComponent(o.name);
      td.appendChild(a);
    }
    cells[k] = td;
    tr.appendChild(td);
  }
  tr.dataset.id = o.id;
  return { tr, cells, text: {}, data: {}, o };
}

function setCell(row, k, text) {
  if (row.text[k] === text) return;
  row.text[k] = text;
  const td = row.cells[k];
  if (k === 'name') td.firstChild.textContent = text; else td.textContent = text;
}

function setData(row, k, v) {
  const t = String(v);
  if (row.data[k] === t) return;
  row.data[k] = t;
  row.tr.dataset[k] = t;
}

function renderTable(f) {
  const seen = new Set();
  let anyDisk = false;
  for (const r of f.rows) {
    const o = rowObj(f.cols, r);
    seen.add(o.name);
    let row = S.byName.get(o.name);
    if (!row || row.o.id !== o.id) {
      if (row) row.tr.remove();
      row = makeRow(o);
      S.byName.set(o.name, row);
    }
    row.o = o;
    if (o.disk !== null) anyDisk = true;
    /* raw figures for scripts and tests; attribute writes only on change,
     * since each one invalidates style */
    setData(row, 'name', o.name);
    setData(row, 'cpu', o.cpu);
    setData(row, 'mem', o.mem);
    setData(row, 'memLimit', o.mem_limit);
    setData(row, 'restarts', o.restarts);
    for (const k of CELLS) setCell(row, k, cellText(o, k));
    const sc = 's-' + o.state, hc = o.health ? 'h-' + o.health : '';
    if (row.cells.state.className !== sc) row.cells.state.className = sc;
    if (row.cells.health.className !== hc) row.cells.health.className = hc;
  }
  for (const [name, row] of S.byName) {
    if (!seen.has(name)) { row.tr.remove(); S.byName.delete(name); }
  }
  document.getElementById('ctable').classList.toggle('hide-disk', !anyDisk);
  /* order */
  const rows = Array.from(S.byName.values());
  const k = S.sortKey, d = S.sortDir;
  rows.sort((a, b) => {
    const va = sortValue(a.o, k), vb = sortValue(b.o, k);
    if (va === vb || (va == null && vb == null)) return collator.compare(a.o.name, b.o.name);
    if (va == null) return 1;
    if (vb == null) return -1;
    if (typeof va === 'string') return collator.compare(va, vb) * d;
    return (va < vb ? -1 : 1) * d;
  });
  let same = tbody.children.length === rows.length;
  for (let i = 0; same && i < rows.length; i++) same = tbody.children[i] === rows[i].tr;
  if (!same) {
    const frag = document.createDocumentFragment();
    for (const r of rows) frag.appendChild(r.tr);
    tbody.appendChild(frag);
  }
  applyFilter();
}

function applyFilter() {
  const q = S.filter;
  let shown = 0;
  for (const row of S.byName.values()) {
    const o = row.o;
    const hit = !q || o.name.toLowerCase().includes(q) || o.image.toLowerCase().includes(q) ||
      o.state.includes(q) || (o.health || '').includes(q);
    if (row.tr.hidden === hit) row.tr.hidden = !hit;
    if (hit) shown++;
  }
  $('count').textContent = shown + ' of ' + S.byName.size + ' containers';
}

document.querySelectorAll('#ctable th').forEach((th) => {
  th.addEventListener('click', () => {
    const k = th.dataset.key;
    if (S.sortKey === k) S.sortDir = -S.sortDir; else { S.sortKey = k; S.sortDir = (k === 'name' || k === 'image' || k === 'state' || k === 'health') ? 1 : -1; }
    document.querySelectorAll('#ctable th').forEach((t) => t.classList.remove('asc', 'desc'));
    th.classList.add(S.sortDir > 0 ? 'asc' : 'desc');
    if (S.frame) renderTable(S.frame);
  });
});
$('filter').addEventListener('input', (e) => { S.filter = e.target.value.trim().toLowerCase(); applyFilter(); });

/* ---- container page ------------------------------------------------------ */

function newDetail(name) {
  const fB = (v) => fmtBytes(v), fR = (v) => fmtRate(v);
  const d = {
    name, lastTs: 0, fetching: false, gone: false, info: null,
    charts: {
      cpu: new Chart($('dc-cpu'), [{ label: 'usage', color: COLORS[0] }, { label: 'throttled', color: COLORS[4] }, { label: 'limit', color: COLORS[5], dash: true }], { minSpan: 0.1 }),
      mem: new Chart($('dc-mem'), [{ label: 'usage', color: COLORS[0] }, { label: 'working set', color: COLORS[2] }, { label: 'limit', color: COLORS[5], dash: true }], { fmt: fB, minSpan: 1024 * 1024 }),
      net: new Chart($('dc-net'), [{ label: 'rx', color: COLORS[0] }, { label: 'tx', color: COLORS[1] }], { fmt: fR, minSpan: 1024 }),
      blk: new Chart($('dc-blk'), [{ label: 'read', color: COLORS[0] }, { label: 'write', color: COLORS[1] }], { fmt: fR, minSpan: 1024 }),
      pids: new Chart($('dc-pids'), [{ label: 'pids', color: COLORS[3] }], { fmt: (v) => fmtNum(v, Number.isInteger(v) ? 0 : 1), minSpan: 3 }),
      psi: new Chart($('dc-psi'), [{ label: 'cpu', color: COLORS[0] }, { label: 'memory', color: COLORS[2] }, { label: 'io', color: COLORS[1] }], { fmt: fmtPct, minSpan: 0.01 }),
    },
    prev: null, /* last history row, for rates */
    oom: null,
  };
  for (const k in d.charts) d.charts[k].legend = $('lg-' + k);
  return d;
}

/* Appends history rows (fields from the API) to the charts. */
function addHistory(d, h) {
  const f = h.fields, ix = {};
  f.forEach((n, i) => { ix[n] = i; });
  const lim = d.info && d.info.memory ? d.info.memory.limit_bytes || null : null;
  const cpuLim = d.info && d.info.cpu ? d.info.cpu.limit_cores || null : null;
  for (const s of h.samples) {
    const t = s[0], p = d.prev;
    if (p && t > p[0]) {
      const dt = (t - p[0]) / 1000;
      const r = (n, scale) => { const dv = s[ix[n]] - p[ix[n]]; return dv >= 0 ? dv / dt * (scale || 1) : null; };
      d.charts.cpu.push(t, [r('cpu_usec', 1e-6), r('cpu_throttled_usec', 1e-6), cpuLim]);
      d.charts.net.push(t, [r('net_rx_bytes'), r('net_tx_bytes')]);
      d.charts.blk.push(t, [r('blkio_read_bytes'), r('blkio_write_bytes')]);
    }
    d.charts.mem.push(t, [s[ix.memory_usage_bytes], s[ix.memory_working_set_bytes], lim]);
    d.charts.pids.push(t, [s[ix.pids]]);
    d.oom = s[ix.oom_kills];
    d.prev = s;
    d.lastTs = t;
  }
}

function renderInfo(d) {
  const c = d.info, el = $('d-info');
  if (!c) return;
  const parts = [
    ['id', c.short_id], ['image', c.image], ['health', c.health || '–'],
    ['restarts', c.restart_count],
    ['memory limit', c.memory && c.memory.limit_bytes ? fmtBytes(c.memory.limit_bytes) : 'none'],
    ['CPU limit', c.cpu && c.cpu.limit_cores ? fmtNum(c.cpu.limit_cores) + ' cores' : 'none'],
    ['OOM kills', d.oom === null ? (c.memory && c.memory.oom_kills !== undefined ? c.memory.oom_kills : '–') : d.oom],
  ];
  el.textContent = '';
  for (const [k, v] of parts) {
    const s = document.createElement('span');
    s.appendChild(document.createTextNode(k + ' '));
    const b = document.createElement('b');
    b.textContent = String(v);
    s.appendChild(b);
    el.appendChild(s);
  }
  $('d-state').textContent = c.state;
  $('d-state').className = 's-' + c.state;
  /* disk: only when the API has it */
  const dk = c.disk;
  $('p-disk').hidden = !dk;
  if (dk) {
    const tb = document.querySelector('#disk-table tbody');
    tb.textContent = '';
    for (const [k, v] of Object.entries(dk)) {
      if (typeof v === 'object') continue;
      const tr = tb.insertRow();
      tr.insertCell().textContent = k.replace(/_/g, ' ');
      const td = tr.insertCell();
      td.className = 'num';
      td.textContent = typeof v === 'number' && /bytes/.test(k) ? fmtBytes(v) : String(v);
    }
  }
}

function renderServices(list) {
  $('p-svc').hidden = !list || !list.length;
  const tb = document.querySelector('#svc-table tbody');
  tb.textContent = '';
  for (const s of list || []) {
    const tr = tb.insertRow();
    const st = !s.probed ? (s.listening ? 'listening' : 'not listening') : s.up ? 'up' : 'down';
    [s.proto, s.port, s.addr, s.process ? s.process + ' (' + s.pid + ')' : '', s.published || '', st,
      s.probed && s.up ? (s.latency_seconds * 1000).toFixed(2) + ' ms' : '', s.error || ''].forEach((v, i) => {
      const td = tr.insertCell();
      td.textContent = String(v);
      if (i === 5) td.className = st === 'up' ? 'up' : st === 'down' ? 'down' : '';
      if (i === 6) td.className = 'num';
    });
  }
}

async function loadLogs(d) {
  const url = '/api/v1/containers/' + encodeURIComponent(d.name) + '/logs?tail=100';
  try {
    const r = await fetch(url, { cache: 'no-store' });
    if (!r.ok) { $('p-logs').hidden = true; return; }
    const j = await r.json();
    if (S.detail !== d) return;
    const lines = Array.isArray(j) ? j : (j.lines || []);
    const el = $('logs');
    const atEnd = el.scrollTop + el.clientHeight >= el.scrollHeight - 4;
    el.textContent = lines.map((l) => typeof l === 'string' ? l
      : (l.time ? l.time.slice(11, 23) + ' ' : '') + (l.stream === 'stderr' ? 'E ' : '  ') +
        (l.line !== undefined ? l.line : (l.message || JSON.stringify(l)))).join('\n');
    if (atEnd) el.scrollTop = el.scrollHeight;
    $('p-logs').hidden = false;
  } catch (e) { $('p-logs').hidden = true; }
}

async function openDetail(name) {
  const d = newDetail(name);
  S.detail = d;
  $('d-name').textContent = name;
  $('d-gone').hidden = true;
  $('d-info').textContent = '';
  $('p-psi').hidden = true;
  $('p-svc').hidden = true;
  $('p-disk').hidden = true;
  $('p-logs').hidden = true;
  const base = '/api/v1/containers/' + encodeURIComponent(name);
  try {
    d.info = await getJSON(base);
    if (S.detail !== d) return;
    renderInfo(d);
    const h = await getJSON(base + '/history?since=' + HIST);
    if (S.detail !== d) return;
    addHistory(d, h);
    renderInfo(d);
    const sv = await getJSON(base + '/services');
    if (S.detail !== d) return;
    renderServices(sv.services);
  } catch (e) {
    if (e.status === 404) { d.gone = true; $('d-gone').hidden = false; }
  }
  loadLogs(d);
  schedule();
}

/* On each frame: fetch the samples after the last one we have. */
async function refreshDetail(f) {
  const d = S.detail;
  if (!d) return;
  const o = f.rows.map((r) => rowObj(f.cols, r)).find((x) => x.name === d.name);
  if (!o) {
    if (!d.gone) { d.gone = true; $('d-gone').hidden = false; $('d-state').textContent = 'gone'; $('d-state').className = 's-dead'; }
    return;
  }
  if (d.gone) { d.gone = false; $('d-gone').hidden = true; }
  if (o.psi_cpu !== null || o.psi_mem !== null || o.psi_io !== null) {
    $('p-psi').hidden = false;
    d.charts.psi.push(f.t, [o.psi_cpu, o.psi_mem, o.psi_io]);
  }
  if (d.fetching || !d.lastTs) return;
  d.fetching = true;
  try {
    const base = '/api/v1/containers/' + encodeURIComponent(d.name);
    const h = await getJSON(base + '/history?since=' + (d.lastTs + 1));
    if (S.detail === d) { addHistory(d, h); schedule(); }
    if (f.t % 10000 < 1100 && S.detail === d) {
      /* services and limits change slowly: refresh every ~10 s */
      const [info, sv] = await Promise.all([getJSON(base), getJSON(base + '/services')]);
      if (S.detail === d) { d.info = info; renderInfo(d); renderServices(sv.services); }
    }
    if (f.t % 5000 < 1100 && S.detail === d) loadLogs(d); /* recent lines, every ~5 s */
  } catch (e) { /* the next frame retries */ }
  d.fetching = false;
}

/* ---- routing, stream, render loop ----------------------------------------- */

function route() {
  const m = /^#\/c\/(.+)$/.exec(location.hash);
  if (m) {
    const name = decodeURIComponent(m[1]);
    S.route = { view: 'detail', name };
    $('list-view').hidden = true;
    $('detail-view').hidden = false;
    openDetail(name);
  } else {
    S.route = { view: 'list' };
    S.detail = null;
    $('list-view').hidden = false;
    $('detail-view').hidden = true;
  }
  schedule();
}
window.addEventListener('hashchange', route);

function schedule() {
  if (S.pending) return;
  S.pending = true;
  requestAnimationFrame(render);
}

function render() {
  S.pending = false;
  const f = S.frame;
  if (!f) return;
  renderOverview(f);
  if (S.route.view === 'list') renderTable(f);
  if (S.detail) for (const k in S.detail.charts) S.detail.charts[k].draw();
}

function onFrame(f) {
  S.frame = f;
  const h = f.host;
  ov.cpu.push(f.t, [h.cpu_busy]);
  ov.mem.push(f.t, [h.mem_total - h.mem_avail]);
  ov.net.push(f.t, [h.rx, h.tx]);
  ov.disk.push(f.t, [h.disk_used]);
  if (S.detail) refreshDetail(f);
  schedule();
}

function connect() {
  const es = new EventSource('/api/v1/stream');
  es.onopen = () => { $('conn').textContent = 'live'; $('conn').className = 'conn on'; };
  es.onerror = () => { $('conn').textContent = 'reconnecting'; $('conn').className = 'conn off'; };
  es.onmessage = (ev) => {
    let f;
    try { f = JSON.parse(ev.data); } catch (e) { return; }
    onFrame(f);
  };
}

async function start() {
  try {
    const h = await getJSON('/api/v1/host');
    $('hostinfo').textContent = 'berth ' + h.version + ' · cgroup ' + h.cgroup_mode +
      ' · ' + h.cpus + ' CPUs · ' + fmtBytes(h.memory_total_bytes) + (h.docker_up ? ' · Docker API ' + h.docker_api : ' · no Docker');
  } catch (e) { /* the stream will say */ }
  await loadHostHistory();
  route();
  connect();
}
window.addEventListener('resize', () => {
  for (const k in ov) ov[k].dirty = true;
  if (S.detail) for (const k in S.detail.charts) S.detail.charts[k].dirty = true;
  schedule();
});
start();

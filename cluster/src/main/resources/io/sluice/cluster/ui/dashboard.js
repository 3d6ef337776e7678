// The Sluice dashboard: polls this node's HTTP API once a second and draws what it answers.
// Plain JavaScript, no libraries, nothing loaded from elsewhere. Text from the API is only ever
// set as textContent, never parsed as HTML.
'use strict';

(function () {
  const POLL_MS = 1000;
  const REQUEST_TIMEOUT_MS = 5000;
  const PLAN_RETRY_MS = 10000;
  const ACTION_TIMEOUT_MS = 180000; // a savepoint waits until the job is drained
  const TIMELINE_MAX = 300;
  const CHAOS_EVERY_MS = 10000;    // the chaos reports change only when a run ends
  const RATE_WINDOW_MS = 5000;     // records/s over the last 5 s of the node's clock
  const RATE_MIN_SPAN_MS = 1500;   // shorter than that tells nothing: reports come once a second
  const TOKEN_KEY = 'sluice.token';
  const SVG = 'http://www.w3.org/2000/svg';

  const state = {
    selected: selectedFromHash(),  // job id the user chose (URL #job=<id>), or null: the default
    shownJob: null,                // job id on screen
    jobs: [],
    plan: null,                    // {jobId, view | null, fetchedAt}
    samples: new Map(),            // job id, or job id + operator -> [{t, a, b}] of the last RATE_WINDOW_MS
    jobRates: new Map(),           // job id -> sink records/s
    members: null,                 // address -> {status, reachable}
    jobStates: new Map(),          // job id -> state
    jobRecoveries: new Map(),      // job id -> recoveries
    instances: new Map(),          // instance -> {incarnation, node}
    timeline: [],
    openedAt: Date.now(),
    failingSince: 0,
    actionBusy: false,
    polledJobs: false,             // after the first poll, a new job is an event
    chaosAt: 0,                    // when the chaos reports were last asked for
  };

  // ---- helpers ------------------------------------------------------------------------------

  const $ = (id) => document.getElementById(id);

  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    setAttrs(e, attrs);
    for (const c of children) {
      if (c !== null && c !== undefined) {
        e.append(c instanceof Node ? c : String(c));
      }
    }
    return e;
  }

  function svg(tag, attrs, text) {
    const e = document.createElementNS(SVG, tag);
    setAttrs(e, attrs);
    if (text !== undefined) {
      e.textContent = String(text);
    }
    return e;
  }

  function setAttrs(e, attrs) {
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v !== null && v !== undefined) {
        e.setAttribute(k, String(v));
      }
    }
  }

  function fmt(n) {
    return n === null || n === undefined || Number.isNaN(n) ? '–' : Math.round(n).toLocaleString('en-US');
  }

  function fmtRate(r) {
    if (r === null || r === undefined) {
      return '–';
    }
    return r >= 100 ? fmt(r) : r.toFixed(1);
  }

  function fmtMs(ms) {
    if (!ms) {
      return '–';
    }
    return ms >= 1000 ? (ms / 1000).toFixed(2) + ' s' : ms.toFixed(ms < 10 ? 1 : 0) + ' ms';
  }

  function clock(t) {
    return new Date(t).toLocaleTimeString('en-GB', {hour12: false});
  }

  function ago(t) {
    const s = Math.max(0, Math.round(((state.serverNow || Date.now()) - t) / 1000));
    return s < 120 ? s + ' s ago' : Math.round(s / 60) + ' min ago';
  }

  function shortInstance(id, jobId) {
    return id.startsWith(jobId + '/') ? id.substring(jobId.length + 1) : id;
  }

  function selectedFromHash() {
    const m = /^#job=(.+)$/.exec(window.location.hash);
    return m ? decodeURIComponent(m[1]) : null;
  }

  async function request(path, options, timeoutMs) {
    const limit = timeoutMs || REQUEST_TIMEOUT_MS;
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(), limit);
    try {
      const res = await fetch(path, Object.assign({cache: 'no-store', signal: ctl.signal}, options || {}));
      let body = null;
      try {
        body = await res.json();
      } catch (e) {
        body = null;
      }
      return {status: res.status, body: body};
    } catch (e) {
      throw new Error(e.name === 'AbortError' ? path + ': no answer within ' + limit / 1000 + ' s'
        : path + ': ' + e.message);
    } finally {
      clearTimeout(timer);
    }
  }

  async function getJson(path) {
    const r = await request(path);
    if (r.status !== 200) {
      throw new Error(path + ': HTTP ' + r.status + (r.body && r.body.error ? ' ' + r.body.error : ''));
    }
    return r.body;
  }

  // ---- polling ------------------------------------------------------------------------------

  async function poll() {
    try {
      const [cluster, jobs] = await Promise.all([getJson('/cluster'), getJson('/jobs')]);
      // rates by the node's clock: the browser's may run differently (a headless browser's virtual time)
      const now = cluster.timeMillis || Date.now();
      state.serverNow = now;
      renderMembers(cluster, now);
      renderJobs(jobs, now);
      const job = chooseJob(jobs);
      if (job) {
        const [view, instances, plan] = await Promise.all([
          getJson('/jobs/' + encodeURIComponent(job.jobId)),
          getJson('/jobs/' + encodeURIComponent(job.jobId) + '/instances'),
          planOf(job.jobId)]);
        renderJob(view, instances, plan, now);
      } else {
        state.shownJob = null;
        $('job').hidden = true;
      }
      if (Date.now() - state.chaosAt >= CHAOS_EVERY_MS) {
        state.chaosAt = Date.now();
        try {
          renderChaos(await getJson('/chaos'));
        } catch (e) {
          $('chaos-summary').textContent = 'cannot list them: ' + e.message;
        }
      }
      connected();
    } catch (e) {
      disconnected(e);
    } finally {
      setTimeout(poll, POLL_MS);
    }
  }

  /** The job's plan: fetched once per job (it does not change while the job runs). */
  async function planOf(jobId) {
    const p = state.plan;
    if (p && p.jobId === jobId && (p.view || Date.now() - p.fetchedAt < PLAN_RETRY_MS)) {
      return p.view;
    }
    let view = null;
    let note = null;
    try {
      const r = await request('/jobs/' + encodeURIComponent(jobId) + '/plan');
      if (r.status === 200) {
        view = r.body;
      } else {
        note = r.body && r.body.error ? r.body.error : 'HTTP ' + r.status;
      }
    } catch (e) {
      note = e.message;
    }
    state.plan = {jobId: jobId, view: view, note: note, fetchedAt: Date.now()};
    return view;
  }

  function connected() {
    const c = $('connection');
    c.dataset.state = 'ok';
    c.textContent = 'live · updated ' + clock(Date.now());
    if (state.failingSince) {
      addEvent('node', 'this node answers again (unreachable for '
        + Math.round((Date.now() - state.failingSince) / 1000) + ' s)');
    }
    state.failingSince = 0;
    document.body.classList.remove('stale');
  }

  function disconnected(e) {
    if (!state.failingSince) {
      state.failingSince = Date.now();
      addEvent('fault', 'this node does not answer: ' + e.message);
    }
    const c = $('connection');
    c.dataset.state = 'unreachable';
    c.textContent = 'node unreachable since ' + clock(state.failingSince) + ' (' + e.message
      + '); what you see is from before; retrying every second';
    document.body.classList.add('stale');
  }

  // ---- members ------------------------------------------------------------------------------

  function renderMembers(cluster, now) {
    $('node').textContent = cluster.node + ' · ' + cluster.self;
    const tbody = $('members').tBodies[0];
    tbody.replaceChildren();
    const seen = new Map();
    let up = 0;
    for (const m of cluster.members) {
      seen.set(m.address, {status: m.status, reachable: m.reachable});
      up += m.status === 'Up' && m.reachable ? 1 : 0;
      const leader = m.address === cluster.leader;
      const self = m.address === cluster.self;
      tbody.append(el('tr', {
        class: 'member' + (m.reachable ? '' : ' unreachable'),
        'data-address': m.address, 'data-status': m.status, 'data-reachable': m.reachable,
        'data-leader': leader,
      },
      el('td', {class: 'address'}, m.address, self ? el('span', {class: 'tag'}, 'this node') : null),
      el('td', {class: 'status'}, el('span', {class: 'state', 'data-state': m.status}, m.status)),
      el('td', {class: 'reachable'}, m.reachable ? 'yes' : 'UNREACHABLE'),
      el('td', {class: 'roles'}, (m.roles || []).filter((r) => !r.startsWith('dc-')).join(', ')),
      el('td', {class: 'leader'}, leader ? 'leader' : '')));
    }
    $('members-summary').textContent = up + ' of ' + cluster.members.length + ' Up and reachable';
    if (state.members) {
      for (const [addr, m] of seen) {
        const before = state.members.get(addr);
        if (!before) {
          addEvent('node', addr + ' joined (' + m.status + ')');
        } else if (before.status !== m.status) {
          addEvent(m.status === 'Up' ? 'node' : 'fault', addr + ': ' + before.status + ' → ' + m.status);
        }
        if (before && before.reachable !== m.reachable) {
          addEvent(m.reachable ? 'node' : 'fault', addr + (m.reachable ? ' reachable again' : ' UNREACHABLE'));
        }
      }
      for (const addr of state.members.keys()) {
        if (!seen.has(addr)) {
          addEvent('fault', addr + ' left the cluster (removed)');
        }
      }
    }
    state.members = seen;
  }

  // ---- jobs ---------------------------------------------------------------------------------

  function jobState(j) {
    return j.state || j.status;
  }

  function renderJobs(jobs, now) {
    jobs.sort((a, b) => (b.status === 'RUNNING') - (a.status === 'RUNNING') || b.submittedMillis - a.submittedMillis);
    state.jobs = jobs;
    $('no-jobs').hidden = jobs.length > 0;
    const tbody = $('jobs').tBodies[0];
    tbody.replaceChildren();
    const selected = chooseJob(jobs);
    for (const j of jobs) {
      state.jobRates.set(j.jobId, rate(j.jobId, now, j.sinkRecords, 0).a);
      const s = jobState(j);
      const before = state.jobStates.get(j.jobId);
      if (before && before !== s) {
        addEvent(s === 'RUNNING' || s === 'FINISHED' ? 'job' : 'fault', 'job ' + j.jobId + ': ' + before + ' → ' + s
          + (j.cause ? ': ' + j.cause : '') + (s === 'FAILED' && j.failedError ? ': ' + j.failedError : ''));
      } else if (!before && state.polledJobs) {
        addEvent('job', 'job ' + j.jobId + ' (' + j.pipeline + ') appeared: ' + s);
      }
      state.jobStates.set(j.jobId, s);
      const rec = state.jobRecoveries.get(j.jobId);
      if (rec !== undefined && j.recoveries > rec) {
        addEvent('recovery', 'job ' + j.jobId + ': ' + (j.recoveries - rec) + ' instance recover'
          + (j.recoveries - rec === 1 ? 'y' : 'ies') + ' (' + j.recoveries + ' in all)');
      }
      state.jobRecoveries.set(j.jobId, j.recoveries);
      const link = el('a', {href: '#job=' + encodeURIComponent(j.jobId)}, j.jobId);
      tbody.append(el('tr', {
        class: 'job' + (selected && selected.jobId === j.jobId ? ' selected' : ''),
        'data-job-id': j.jobId, 'data-state': s, 'data-status': j.status,
      },
      el('td', {class: 'id'}, link),
      el('td', {class: 'pipeline'}, j.pipeline),
      el('td', {class: 'job-state'}, el('span', {class: 'state', 'data-state': s}, s)),
      el('td', {class: 'num sink-records'}, fmt(j.sinkRecords)),
      el('td', {class: 'num rate'}, j.status === 'RUNNING' ? fmtRate(state.jobRates.get(j.jobId)) : '–'),
      el('td', {class: 'num lag'}, fmt(j.lag)),
      el('td', {class: 'num recoveries'}, fmt(j.recoveries)),
      el('td', {class: 'cause'}, s === 'FAILED' ? failureText(j) : j.cause || '')));
    }
    state.polledJobs = true;
  }

  /** The job the user chose, else the first running one, else the latest. */
  function chooseJob(jobs) {
    if (state.selected) {
      const j = jobs.find((x) => x.jobId === state.selected);
      if (j) {
        return j;
      }
    }
    return jobs.find((x) => x.status === 'RUNNING') || jobs[0] || null;
  }

  function failureText(j) {
    if (!j.failedError) {
      return '';
    }
    return (j.failedStage ? 'stage \'' + j.failedStage + '\'' : '')
      + (j.failedInstance ? ' in ' + j.failedInstance : '')
      + (j.failedRecord ? ' on record ' + j.failedRecord : '') + ': ' + j.failedError;
  }

  // ---- one job ------------------------------------------------------------------------------

  function renderJob(v, instances, plan, now) {
    if (state.shownJob !== v.jobId) {
      state.shownJob = v.jobId;
      $('action-result').textContent = '';
    }
    $('job').hidden = false;
    $('job').dataset.jobId = v.jobId;
    $('job-id').textContent = v.jobId;
    const s = jobState(v);
    const badge = $('job-state');
    badge.textContent = s;
    badge.dataset.state = s;
    const params = Object.entries(v.parameters || {}).map(([k, x]) => k + '=' + x).join(' ');
    $('job-meta').textContent = 'pipeline ' + v.pipeline + (params ? ' · ' + params : '') + ' · submitted '
      + clock(v.submittedMillis) + (v.endedMillis ? ' · ended ' + clock(v.endedMillis) : '')
      + (v.jar ? ' · jar ' + v.jar.substring(0, 12) : '');
    const running = v.status === 'RUNNING';
    $('cancel-button').disabled = !running || state.actionBusy;
    $('savepoint-button').disabled = !running || state.actionBusy;

    const cause = $('job-cause');
    cause.hidden = s !== 'DEGRADED';
    cause.textContent = s === 'DEGRADED' ? 'DEGRADED since ' + clock(v.degradedSince) + ' (' + ago(v.degradedSince)
      + '): ' + v.cause : '';
    const failure = $('job-failure');
    failure.hidden = v.status !== 'FAILED';
    failure.textContent = v.status === 'FAILED' ? 'FAILED: ' + failureText(v) : '';

    const rates = operatorRates(v, now);
    renderSummary(v);
    renderGraph(v, plan, rates);
    renderOperators(v, plan, rates);
    renderInstances(v, instances, now);
  }

  /**
   * Records/s of two counters over the samples of the last RATE_WINDOW_MS; null while they span
   * less than RATE_MIN_SPAN_MS.
   */
  function rate(key, now, a, b) {
    let list = state.samples.get(key) || [];
    if (!list.length || list[list.length - 1].t < now) {
      list.push({t: now, a: a, b: b});
    }
    while (list.length > 2 && now - list[1].t >= RATE_WINDOW_MS) {
      list.shift();
    }
    state.samples.set(key, list);
    const first = list[0];
    const span = now - first.t;
    if (span < RATE_MIN_SPAN_MS) {
      return {a: null, b: null};
    }
    return {a: Math.max(0, (a - first.a) * 1000 / span), b: Math.max(0, (b - first.b) * 1000 / span)};
  }

  function operatorRates(v, now) {
    const rates = new Map();
    for (const op of v.operators) {
      const r = rate(v.jobId + '\u0000' + op.name, now, op.recordsIn, op.recordsOut);
      if (r.a !== null) {
        rates.set(op.name, {in: r.a, out: r.b});
      }
    }
    return rates;
  }

  function renderSummary(v) {
    const tiles = [
      ['sink-records', 'sink records', fmt(v.sinkRecords)],
      ['sink-rate', 'sink records/s', v.status === 'RUNNING' ? fmtRate(state.jobRates.get(v.jobId)) : '–'],
      ['latency-p50', 'latency p50', v.latencySamples ? fmtMs(v.latencyP50Millis) : '–'],
      ['latency-p99', 'latency p99', v.latencySamples ? fmtMs(v.latencyP99Millis) : '–'],
      ['lag', 'lag (batches)', fmt(v.lag)],
      ['recoveries', 'recoveries', fmt(v.recoveries)],
    ];
    $('job-summary').replaceChildren(...tiles.map(([id, label, value]) => el('div', {class: 'tile', id: 'tile-' + id},
      el('div', {class: 'label'}, label), el('div', {class: 'value'}, value))));
  }

  /**
   * How much of its output credit an operator uses: {level, text}. An instance stops consuming when
   * a channel has its whole credit window unacknowledged; the view has the sum over the instances,
   * so this is the share of the sum of their windows (without the plan: unknown).
   */
  function backpressure(op, spec) {
    if (!spec || !spec.outputCredit) {
      return {level: spec ? 'none' : 'unknown', text: spec ? '–' : '?'};
    }
    const share = op.unacked / spec.outputCredit;
    return {level: share >= 0.75 ? 'high' : share >= 0.25 ? 'some' : 'none',
      text: Math.round(100 * share) + ' % of credit'};
  }

  function kindOf(plan, name) {
    const p = plan && plan.operators.find((o) => o.name === name);
    return p ? p.kind : '';
  }

  function renderOperators(v, plan, rates) {
    const tbody = $('operators').tBodies[0];
    tbody.replaceChildren();
    for (const op of v.operators) {
      const r = rates.get(op.name);
      const p = plan && plan.operators.find((o) => o.name === op.name);
      const bp = backpressure(op, p);
      const chained = p && p.chained.length ? ' → ' + p.chained.map((c) => c.name).join(' → ') : '';
      tbody.append(el('tr', {
        class: 'operator', 'data-operator': op.name, 'data-parallelism': op.parallelism,
        'data-records-in': op.recordsIn, 'data-records-out': op.recordsOut, 'data-backpressure': bp.level,
      },
      el('td', {class: 'name'}, op.name, chained ? el('span', {class: 'chained'}, chained) : null),
      el('td', {class: 'kind'}, kindOf(plan, op.name)),
      el('td', {class: 'num parallelism'}, op.reporting === op.parallelism ? String(op.parallelism)
        : op.reporting + ' of ' + op.parallelism + ' reporting'),
      el('td', {class: 'num records-in'}, fmt(op.recordsIn)),
      el('td', {class: 'num records-out'}, fmt(op.recordsOut)),
      el('td', {class: 'num rate-in'}, r ? fmtRate(r.in) : '–'),
      el('td', {class: 'num rate-out'}, r ? fmtRate(r.out) : '–'),
      el('td', {class: 'num backlog'}, fmt(op.backlog)),
      el('td', {class: 'num unacked'}, fmt(op.unacked)),
      el('td', {class: 'backpressure', 'data-level': bp.level}, bp.text),
      el('td', {class: 'num recoveries'}, fmt(op.recoveries)),
      el('td', {class: 'nodes'}, (op.nodes || []).join(', '))));
    }
  }

  // ---- the operator graph -------------------------------------------------------------------

  const BOX_W = 210;
  const BOX_H = 104;
  const GAP_X = 110;
  const GAP_Y = 28;
  const PAD = 16;

  /** Columns by longest path from a source, so that every edge points right. */
  function layout(names, edges) {
    const depth = new Map(names.map((n) => [n, 0]));
    for (let round = 0; round < names.length; round++) {
      let changed = false;
      for (const e of edges) {
        if (depth.has(e.from) && depth.has(e.to) && depth.get(e.to) < depth.get(e.from) + 1) {
          depth.set(e.to, depth.get(e.from) + 1);
          changed = true;
        }
      }
      if (!changed) {
        break;
      }
    }
    const rows = new Map();
    const pos = new Map();
    for (const n of names) {
      const col = depth.get(n);
      const row = rows.get(col) || 0;
      rows.set(col, row + 1);
      pos.set(n, {x: PAD + col * (BOX_W + GAP_X), y: PAD + row * (BOX_H + GAP_Y)});
    }
    const cols = Math.max(1, ...[...rows.keys()].map((c) => c + 1));
    const maxRows = Math.max(1, ...rows.values());
    return {pos: pos, width: 2 * PAD + cols * BOX_W + (cols - 1) * GAP_X, height: 2 * PAD + maxRows * BOX_H
      + (maxRows - 1) * GAP_Y};
  }

  function renderGraph(v, plan, rates) {
    const g = $('graph');
    const note = $('graph-note');
    const names = v.operators.map((o) => o.name);
    const edges = plan ? plan.edges : [];
    if (!plan) {
      const p = state.plan;
      note.hidden = false;
      note.textContent = 'Edges unknown: ' + (p && p.note ? p.note : 'the plan was not read yet') + '.';
    } else {
      note.hidden = true;
    }
    const lay = layout(names, edges);
    g.replaceChildren();
    g.setAttribute('viewBox', '0 0 ' + lay.width + ' ' + lay.height);
    g.setAttribute('width', lay.width);
    g.setAttribute('height', lay.height);
    const defs = svg('defs');
    const marker = svg('marker', {id: 'arrow', viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 8,
      markerHeight: 8, orient: 'auto-start-reverse'});
    marker.append(svg('path', {d: 'M 0 0 L 10 5 L 0 10 z', class: 'arrow-head'}));
    defs.append(marker);
    g.append(defs);

    const fanIn = new Map();
    for (const e of edges) {
      const from = lay.pos.get(e.from);
      const to = lay.pos.get(e.to);
      if (!from || !to) {
        continue;
      }
      const k = fanIn.get(e.to) || 0;
      fanIn.set(e.to, k + 1);
      const x1 = from.x + BOX_W;
      const y1 = from.y + BOX_H / 2;
      const x2 = to.x;
      const y2 = to.y + BOX_H / 2 + (k % 2 ? 1 : -1) * Math.ceil(k / 2) * 12;
      const mx = (x1 + x2) / 2;
      const edge = svg('g', {class: 'edge' + (e.late ? ' late' : ''), 'data-from': e.from, 'data-to': e.to,
        'data-partitioning': e.partitioning});
      edge.append(svg('path', {d: 'M ' + x1 + ' ' + y1 + ' C ' + mx + ' ' + y1 + ', ' + mx + ' ' + y2 + ', ' + x2
        + ' ' + y2, 'marker-end': 'url(#arrow)'}));
      edge.append(svg('text', {x: mx, y: (y1 + y2) / 2 - 6, 'text-anchor': 'middle'},
        e.partitioning + (e.late ? ' (late)' : '')));
      g.append(edge);
    }

    for (const op of v.operators) {
      const p = lay.pos.get(op.name);
      const spec = plan && plan.operators.find((o) => o.name === op.name);
      const r = rates.get(op.name);
      const bp = backpressure(op, spec);
      const rate = r ? (spec && spec.kind === 'source' ? r.out : r.in) : null;
      const box = svg('g', {class: 'op', transform: 'translate(' + p.x + ',' + p.y + ')', 'data-operator': op.name,
        'data-parallelism': op.parallelism, 'data-records-in': op.recordsIn, 'data-records-out': op.recordsOut,
        'data-backpressure': bp.level});
      const title = svg('title', {}, op.name + (spec && spec.detail ? ': ' + spec.detail : ''));
      box.append(title);
      box.append(svg('rect', {width: BOX_W, height: BOX_H, rx: 6, class: 'box bp-' + bp.level}));
      box.append(svg('text', {x: 10, y: 20, class: 'op-name'}, op.name));
      box.append(svg('text', {x: BOX_W - 10, y: 20, class: 'op-par', 'text-anchor': 'end'}, '×' + op.parallelism));
      const chain = spec && spec.chained.length ? ' → ' + spec.chained.map((c) => c.name).join(' → ') : '';
      box.append(svg('text', {x: 10, y: 37, class: 'op-kind'}, (spec ? spec.kind : '') + chain));
      box.append(svg('text', {x: 10, y: 56, class: 'op-rate'}, fmtRate(rate) + ' records/s'));
      box.append(svg('text', {x: 10, y: 74, class: 'op-counts'}, 'in ' + fmt(op.recordsIn) + ' · out '
        + fmt(op.recordsOut)));
      box.append(svg('text', {x: 10, y: 92, class: 'op-queue'}, 'backlog ' + fmt(op.backlog) + ' · unacked '
        + fmt(op.unacked) + (op.recoveries ? ' · ' + op.recoveries + ' rec.' : '')));
      g.append(box);
    }
  }

  // ---- instances ----------------------------------------------------------------------------

  function renderInstances(v, instances, now) {
    const byNode = new Map();
    for (const i of instances) {
      const node = i.node || '(not reported)';
      if (!byNode.has(node)) {
        byNode.set(node, []);
      }
      byNode.get(node).push(i);
      const before = state.instances.get(i.instance);
      if (before && before.incarnation !== i.incarnation) {
        addEvent('recovery', shortInstance(i.instance, v.jobId) + ' of ' + v.jobId + ' recovered (a new incarnation)'
          + (before.node !== i.node ? ', moved ' + before.node + ' → ' + i.node : ' on ' + i.node));
      } else if (before && before.node !== i.node) {
        addEvent('recovery', shortInstance(i.instance, v.jobId) + ' of ' + v.jobId + ' moved ' + before.node + ' → '
          + i.node);
      }
      state.instances.set(i.instance, {incarnation: i.incarnation, node: i.node});
    }
    const tbody = $('instances').tBodies[0];
    tbody.replaceChildren();
    for (const node of [...byNode.keys()].sort()) {
      const list = byNode.get(node);
      tbody.append(el('tr', {class: 'node-instances', 'data-node': node, 'data-count': list.length},
        el('td', {class: 'node'}, node),
        el('td', {class: 'num count'}, list.length),
        el('td', {class: 'which'}, ...list.map((i) => el('span', {
          class: 'instance' + (i.trouble ? ' trouble' : ''), 'data-instance': i.instance,
          title: (i.trouble ? i.trouble + '; ' : '') + 'incarnation ' + i.incarnation + ', records in '
            + i.recordsIn + ', out ' + i.recordsOut,
        }, shortInstance(i.instance, v.jobId))))));
    }
  }

  // ---- the timeline -------------------------------------------------------------------------

  /** An event at the browser's time: the timeline is what this page saw, when it saw it. */
  function addEvent(kind, text) {
    state.timeline.push({t: Date.now(), kind: kind, text: text});
    if (state.timeline.length > TIMELINE_MAX) {
      state.timeline.shift();
    }
    renderTimeline();
  }

  function renderTimeline() {
    const list = $('timeline');
    list.replaceChildren(...state.timeline.slice().reverse().map((e) => el('li', {class: 'event', 'data-kind': e.kind},
      el('time', {}, clock(e.t)), ' ', el('span', {class: 'kind'}, e.kind), ' ', e.text)));
    const strip = $('timeline-strip');
    const w = 1000;
    const h = 34;
    strip.setAttribute('viewBox', '0 0 ' + w + ' ' + h);
    strip.replaceChildren();
    strip.append(svg('line', {x1: 0, y1: h / 2, x2: w, y2: h / 2, class: 'axis'}));
    const start = state.openedAt;
    const span = Math.max(60000, Date.now() - start);
    strip.append(svg('text', {x: 2, y: h - 2, class: 'tick'}, clock(start)));
    strip.append(svg('text', {x: w - 2, y: h - 2, class: 'tick', 'text-anchor': 'end'}, clock(start + span)));
    for (const e of state.timeline) {
      const x = 4 + (w - 8) * (e.t - start) / span;
      const dot = svg('circle', {cx: x, cy: h / 2, r: 5, class: 'dot ' + e.kind});
      dot.append(svg('title', {}, clock(e.t) + ' ' + e.text));
      strip.append(dot);
    }
  }

  // ---- actions ------------------------------------------------------------------------------

  /** POSTs; a 401 asks for the node's token once and retries with it (kept for this tab only). */
  async function post(path) {
    for (let attempt = 0; attempt < 3; attempt++) {
      const token = sessionStorage.getItem(TOKEN_KEY);
      const headers = token ? {Authorization: 'Bearer ' + token} : {};
      const r = await request(path, {method: 'POST', headers: headers}, ACTION_TIMEOUT_MS);
      if (r.status !== 401) {
        return r;
      }
      sessionStorage.removeItem(TOKEN_KEY);
      const entered = window.prompt((token ? 'That token was refused. ' : '')
        + 'This node needs its API token (the file named by sluice.node.http.token-file) to change anything:');
      if (!entered) {
        return r;
      }
      sessionStorage.setItem(TOKEN_KEY, entered.trim());
    }
    return {status: 401, body: {error: 'the token was refused'}};
  }

  async function action(kind) {
    const jobId = state.shownJob;
    if (!jobId || state.actionBusy) {
      return;
    }
    if (kind === 'cancel' && !window.confirm('Cancel job ' + jobId + '? Its instances stop; this cannot be undone.')) {
      return;
    }
    const out = $('action-result');
    state.actionBusy = true;
    $('cancel-button').disabled = true;
    $('savepoint-button').disabled = true;
    out.dataset.state = 'busy';
    out.textContent = kind === 'cancel' ? 'cancelling…' : 'taking a savepoint…';
    try {
      const r = await post('/jobs/' + encodeURIComponent(jobId) + '/' + kind);
      const ok = r.status === 200 || r.status === 201;
      out.dataset.state = ok ? 'ok' : 'error';
      out.textContent = ok ? (kind === 'cancel' ? 'cancelled: ' + r.body.status : 'savepoint ' + r.body.savepointId)
        : 'refused (HTTP ' + r.status + '): ' + (r.body && r.body.error ? r.body.error : 'no reason given');
      addEvent(ok ? 'job' : 'fault', 'job ' + jobId + ': ' + out.textContent);
    } catch (e) {
      out.dataset.state = 'error';
      out.textContent = 'failed: ' + e.message;
    } finally {
      state.actionBusy = false;
    }
  }

  // ---- chaos reports -----------------------------------------------------------------------

  function renderChaos(answer) {
    const runs = answer.runs || [];
    $('no-chaos').hidden = runs.length > 0;
    $('chaos-summary').textContent = answer.total > runs.length
      ? 'the newest ' + runs.length + ' of ' + answer.total : '';
    $('chaos').querySelector('tbody').replaceChildren(...runs.map((r) => {
      const verdict = r.exact === undefined ? el('span', {class: 'muted'}, 'no summary')
        : el('span', {class: 'state', 'data-state': r.exact ? 'FINISHED' : 'FAILED', title: r.verdict || ''},
          r.exact ? 'EXACT' : 'NOT EXACT');
      return el('tr', {class: 'chaos-run', 'data-run': r.run},
        el('td', {}, new Date(r.writtenAt).toLocaleString()),
        el('td', {}, el('a', {href: r.url, target: '_blank', rel: 'noopener'}, r.run)),
        el('td', {}, r.pipeline || ''),
        el('td', {}, verdict),
        el('td', {class: 'num'}, r.faults === undefined ? '' : fmt(r.faults)),
        el('td', {class: 'num'}, r.seconds === undefined ? '' : fmt(r.seconds)));
    }));
  }

  // ---- start --------------------------------------------------------------------------------

  window.addEventListener('hashchange', () => {
    state.selected = selectedFromHash();
  });
  $('jobs').addEventListener('click', (ev) => {
    const row = ev.target.closest('tr.job');
    if (row && ev.target.tagName !== 'A') {
      window.location.hash = 'job=' + encodeURIComponent(row.dataset.jobId);
    }
  });
  $('cancel-button').addEventListener('click', () => action('cancel'));
  $('savepoint-button').addEventListener('click', () => action('savepoint'));
  addEvent('page', 'page opened; watching this node');
  poll();
})();

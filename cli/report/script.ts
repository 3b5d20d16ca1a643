/**
 * The report's script (plain ES2017, inlined into the page). Exposes window.pkvmReport for tests:
 * { cols, cell, colour(owner, state) → [r, g, b], step(), setStep(k), counts(), pageAt(x, y) }.
 */
import { OWNER_COLOURS, STATE_SHADE } from './colours';

export const REPORT_SCRIPT = String.raw`
(function () {
  'use strict';
  var D = JSON.parse(document.getElementById('report-data').textContent);
  var OWNER_COLOURS = ${JSON.stringify(OWNER_COLOURS)};
  var STATE_SHADE = ${JSON.stringify(STATE_SHADE)};
  var N = D.nPages, T = D.page.length;
  var cols = N >= 65536 ? 256 : N >= 16384 ? 128 : 64;
  var rows = Math.ceil(N / cols);
  var cell = Math.max(2, Math.min(6, Math.floor(768 / cols)));
  var canvas = document.getElementById('grid');
  var ctx;
  // Rows shown: all, or only those with a page that ever changes or is not the host's at the start.
  var allRows = [], activeRows = [], shown;
  function layout(list) {
    shown = list;
    canvas.width = cols * cell; canvas.height = Math.max(1, list.length) * cell;
    canvas.dataset.cols = cols; canvas.dataset.cell = cell; canvas.dataset.rows = list.length;
    ctx = canvas.getContext('2d', { alpha: false });
  }
  var NOPAGE = 3;

  function colour(owner, state) {
    var base = OWNER_COLOURS[owner < OWNER_COLOURS.length ? owner : 3 + ((owner - 3) % (OWNER_COLOURS.length - 3))];
    if (owner === 0) return base;
    var s = STATE_SHADE[state] || [0, 0];
    var mix = s[1] ? 255 : 0, a = s[0];
    return [0, 1, 2].map(function (i) { return Math.round(base[i] * (1 - a) + mix * a); });
  }
  function css(c) { return 'rgb(' + c[0] + ',' + c[1] + ',' + c[2] + ')'; }

  // Times: absolute instruction counts of each transition (from the deltas).
  var t = new Array(T); var acc = 0;
  for (var i = 0; i < T; i++) { acc += D.dt[i]; t[i] = acc; }
  var initial = new Int32Array(N);
  for (var k = 0, p = 0; k < D.initial.length; k += 2) for (var n = 0; n < D.initial[k + 1]; n++) initial[p++] = D.initial[k];
  var cur = new Int32Array(N); var step = 0;
  function fromInitial() { cur.set(initial); step = 0; }
  fromInitial();
  function apply(to) {
    if (to < step) fromInitial();
    for (; step < to; step++) cur[D.page[step]] = D.code[step];
  }
  function own(c) { return c & 255; } function st(c) { return (c >> 8) & 7; } function bor(c) { return c >> 11; }

  function draw() {
    for (var y = 0; y < shown.length; y++) {
      var r = shown[y];
      for (var x = 0; x < cols; x++) {
        var i = r * cols + x;
        if (i >= N) break;
        var c = cur[i];
        ctx.fillStyle = css(colour(own(c), own(c) === 0 ? NOPAGE : st(c)));
        ctx.fillRect(x * cell, y * cell, cell, cell);
      }
    }
  }
  (function () {
    var busy = new Uint8Array(rows);
    for (var k = 0; k < T; k++) busy[Math.floor(D.page[k] / cols)] = 1;
    for (var i = 0; i < N; i++) if (initial[i] !== 1) busy[Math.floor(i / cols)] = 1; // not HOST OWNED
    for (var r = 0; r < rows; r++) { allRows.push(r); if (busy[r]) activeRows.push(r); }
    layout(allRows);
    var box = document.getElementById('activity');
    document.getElementById('activity-label').textContent = 'only rows with activity (' + activeRows.length + ' of ' + rows + ' rows of ' + cols + ' pages)';
    box.addEventListener('change', function () { layout(box.checked ? activeRows : allRows); show(step); });
  })();
  function counts() {
    var m = {};
    for (var i = 0; i < N; i++) { var c = cur[i]; var key = D.owners[own(c)] + ' ' + (own(c) === 0 ? 'NOPAGE' : D.states[st(c)]); m[key] = (m[key] || 0) + 1; }
    return m;
  }
  function guestTime(insns) {
    var ns = insns * 16;
    return ns >= 1e9 ? (ns / 1e9).toFixed(6) + ' s' : ns >= 1e6 ? (ns / 1e6).toFixed(3) + ' ms' : (ns / 1e3).toFixed(3) + ' µs';
  }
  function pa(i) { return '0x' + (BigInt(D.ramBase) + BigInt(i) * 4096n).toString(16); }
  function desc(c) {
    if (own(c) === 0) return 'nobody (NOPAGE)';
    return D.owners[own(c)] + ' ' + D.states[st(c)] + (bor(c) ? ', borrowed by ' + D.owners[bor(c)] : '');
  }

  var slider = document.getElementById('slider');
  var status = document.getElementById('status');
  function legend() {
    var cs = counts(), html = '';
    Object.keys(cs).sort().forEach(function (key) {
      var parts = key.split(' '), o = D.owners.indexOf(parts[0]), s = D.states.indexOf(parts[1]);
      html += '<tr data-key="' + key + '"><td><span class="sw" style="background:' + css(colour(o, s)) + '"></span></td><td>' + key + '</td><td>' + cs[key] + '</td></tr>';
    });
    document.getElementById('legend').innerHTML = html;
  }
  var selected = -1;
  function show(k) {
    apply(k); draw(); legend();
    slider.value = String(k);
    var when = k === 0 ? 0 : t[k - 1];
    status.textContent = 'step ' + k + ' of ' + T + '   t = ' + when + ' instructions (guest time ' + guestTime(when) + ')' +
      (k > 0 ? '\nlast: ' + D.kinds[D.kind[k - 1]] + ': page ' + pa(D.page[k - 1]) + ' → ' + desc(D.code[k - 1]) + '   (' + D.causes[D.cause[k - 1]] + ')' : '\n(the page map when the run started)');
    if (selected >= 0) history(selected);
  }
  function history(i) {
    selected = i;
    var rowsHtml = '<tr><td>start</td><td></td><td></td><td>' + desc(initial[i]) + '</td><td></td></tr>';
    for (var k = 0; k < T; k++) if (D.page[k] === i)
      rowsHtml += '<tr class="' + (k >= step ? 'future' : 'past') + '"><td>step ' + (k + 1) + '</td><td>t=' + t[k] + '<br>' + guestTime(t[k]) + '</td><td>' + esc(D.kinds[D.kind[k]]) + '</td><td>' + desc(D.code[k]) + '</td><td>' + esc(D.causes[D.cause[k]]) + '</td></tr>';
    document.getElementById('history').innerHTML = '<div id="history-title"><b>page ' + pa(i) + '</b> (pfn 0x' + (BigInt(D.ramBase) / 4096n + BigInt(i)).toString(16) +
      '): now ' + desc(cur[i]) + '</div><table>' + rowsHtml + '</table>';
  }
  function esc(s) { return String(s).replace(/[&<>]/g, function (c) { return { '&': '&amp;', '<': '&lt;', '>': '&gt;' }[c]; }); }
  function pageAt(x, y) {
    var c = Math.floor(x / cell), r = shown[Math.floor(y / cell)];
    if (r === undefined || c < 0 || c >= cols) return -1;
    var i = r * cols + c;
    return i < N ? i : -1;
  }
  canvas.addEventListener('mousemove', function (ev) {
    var b = canvas.getBoundingClientRect();
    var i = pageAt(ev.clientX - b.left - canvas.clientLeft, ev.clientY - b.top - canvas.clientTop);
    canvas.title = i >= 0 ? pa(i) + ': ' + desc(cur[i]) : '';
  });
  canvas.addEventListener('click', function (ev) {
    var b = canvas.getBoundingClientRect();
    var i = pageAt(ev.clientX - b.left - canvas.clientLeft, ev.clientY - b.top - canvas.clientTop);
    if (i >= 0) history(i);
  });
  slider.addEventListener('input', function () { show(Number(slider.value)); });
  document.getElementById('prev').onclick = function () { show(Math.max(0, step - 1)); };
  document.getElementById('next').onclick = function () { show(Math.min(T, step + 1)); };
  var marks = document.getElementById('marks');
  D.marks.forEach(function (m) {
    var b = document.createElement('button');
    b.textContent = m.label; b.dataset.step = m.step;
    b.onclick = function () { show(m.step); };
    marks.appendChild(b);
  });

  // Census tables, consoles, timeline.
  var ch = '';
  D.tables.forEach(function (tb) {
    ch += '<div><b>' + esc(tb.label) + '</b><table class="census" data-label="' + esc(tb.label) + '"><tr><th></th>' + D.states.map(function (s) { return '<th>' + s + '</th>'; }).join('') + '</tr>';
    tb.rows.forEach(function (r) { ch += '<tr><td>' + esc(r.who) + '</td>' + r.counts.map(function (n) { return '<td>' + n + '</td>'; }).join('') + '</tr>'; });
    ch += '</table></div>';
  });
  document.getElementById('census').innerHTML = ch;
  document.getElementById('consoles').innerHTML = D.consoles.map(function (c) {
    return '<div><b>' + esc(c.who) + '</b> (' + esc(c.state) + ')<pre>' + (c.text ? esc(c.text) : '(no output)') + '</pre></div>';
  }).join('');
  document.getElementById('timeline').textContent = D.timeline.join('\n');
  if (D.failures.length) status.insertAdjacentHTML('beforebegin', '<pre class="fail">' + esc(D.failures.join('\n')) + '</pre>');

  show(T);
  window.pkvmReport = { cols: cols, cell: cell, colour: colour, counts: counts, step: function () { return step; }, setStep: show, pageAt: pageAt, transitions: T };
})();
`;

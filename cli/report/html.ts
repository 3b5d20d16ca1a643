/**
 * `pkvm-emu run SCENARIO --report FILE`: one self-contained HTML page (inline CSS and script, no
 * network) showing the physical memory map as a grid of pages coloured by owner and state, a
 * slider that replays every ownership transition, the census tables, each VM's console and, on a
 * click on a page, that page's history (who donated, shared, reclaimed it, and when).
 */
import type { ReportData } from './data';
import { REPORT_SCRIPT } from './script';

const CSS = `
body{font:14px/1.4 system-ui,sans-serif;margin:16px;color:#222;background:#fff}
h1{font-size:20px;margin:0 0 4px} h2{font-size:16px;margin:18px 0 6px}
.pass{color:#17803d}.fail{color:#b3261e}
#wrap{display:flex;gap:18px;align-items:flex-start;flex-wrap:wrap}
#grid{image-rendering:pixelated;cursor:crosshair;border:1px solid #999;display:block}
#side{min-width:360px;max-width:640px}
#controls{margin:8px 0;display:flex;gap:8px;align-items:center;flex-wrap:wrap}
#slider{width:640px}
#status{font-family:ui-monospace,monospace;font-size:12px;white-space:pre-wrap}
.legend td{padding:1px 6px}.sw{display:inline-block;width:12px;height:12px;border:1px solid #0003;vertical-align:middle}
table.census{border-collapse:collapse;font-family:ui-monospace,monospace;font-size:12px;margin-bottom:8px}
table.census td,table.census th{border:1px solid #ccc;padding:2px 6px;text-align:right}
table.census td:first-child,table.census th:first-child{text-align:left;white-space:pre}
#history table{border-collapse:collapse;font-size:12px}
#history td{border-top:1px solid #ddd;padding:2px 6px;vertical-align:top}
#history tr.future{color:#aaa}
pre{background:#f6f6f6;padding:6px;border:1px solid #ddd;max-height:240px;overflow:auto;margin:4px 0}
button{font-size:12px}
`;

/** Embeds JSON in a script element safely (no `</script>`, no HTML comment openers). */
const embed = (v: unknown): string => JSON.stringify(v).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
const esc = (s: string): string => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

export function reportHtml(d: ReportData): string {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width">
<title>pkvm-emu page ownership: ${esc(d.title)}</title>
<style>${CSS}</style></head>
<body>
<h1>Page ownership: ${esc(d.title)}</h1>
<div class="${d.passed ? 'pass' : 'fail'}" id="verdict">${esc(d.verdict)}</div>
<div id="controls">
  <input type="range" id="slider" min="0" max="${d.page.length}" value="${d.page.length}" step="1" aria-label="transition">
  <button id="prev">◀</button><button id="next">▶</button><span id="marks"></span>
  <label><input type="checkbox" id="activity"> <span id="activity-label"></span></label>
</div>
<div id="status"></div>
<div id="wrap">
  <canvas id="grid"></canvas>
  <div id="side">
    <h2>Legend (pages now)</h2><table class="legend" id="legend"></table>
    <h2>Page history</h2><div id="history">Click a page.</div>
  </div>
</div>
<h2>Pages by owner and state (census)</h2><div id="census"></div>
<h2>Consoles</h2><div id="consoles"></div>
<h2>Timeline</h2><details><summary>${d.timeline.length} events (instructions retired, event)</summary><pre id="timeline"></pre></details>
<script type="application/json" id="report-data">${embed(d)}</script>
<script>${REPORT_SCRIPT}</script>
</body></html>
`;
}

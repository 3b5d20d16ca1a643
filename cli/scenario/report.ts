/**
 * The human-readable report of a run: header, timeline, each VM's (or the host's) console, the
 * page tables by owner and state, and the expectation results, failures one per line.
 */
import type { ScenarioResult } from './runner';
import type { Census, Counts } from './census';
import { STATES, OWNERS } from './schema';
import { timeline } from './timeline';

export interface ReportOptions { quiet?: boolean; traceFaults?: boolean }

export function pageTable(c: Census): string[] {
  const w = [12, ...STATES.map((s) => Math.max(s.length, 7))];
  const row = (label: string, cells: string[]) => [label.padEnd(w[0]), ...cells.map((x, i) => x.padStart(w[i + 1]))].join('  ').trimEnd();
  const cells = (k: Counts, guest: boolean) => STATES.map((s) => (s === 'POISON' && !guest ? '-' : String(k[s])));
  const out = [row('', [...STATES])];
  for (const o of OWNERS) {
    out.push(row(o, cells(c[o], o === 'GUEST')));
    if (o === 'GUEST') for (const [name, k] of c.vms) out.push(row(`  ${name}`, cells(k, true)));
  }
  return out;
}

const mips = (r: ScenarioResult) => (r.wallMs > 0 ? Number(r.insns) / r.wallMs / 1000 : 0);

/** `PASS default: 15 expectations, 1.2 s` or `FAIL errno: 2 of 15 expectations failed`. */
export function verdict(r: ScenarioResult): string {
  const t = `${(r.wallMs / 1000).toFixed(1)} s`;
  if (r.passed) return `PASS ${r.scenario.name}: ${r.checks} expectation(s) met, ${t}`;
  const n = r.failures.length;
  return `FAIL ${r.scenario.name}: ${r.aborted ? `aborted in ${r.aborted}` : `${n} of ${r.checks} expectation(s) failed`}, ${t}`;
}

export const failureLines = (r: ScenarioResult): string[] => r.failures.map((f) => `FAIL ${f.path}: ${f.message}`);

export function report(r: ScenarioResult, opts: ReportOptions = {}): string {
  const s = r.scenario;
  const out: string[] = [`scenario ${s.name} (${s.file}, ${s.kind})`];
  if (s.description) out.push(...s.description.split('\n').map((l) => `  ${l}`));
  if (!opts.quiet) {
    out.push('', 'timeline (instructions retired, event):');
    out.push(...timeline(r.events, { traceFaults: opts.traceFaults }));
  }
  for (const c of r.consoles) {
    out.push('', `console of ${c.who} (${c.state}${c.error ? `: ${c.error}` : ''}):`);
    const lines = c.text.replace(/\n$/, '').split('\n');
    out.push(...(c.text ? lines.map((l) => `  | ${l}`) : ['  (no output)']));
  }
  const tables = opts.quiet ? r.tables.slice(-1) : r.tables;
  for (const t of tables) out.push('', `pages by owner and state, ${t.label}:`, ...pageTable(t.census).map((l) => `  ${l}`));
  out.push('', `${r.insns} instructions in ${(r.wallMs / 1000).toFixed(2)} s (${mips(r).toFixed(1)} MIPS)`);
  out.push(...failureLines(r));
  out.push(verdict(r));
  return `${out.join('\n')}\n`;
}

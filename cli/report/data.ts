/**
 * What the HTML report embeds: the page map when tracking started (run-length coded), the
 * transition log in columns (page deltas are not small, so pages are absolute; times are deltas;
 * owner/state/borrower packed in one number), the causes once each, the census snapshots with the
 * transition they were taken after, the consoles and the condensed timeline.
 */
import type { PageTracker } from '../trace/pages';
import { transitionName } from '../trace/pkvm-trace';
import type { ScenarioResult } from '../scenario/runner';
import { STATES } from '../scenario/schema';
import { timeline } from '../scenario/timeline';
import { verdict } from '../scenario/report';

export interface Mark { label: string; step: number; t: string }

export interface ReportData {
  title: string;
  verdict: string;
  passed: boolean;
  failures: string[];
  ramBase: string;
  nPages: number;
  owners: string[];
  states: string[];
  /** [code, run length, code, run length, ...] with code = owner | state << 8 | borrower << 11. */
  initial: number[];
  /** Transitions as columns. */
  page: number[];
  code: number[];
  /** Instructions retired, delta to the previous transition. */
  dt: number[];
  cause: number[];
  causes: string[];
  /** What each transition was (donate HOST → pvm2, share ..., reclaim ...): index into kinds. */
  kind: number[];
  kinds: string[];
  marks: Mark[];
  tables: { label: string; rows: { who: string; counts: number[] }[] }[];
  consoles: { who: string; state: string; text: string }[];
  timeline: string[];
  insns: string;
}

export const packCode = (owner: number, state: number, borrower: number): number => owner | (state << 8) | (borrower << 11);

export function reportData(r: ScenarioResult, tr: PageTracker, marks: Mark[]): ReportData {
  const initial: number[] = [];
  const { owner, state, borrower } = tr.initial;
  for (let i = 0; i < tr.nPages; ) {
    const c = packCode(owner[i]!, state[i]!, borrower[i]!);
    let j = i + 1;
    while (j < tr.nPages && packCode(owner[j]!, state[j]!, borrower[j]!) === c) j++;
    initial.push(c, j - i);
    i = j;
  }
  let last = 0n;
  const xs = tr.transitions;
  const kinds: string[] = [], kindIdx = new Map<string, number>();
  const kind = xs.map((x) => {
    const k = transitionName(tr, x);
    let i = kindIdx.get(k);
    if (i === undefined) { i = kinds.length; kinds.push(k); kindIdx.set(k, i); }
    return i;
  });
  return {
    title: `${r.scenario.name} (${r.scenario.file})`,
    verdict: verdict(r),
    passed: r.passed,
    failures: r.failures.map((f) => `${f.path}: ${f.message}`),
    ramBase: `0x${(tr.basePfn << 12n).toString(16)}`,
    nPages: tr.nPages,
    owners: [...tr.owners],
    states: [...STATES],
    initial,
    page: xs.map((x) => x.page),
    code: xs.map((x) => packCode(x.owner, x.state, x.borrower)),
    dt: xs.map((x) => { const d = Number(x.t - last); last = x.t; return d; }),
    cause: xs.map((x) => x.cause),
    causes: [...tr.causes],
    kind,
    kinds,
    marks,
    tables: r.tables.map((t) => ({
      label: t.label,
      rows: [
        ...(['HOST', 'HYP', 'GUEST'] as const).map((o) => ({ who: o, counts: STATES.map((s) => t.census[o][s]) })),
        ...[...t.census.vms].map(([who, k]) => ({ who: `  ${who}`, counts: STATES.map((s) => k[s]) })),
      ],
    })),
    consoles: r.consoles.map((c) => ({ who: c.who, state: c.state + (c.error ? `: ${c.error}` : ''), text: c.text })),
    timeline: timeline(r.events),
    insns: r.insns.toString(),
  };
}

/**
 * The timeline of a run from the hyp's trace events, stamped with the instruction count.
 * By default the per-fault and per-slice traffic is condensed: vCPU load/put and the hypercalls of
 * the stage-2 fault path are hidden, and runs of the same event (a donation per page, a reclaim per
 * page at teardown) are folded into one line with a count. `traceFaults` shows every event.
 */
import type { TraceEvent } from './hyp-api';

/** Hypercalls the host makes per vCPU slice or per guest fault. */
const FAULT_PATH_HCALLS = new Set([
  '__pkvm_vcpu_load', '__pkvm_vcpu_put', '__pkvm_host_donate_guest', '__pkvm_host_share_guest', '__pkvm_vcpu_in_poison_fault',
]);
const FOLD_MIN = 3;

export interface TimelineOptions { traceFaults?: boolean }

const hcallName = (e: TraceEvent): string => e.text.slice(0, Math.max(0, e.text.indexOf('(')));

/** What makes consecutive events "the same" for folding; null = never folded. */
function foldKey(e: TraceEvent): string | null {
  if (e.kind === 'donate' || e.kind === 'share' || e.kind === 'unshare' || e.kind === 'reclaim') return `${e.kind}:${e.text.split(':')[0]}`;
  if (e.kind === 'hcall') return `hcall:${hcallName(e)}`;
  return null;
}

const LABEL: Partial<Record<TraceEvent['kind'], string>> = { note: 'action' };
export const formatEvent = (e: TraceEvent, text = e.text): string =>
  `${e.t.toString().padStart(12)}  ${(LABEL[e.kind] ?? e.kind).padEnd(10)} ${text}`;

export function timeline(events: readonly TraceEvent[], opts: TimelineOptions = {}): string[] {
  const shown = events
    .filter((e) => opts.traceFaults || e.kind !== 'hcall' || !FAULT_PATH_HCALLS.has(hcallName(e)));
  if (opts.traceFaults) return shown.map((e) => formatEvent(e));
  const out: string[] = [];
  for (let i = 0; i < shown.length; ) {
    const key = foldKey(shown[i]);
    let j = i + 1;
    while (key !== null && j < shown.length && foldKey(shown[j]) === key) j++;
    if (j - i >= FOLD_MIN) {
      out.push(formatEvent(shown[i]));
      out.push(formatEvent(shown[j - 1], `… ${j - i} in all, the last: ${shown[j - 1].text}`));
    } else {
      for (let k = i; k < j; k++) out.push(formatEvent(shown[k]));
    }
    i = j;
  }
  return out;
}

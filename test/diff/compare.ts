// Parse and compare the register dumps printed by test/gen/random-a64.ts images:
//   x00=0123456789abcdef … x30=…, sp=…, nzcv=…, sum=…, end
// or, when an exception was taken: exc=…, esr=…, elr=…, far=…, spsr=…, end.

export interface Dump {
  /** name → 16 hex digits (lower case), in the order printed. */
  values: Map<string, string>;
  /** True when the final `end` line was seen. */
  complete: boolean;
  /** True when the image reported an exception (an `exc=` line). */
  exception: boolean;
  /** Lines that are neither `name=hex` nor `end` (e.g. firmware chatter). */
  other: string[];
}

const LINE = /^([a-z][a-z0-9]*)=([0-9a-f]{16})$/;

export function parseDump(s: string): Dump {
  const values = new Map<string, string>();
  const other: string[] = [];
  let complete = false;
  for (const raw of s.split('\n')) {
    const line = raw.replace(/\r$/, '').trim();
    if (line === '') continue;
    if (line === 'end') {
      complete = true;
      continue;
    }
    const m = LINE.exec(line);
    if (m) values.set(m[1], m[2]);
    else other.push(line);
  }
  return { values, complete, exception: values.has('exc'), other };
}

/**
 * Differences between two dumps, one human-readable line per differing or missing name, e.g.
 * `x05: 0000000000000001 != 0000000000000002`; also reports a missing `end`. Empty when equal.
 */
export function compareDumps(a: string, b: string): string[] {
  const da = parseDump(a);
  const db = parseDump(b);
  const out: string[] = [];
  const names = [...da.values.keys()];
  for (const k of db.values.keys()) if (!da.values.has(k)) names.push(k);
  for (const k of names) {
    const va = da.values.get(k) ?? '<missing>';
    const vb = db.values.get(k) ?? '<missing>';
    if (va !== vb) out.push(`${k}: ${va} != ${vb}`);
  }
  if (da.complete !== db.complete) out.push(`end: ${da.complete ? 'present' : '<missing>'} != ${db.complete ? 'present' : '<missing>'}`);
  return out;
}

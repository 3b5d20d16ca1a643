/**
 * The value syntaxes of a scenario file: sizes (16M), instruction counts (50M), numbers or names
 * (`0x4008_6000`, `page.pfn`, `pvm1.handle`, `carveout.pfn + 1`), errnos (-EPERM) and count
 * comparisons (">= 8192").
 */
import type { CountCmp, Expr } from './schema';
import { errnoByName, SMCCC } from './errno';
import { Reader, parseIntText, show } from './reader';

const U64_MAX = (1n << 64n) - 1n;
const I64_MIN = -(1n << 63n);

/** Bytes: an integer or a number with K/M/G (KiB/MiB/GiB, KB/MB/GB); a multiple of 4 KiB. */
export function size(r: Reader, path: string, v: unknown): number {
  let bytes: number | null = null;
  if (typeof v === 'bigint' || (typeof v === 'number' && Number.isSafeInteger(v))) bytes = Number(v);
  else if (typeof v === 'string') {
    const m = /^(\d+)\s*([kmg]?)(i?b)?$/i.exec(v.trim());
    if (m) bytes = Number(m[1]) * { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2].toLowerCase() as '' | 'k' | 'm' | 'g'];
  }
  if (bytes === null || !Number.isSafeInteger(bytes)) r.fail(path, `expected a size like 16M, got ${show(v)}`);
  if (bytes <= 0 || bytes % 4096 !== 0) r.fail(path, `size ${show(v)} is not a positive multiple of 4K`);
  return bytes;
}

/** A count: integer, 0x hex, or with a decimal k/M/G suffix (50M = 50 000 000). */
export function count(r: Reader, path: string, v: unknown, what = 'a count like 50M'): bigint {
  if (typeof v === 'string') {
    const m = /^(\d[\d_]*)\s*([kmg])$/i.exec(v.trim());
    if (m) return BigInt(m[1].replace(/_/g, '')) * { k: 1000n, m: 1000_000n, g: 1000_000_000n }[m[2].toLowerCase() as 'k' | 'm' | 'g'];
  }
  return r.int(path, v, 0n, U64_MAX, what);
}

const REF = /^([A-Za-z_][A-Za-z0-9_-]*)(?:\.([a-z_]+))?(?:\s*([+-])\s*(0x[0-9a-f_]+|\d[\d_]*))?$/i;

/** A 64-bit value: a literal (negative = two's complement) or a name with an optional field and offset. */
export function expr(r: Reader, path: string, v: unknown): Expr {
  if (typeof v === 'string') {
    const m = REF.exec(v.trim());
    if (m && !/^\d/.test(m[1])) {
      const off = m[4] ? parseIntText(m[4]) : 0n;
      return { kind: 'ref', name: m[1], field: m[2] ?? null, offset: m[3] === '-' ? -off : off, text: v.trim() };
    }
  }
  const n = r.int(path, v, I64_MIN, U64_MAX, 'a number or a name like page.pfn');
  return { kind: 'lit', value: BigInt.asUintN(64, n) };
}

/** An errno: 0, ok, -EPERM (or EPERM), or a negative number. */
export function errno(r: Reader, path: string, v: unknown): number {
  if (typeof v === 'string') {
    const e = errnoByName(v);
    if (e !== null) return e;
  }
  if ((typeof v === 'bigint' || typeof v === 'number') && BigInt(v) <= 0n && BigInt(v) > -4096n) return Number(v);
  return r.fail(path, `expected an errno like -EPERM (or 0), got ${show(v)}`);
}

/** x0 of a hypercall: SUCCESS, NOT_SUPPORTED, … or a number. */
export function smccc(r: Reader, path: string, v: unknown): bigint {
  if (typeof v === 'string' && v.trim() in SMCCC) return BigInt.asUintN(64, BigInt(SMCCC[v.trim()]));
  return BigInt.asUintN(64, r.int(path, v, I64_MIN, U64_MAX, 'an SMCCC status like NOT_SUPPORTED'));
}

/** A count to compare against: 5, "5", ">= 5", "< 3", "!= 0". */
export function countCmp(r: Reader, path: string, v: unknown): CountCmp {
  if (typeof v === 'bigint' || (typeof v === 'number' && Number.isSafeInteger(v))) {
    if (v < 0) r.fail(path, `expected a count, got ${show(v)}`);
    return { op: '==', n: Number(v) };
  }
  const m = typeof v === 'string' ? /^(==|!=|>=|<=|>|<)?\s*(\d+)$/.exec(v.trim()) : null;
  if (!m) r.fail(path, `expected a count or a comparison like ">= 8192", got ${show(v)}`);
  return { op: (m[1] ?? '==') as CountCmp['op'], n: Number(m[2]) };
}

export function cmpHolds(c: CountCmp, v: number): boolean {
  switch (c.op) {
    case '==': return v === c.n;
    case '!=': return v !== c.n;
    case '>=': return v >= c.n;
    case '<=': return v <= c.n;
    case '>': return v > c.n;
    case '<': return v < c.n;
  }
}

export const cmpText = (c: CountCmp): string => (c.op === '==' ? String(c.n) : `${c.op} ${c.n}`);

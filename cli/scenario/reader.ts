/**
 * Reading untrusted parsed YAML/JSON with errors that name where and why, in one line:
 *   scenarios/x.yaml: vms[1].memory: expected a size like 16M, got "lots"
 */
import { UserError } from '../../machine/errors';

export class ScenarioError extends UserError {}

export type Plain = Record<string, unknown>;

/** How a value looks in an error message. */
export function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (typeof v === 'bigint') return v.toString();
  if (v === null || v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return String(v);
}

export const isPlain = (v: unknown): v is Plain => typeof v === 'object' && v !== null && !Array.isArray(v);

function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++)
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
  return d[a.length][b.length];
}

/** ` (did you mean "x"?)` when one candidate is close, else the list of candidates. */
export function suggest(word: string, candidates: readonly string[]): string {
  const best = candidates.map((c) => [c, distance(word.toLowerCase(), c.toLowerCase())] as const).sort((a, b) => a[1] - b[1])[0];
  if (best && best[1] <= Math.max(1, Math.floor(best[0].length / 3))) return ` (did you mean "${best[0]}"?)`;
  return candidates.length ? ` (expected one of ${candidates.join(', ')})` : '';
}

export class Reader {
  constructor(readonly file: string) {}

  fail(path: string, reason: string): never {
    throw new ScenarioError(`${this.file}: ${path ? `${path}: ` : ''}${reason}`);
  }

  /** A mapping whose keys are all in `allowed`. */
  obj(path: string, v: unknown, allowed: readonly string[]): Plain {
    if (!isPlain(v)) this.fail(path, `expected a mapping, got ${show(v)}`);
    for (const k of Object.keys(v)) if (!allowed.includes(k)) this.fail(join(path, k), `unknown key${suggest(k, allowed)}`);
    return v;
  }

  /** A mapping with any keys (names chosen by the scenario). */
  map(path: string, v: unknown): Plain {
    if (!isPlain(v)) this.fail(path, `expected a mapping, got ${show(v)}`);
    return v;
  }

  list(path: string, v: unknown): unknown[] {
    if (!Array.isArray(v)) this.fail(path, `expected a list, got ${show(v)}`);
    return v;
  }

  str(path: string, v: unknown): string {
    if (typeof v !== 'string') this.fail(path, `expected a string, got ${show(v)}`);
    return v;
  }

  bool(path: string, v: unknown): boolean {
    if (typeof v !== 'boolean') this.fail(path, `expected true or false, got ${show(v)}`);
    return v;
  }

  oneOf<T extends string>(path: string, v: unknown, choices: readonly T[]): T {
    if (typeof v !== 'string' || !choices.includes(v as T)) this.fail(path, `expected one of ${choices.join(', ')}, got ${show(v)}`);
    return v as T;
  }

  /** An integer (YAML int, safe JSON number, or a decimal/0x string) in [min, max]. */
  int(path: string, v: unknown, min: bigint, max: bigint, what = 'an integer'): bigint {
    let n: bigint | null = null;
    if (typeof v === 'bigint') n = v;
    else if (typeof v === 'number' && Number.isSafeInteger(v)) n = BigInt(v);
    else if (typeof v === 'string' && /^-?(0x[0-9a-f_]+|\d[\d_]*)$/i.test(v.trim())) n = parseIntText(v);
    if (n === null) this.fail(path, `expected ${what}, got ${show(v)}`);
    if (n < min || n > max) this.fail(path, `${n} is out of range (${min}..${max})`);
    return n;
  }

  /** A valid identifier for a VM or a named address. */
  name(path: string, v: unknown): string {
    const s = this.str(path, v);
    if (!/^[A-Za-z_][A-Za-z0-9_-]*$/.test(s)) this.fail(path, `expected a name (letters, digits, _ and -), got ${show(s)}`);
    return s;
  }
}

export function parseIntText(t: string): bigint {
  const s = t.trim().replace(/_/g, '');
  return s.startsWith('-') ? -BigInt(s.slice(1)) : BigInt(s);
}

export const join = (path: string, key: string | number): string =>
  typeof key === 'number' ? `${path}[${key}]` : path ? `${path}.${key}` : key;

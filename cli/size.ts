import { UserError } from '../machine/errors';

/** Parses a memory size: bytes, or a number with K/M/G (optionally KiB/MiB/GiB/KB/MB/GB) suffix. */
export function parseSize(text: string, what = '--mem'): number {
  const m = /^(\d+)\s*([kmg]?)(i?b)?$/i.exec(text.trim());
  if (!m) throw new UserError(`${what}: bad size '${text}' (examples: 128M, 1G, 65536)`);
  const mult = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2].toLowerCase() as '' | 'k' | 'm' | 'g'];
  const v = Number(m[1]) * mult;
  if (!Number.isSafeInteger(v)) throw new UserError(`${what}: size '${text}' is too large`);
  return v;
}

/** Parses a non-negative integer count (decimal, 0x hex, or with k/M/G decimal suffixes). */
export function parseCount(text: string, what: string): bigint {
  const t = text.trim();
  const m = /^(\d+)([kmg]?)$/i.exec(t);
  if (m) {
    const mult = { '': 1n, k: 1000n, m: 1000_000n, g: 1000_000_000n }[m[2].toLowerCase() as '' | 'k' | 'm' | 'g'];
    return BigInt(m[1]) * mult;
  }
  if (/^0x[0-9a-f]+$/i.test(t)) return BigInt(t);
  throw new UserError(`${what}: bad number '${text}'`);
}

export function parseAddress(text: string, what: string): bigint {
  const t = text.trim();
  if (/^0x[0-9a-f_]+$/i.test(t)) return BigInt(t.replace(/_/g, ''));
  if (/^\d+$/.test(t)) return BigInt(t);
  throw new UserError(`${what}: bad address '${text}'`);
}

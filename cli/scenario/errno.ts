/**
 * Names for the values a scenario asserts: the errnos the hyp returns in x1 (as upstream, negated)
 * and the SMCCC status codes in x0.
 */
import { E2BIG, EAGAIN, EBUSY, EEXIST, EFAULT, EHWPOISON, EINVAL, ENOENT, ENOMEM, EPERM, ERANGE, SMCCC_RET_INVALID_PARAMETER, SMCCC_RET_NOT_REQUIRED, SMCCC_RET_NOT_SUPPORTED, SMCCC_RET_SUCCESS } from './hyp-api';

export const ERRNOS: Record<string, number> = {
  EPERM, ENOENT, E2BIG, EAGAIN, ENOMEM, EFAULT, EBUSY, EEXIST, EINVAL, ERANGE, EHWPOISON,
};

export const SMCCC: Record<string, number> = {
  SUCCESS: SMCCC_RET_SUCCESS,
  NOT_SUPPORTED: SMCCC_RET_NOT_SUPPORTED,
  NOT_REQUIRED: SMCCC_RET_NOT_REQUIRED,
  INVALID_PARAMETER: SMCCC_RET_INVALID_PARAMETER,
};

/** "-EPERM" → -1, "EPERM" → -1, "0"/"ok" → 0; null if not an errno name. */
export function errnoByName(text: string): number | null {
  const t = text.trim();
  if (t === 'ok' || t === '0') return 0;
  const m = /^-?(E[A-Z0-9]+)$/.exec(t);
  if (m && m[1] in ERRNOS) return -ERRNOS[m[1]];
  return null;
}

/** -1 → "-EPERM", 0 → "0", anything unknown as a number. */
export function errnoName(v: number): string {
  if (v === 0) return '0';
  for (const [n, e] of Object.entries(ERRNOS)) if (-e === v) return `-${n}`;
  return String(v);
}

export function smcccName(v: number): string {
  for (const [n, c] of Object.entries(SMCCC)) if (c === v) return n;
  return String(v);
}

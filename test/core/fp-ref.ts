// A direct transcription of the Arm ARM shared floating-point pseudocode (FPUnpack, FPRound,
// FPProcessNaN(s), FPAdd, FPSub, FPMul, FPDiv, FPMulAdd, FPConvert, FPToFixed, FPRoundInt) into
// TypeScript with exact rational arithmetic on BigInt ("real" values as num/den), used as the
// source of expected values in the FP unit tests. It shares no code with the core.
export type Fmt = 16 | 32 | 64;
export const IOC = 1, DZC = 2, OFC = 4, UFC = 8, IXC = 16, IDC = 128;
export const RN = 0, RP = 1, RM = 2, RZ = 3, RA = 4, RO = 5;

export interface Fpcr { fz: boolean; fz16: boolean; dn: boolean; ahp: boolean; rmode: number }
export const fpcrOf = (v: number): Fpcr => ({
  fz: ((v >> 24) & 1) === 1, fz16: ((v >> 19) & 1) === 1, dn: ((v >> 25) & 1) === 1, ahp: ((v >> 26) & 1) === 1, rmode: (v >> 22) & 3,
});

interface Real { n: bigint; d: bigint } // value n / d, d > 0
const ZERO: Real = { n: 0n, d: 1n };
const pow2 = (e: number): Real => (e >= 0 ? { n: 1n << BigInt(e), d: 1n } : { n: 1n, d: 1n << BigInt(-e) });
const mul = (a: Real, b: Real): Real => ({ n: a.n * b.n, d: a.d * b.d });
const add = (a: Real, b: Real): Real => ({ n: a.n * b.d + b.n * a.d, d: a.d * b.d });
const neg = (a: Real): Real => ({ n: -a.n, d: a.d });
const div = (a: Real, b: Real): Real => (b.n < 0n ? { n: -a.n * b.d, d: a.d * -b.n } : { n: a.n * b.d, d: a.d * b.n });
const cmp = (a: Real, b: Real): number => { const x = a.n * b.d - b.n * a.d; return x < 0n ? -1 : x > 0n ? 1 : 0; };
const bitlen = (x: bigint) => x.toString(2).length;

const E = (N: Fmt) => (N === 16 ? 5 : N === 32 ? 8 : 11);
const F = (N: Fmt) => (N === 16 ? 10 : N === 32 ? 23 : 52);
const M = (N: number) => (1n << BigInt(N)) - 1n;
export const zero = (s: number, N: Fmt) => BigInt(s) << BigInt(N - 1);
export const inf = (s: number, N: Fmt) => zero(s, N) | (M(E(N)) << BigInt(F(N)));
export const maxNormal = (s: number, N: Fmt) => zero(s, N) | ((M(E(N)) - 1n) << BigInt(F(N))) | M(F(N));
export const defaultNaN = (N: Fmt) => inf(0, N) | (1n << BigInt(F(N) - 1));

export type T = 'zero' | 'denorm' | 'normal' | 'inf' | 'qnan' | 'snan';
export class Ctx {
  flags = 0;
  constructor(public fpcr: Fpcr) {}
  unpack(v: bigint, N: Fmt, cv = false): { t: T; s: number; val: Real } {
    const fz = N === 16 ? (cv ? false : this.fpcr.fz16) : this.fpcr.fz;
    const ahp = cv && N === 16 && this.fpcr.ahp;
    const s = Number((v >> BigInt(N - 1)) & 1n);
    const ex = Number((v >> BigInt(F(N))) & M(E(N)));
    const frac = v & M(F(N));
    const bias = (1 << (E(N) - 1)) - 1;
    const sg = (r: Real) => (s ? neg(r) : r);
    if (ex === 0) {
      if (frac === 0n) return { t: 'zero', s, val: ZERO };
      if (fz) { if (N !== 16) this.flags |= IDC; return { t: 'zero', s, val: ZERO }; }
      return { t: 'denorm', s, val: sg(mul({ n: frac, d: 1n }, pow2(1 - bias - F(N)))) };
    }
    if (ex === (1 << E(N)) - 1 && !ahp) {
      if (frac === 0n) return { t: 'inf', s, val: sg(pow2(100000)) };
      return { t: (frac >> BigInt(F(N) - 1)) & 1n ? 'qnan' : 'snan', s, val: ZERO };
    }
    return { t: 'normal', s, val: sg(mul({ n: (1n << BigInt(F(N))) | frac, d: 1n }, pow2(ex - bias - F(N)))) };
  }
  processNaN(t: T, v: bigint, N: Fmt): bigint {
    let r = v;
    if (t === 'snan') { r |= 1n << BigInt(F(N) - 1); this.flags |= IOC; }
    return this.fpcr.dn ? defaultNaN(N) : r;
  }
  processNaNs(ops: { t: T }[], vals: bigint[], N: Fmt): bigint | undefined {
    for (const k of ['snan', 'qnan'] as T[]) for (let i = 0; i < ops.length; i++) if (ops[i].t === k) return this.processNaN(k, vals[i], N);
    return undefined;
  }
  /** FPRoundBase */
  round(v: Real, N: Fmt, rounding: number, cv = false): bigint {
    const fz = N === 16 ? (cv ? false : this.fpcr.fz16) : this.fpcr.fz;
    const ahp = cv && N === 16 && this.fpcr.ahp;
    const bias = (1 << (E(N) - 1)) - 1, minExp = 1 - bias;
    const sign = v.n < 0n ? 1 : 0;
    const mant: Real = { n: v.n < 0n ? -v.n : v.n, d: v.d };
    let exponent = bitlen(mant.n) - bitlen(mant.d);
    if (cmp(mant, pow2(exponent)) < 0) exponent--;
    if (cmp(mant, pow2(exponent + 1)) >= 0) exponent++;
    if (fz && exponent < minExp) { this.flags |= UFC; return zero(sign, N); }
    let biased = Math.max(exponent - minExp + 1, 0);
    const scaleExp = biased === 0 ? minExp : exponent;
    const scaled = mul(mant, pow2(F(N) - scaleExp));
    let intMant = scaled.n / scaled.d;
    const err: Real = { n: scaled.n - intMant * scaled.d, d: scaled.d };
    const half: Real = { n: 1n, d: 2n };
    const errNZ = err.n !== 0n;
    if (biased === 0 && errNZ) this.flags |= UFC;
    let up = false, ovfInf = false;
    const c = cmp(err, half);
    if (rounding === RN) { up = c > 0 || (c === 0 && (intMant & 1n) === 1n); ovfInf = true; }
    else if (rounding === RP) { up = errNZ && sign === 0; ovfInf = sign === 0; }
    else if (rounding === RM) { up = errNZ && sign === 1; ovfInf = sign === 1; }
    else if (rounding === RA) { up = c >= 0; ovfInf = true; }
    if (up) {
      intMant++;
      if (intMant === 1n << BigInt(F(N))) biased = 1;
      if (intMant === 1n << BigInt(F(N) + 1)) { biased++; intMant >>= 1n; }
    }
    if (errNZ && rounding === RO) intMant |= 1n;
    let r: bigint;
    let inexact = errNZ;
    if (!ahp) {
      if (biased >= (1 << E(N)) - 1) { r = ovfInf ? inf(sign, N) : maxNormal(sign, N); this.flags |= OFC; inexact = true; }
      else r = zero(sign, N) | (BigInt(biased) << BigInt(F(N))) | (intMant & M(F(N)));
    } else if (biased >= 1 << E(N)) { r = zero(sign, N) | M(N - 1); this.flags |= IOC; inexact = false; }
    else r = zero(sign, N) | (BigInt(biased) << BigInt(F(N))) | (intMant & M(F(N)));
    if (inexact) this.flags |= IXC;
    return r;
  }
  get rm() { return this.fpcr.rmode; }
  add(a: bigint, b: bigint, N: Fmt, sub = false): bigint {
    const x = this.unpack(a, N), y = this.unpack(b, N);
    const nan = this.processNaNs([x, y], [a, b], N);
    if (nan !== undefined) return nan;
    const s2 = sub ? 1 - y.s : y.s;
    const v2 = sub ? neg(y.val) : y.val;
    const inf1 = x.t === 'inf', inf2 = y.t === 'inf', z1 = x.t === 'zero', z2 = y.t === 'zero';
    if (inf1 && inf2 && x.s !== s2) { this.flags |= IOC; return defaultNaN(N); }
    if ((inf1 && x.s === 0) || (inf2 && s2 === 0)) return inf(0, N);
    if ((inf1 && x.s === 1) || (inf2 && s2 === 1)) return inf(1, N);
    if (z1 && z2 && x.s === s2) return zero(x.s, N);
    const r = add(x.val, v2);
    if (r.n === 0n) return zero(this.rm === RM ? 1 : 0, N);
    return this.round(r, N, this.rm);
  }
  mul(a: bigint, b: bigint, N: Fmt): bigint {
    const x = this.unpack(a, N), y = this.unpack(b, N);
    const nan = this.processNaNs([x, y], [a, b], N);
    if (nan !== undefined) return nan;
    const inf1 = x.t === 'inf', inf2 = y.t === 'inf', z1 = x.t === 'zero', z2 = y.t === 'zero';
    if ((inf1 && z2) || (z1 && inf2)) { this.flags |= IOC; return defaultNaN(N); }
    if (inf1 || inf2) return inf(x.s ^ y.s, N);
    if (z1 || z2) return zero(x.s ^ y.s, N);
    return this.round(mul(x.val, y.val), N, this.rm);
  }
  div(a: bigint, b: bigint, N: Fmt): bigint {
    const x = this.unpack(a, N), y = this.unpack(b, N);
    const nan = this.processNaNs([x, y], [a, b], N);
    if (nan !== undefined) return nan;
    const inf1 = x.t === 'inf', inf2 = y.t === 'inf', z1 = x.t === 'zero', z2 = y.t === 'zero';
    if ((inf1 && inf2) || (z1 && z2)) { this.flags |= IOC; return defaultNaN(N); }
    if (inf1 || z2) { if (!inf1) this.flags |= DZC; return inf(x.s ^ y.s, N); }
    if (z1 || inf2) return zero(x.s ^ y.s, N);
    return this.round(div(x.val, y.val), N, this.rm);
  }
  mulAdd(addend: bigint, a: bigint, b: bigint, N: Fmt): bigint {
    const A = this.unpack(addend, N), x = this.unpack(a, N), y = this.unpack(b, N);
    const inf1 = x.t === 'inf', inf2 = y.t === 'inf', z1 = x.t === 'zero', z2 = y.t === 'zero';
    let result = this.processNaNs([A, x, y], [addend, a, b], N);
    if (A.t === 'qnan' && ((inf1 && z2) || (z1 && inf2))) { this.flags |= IOC; result = defaultNaN(N); }
    if (result !== undefined) return result;
    const infA = A.t === 'inf', zA = A.t === 'zero';
    const sP = x.s ^ y.s, infP = inf1 || inf2, zP = z1 || z2;
    if ((inf1 && z2) || (z1 && inf2) || (infA && infP && A.s !== sP)) { this.flags |= IOC; return defaultNaN(N); }
    if ((infA && A.s === 0) || (infP && sP === 0)) return inf(0, N);
    if ((infA && A.s === 1) || (infP && sP === 1)) return inf(1, N);
    if (zA && zP && A.s === sP) return zero(A.s, N);
    const r = add(A.val, mul(x.val, y.val));
    if (r.n === 0n) return zero(this.rm === RM ? 1 : 0, N);
    return this.round(r, N, this.rm);
  }
  convert(v: bigint, N: Fmt, Mb: Fmt, rounding = this.rm): bigint {
    const x = this.unpack(v, N, true);
    const altHP = Mb === 16 && this.fpcr.ahp;
    if (x.t === 'qnan' || x.t === 'snan') {
      let r: bigint;
      if (altHP) r = zero(x.s, Mb);
      else if (this.fpcr.dn) r = defaultNaN(Mb);
      else {
        const payload = v & M(F(N) - 1);
        const p = F(Mb) > F(N) ? payload << BigInt(F(Mb) - F(N)) : payload >> BigInt(F(N) - F(Mb));
        r = zero(x.s, Mb) | defaultNaN(Mb) | p;
      }
      if (x.t === 'snan' || altHP) this.flags |= IOC;
      return r;
    }
    if (x.t === 'inf') { if (altHP) { this.flags |= IOC; return zero(x.s, Mb) | M(Mb - 1); } return inf(x.s, Mb); }
    if (x.t === 'zero') return zero(x.s, Mb);
    return this.round(x.val, Mb, rounding, true);
  }
  /** RoundDown / error / round_up as FPToFixed and FPRoundInt. */
  private roundInt(val: Real, rounding: number): { i: bigint; inexact: boolean } {
    let i = val.n / val.d;
    if (val.n < 0n && i * val.d !== val.n) i -= 1n; // RoundDown
    const err: Real = { n: val.n - i * val.d, d: val.d };
    const c = cmp(err, { n: 1n, d: 2n });
    const nz = err.n !== 0n;
    let up = false;
    if (rounding === RN) up = c > 0 || (c === 0 && (i & 1n) === 1n);
    else if (rounding === RP) up = nz;
    else if (rounding === RM) up = false;
    else if (rounding === RZ) up = nz && i < 0n;
    else if (rounding === RA) up = c > 0 || (c === 0 && i >= 0n);
    return { i: up ? i + 1n : i, inexact: nz };
  }
  toFixed(v: bigint, N: Fmt, fbits: number, unsigned: boolean, Mbits: number, rounding: number): bigint {
    const x = this.unpack(v, N);
    if (x.t === 'qnan' || x.t === 'snan') this.flags |= IOC;
    const { i, inexact } = this.roundInt(mul(x.val, pow2(fbits)), rounding);
    const lo = unsigned ? 0n : -(1n << BigInt(Mbits - 1)), hi = unsigned ? M(Mbits) : (1n << BigInt(Mbits - 1)) - 1n;
    const sat = i < lo ? lo : i > hi ? hi : i;
    if (sat !== i) this.flags |= IOC;
    else if (inexact) this.flags |= IXC;
    return BigInt.asUintN(Mbits, sat);
  }
  roundToInt(v: bigint, N: Fmt, rounding: number, exact: boolean): bigint {
    const x = this.unpack(v, N);
    if (x.t === 'qnan' || x.t === 'snan') return this.processNaN(x.t, v, N);
    if (x.t === 'inf') return inf(x.s, N);
    if (x.t === 'zero') return zero(x.s, N);
    const { i, inexact } = this.roundInt(x.val, rounding);
    const r = i === 0n ? zero(x.s, N) : this.round({ n: i, d: 1n }, N, RZ);
    if (inexact && exact) this.flags |= IXC;
    return r;
  }
}

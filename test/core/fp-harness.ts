// Runs FP/SIMD instructions on the core with V registers, FPCR and FPSR set up (CPACR_EL1.FPEN = 11
// unless the test says otherwise) and returns V0..V31, FPSR, NZCV and X registers.
import { L } from '../../machine/core-constants';
import { SR, prepare, snapshot, type Result, type Setup } from './harness';

export interface FpSetup extends Setup {
  /** 128-bit values of V registers. */
  v?: Record<number, bigint>;
  fpcr?: number;
  fpsr?: number;
  /** CPACR_EL1 value (default FPEN = 0b11). */
  cpacr?: bigint;
}

export interface FpResult extends Result {
  v: (i: number) => bigint;
  fpsr: number;
  fpcr: number;
}

const vOff = (i: number) => L.CPU_BASE + L.OFF_V + 16 * i;

export function runFp(words: number[], s: FpSetup = {}): FpResult {
  const core = prepare(words, {
    ...s,
    sysregs: [[SR.CPACR_EL1, s.cpacr ?? 3n << 20n], [SR.FPCR, BigInt(s.fpcr ?? 0)], [SR.FPSR, BigInt(s.fpsr ?? 0)], ...(s.sysregs ?? [])],
  });
  const mem = core.mem;
  for (let i = 0; i < 32; i++) {
    const val = BigInt.asUintN(128, s.v?.[i] ?? 0n);
    for (let b = 0; b < 16; b++) mem[vOff(i) + b] = Number((val >> BigInt(8 * b)) & 0xffn);
  }
  const exit = core.run(s.steps ?? words.length);
  const r = snapshot(core, exit);
  const v = (i: number) => {
    let x = 0n;
    for (let b = 15; b >= 0; b--) x = (x << 8n) | BigInt(core.mem[vOff(i) + b]);
    return x;
  };
  return { ...r, v, fpsr: Number(core.sysreg(SR.FPSR)), fpcr: Number(core.sysreg(SR.FPCR)) };
}

export const IOC = 1, DZC = 2, OFC = 4, UFC = 8, IXC = 16, IDC = 128;
export const FZ = 1 << 24, DN = 1 << 25, AHP = 1 << 26, FZ16 = 1 << 19;
export const RMODE = (r: number) => r << 22; // 0 RN, 1 RP, 2 RM, 3 RZ

// SIMD additions to the core unit-test harness: V registers in, V registers out. Expected values
// in the tests come from the Arm ARM pseudocode, never from running the emulator.
import { prepare, snapshot, type Result, type Setup } from '../harness';
import { SR } from '../harness';

export interface VSetup extends Setup {
  /** V0..V31 initial values (128-bit). */
  v?: Record<number, bigint>;
  fpsr?: bigint;
}
export interface VResult extends Result {
  v: bigint[];
  fpsr: bigint;
}

export function vrun(words: number[], s: VSetup = {}): VResult {
  // FP/SIMD enabled (CPACR_EL1.FPEN = 0b11: its reset value 0b00 traps every SIMD&FP instruction).
  const core = prepare(words, { ...s, sysregs: [[SR.CPACR_EL1, 3n << 20n], ...(s.sysregs ?? [])] });
  for (let i = 0; i < 32; i++) core.setV(i, 0n);
  for (const [k, val] of Object.entries(s.v ?? {})) core.setV(Number(k), val);
  core.setSysreg(SR.FPSR, s.fpsr ?? 0n);
  const exit = core.run(s.steps ?? words.length);
  const r = snapshot(core, exit) as VResult;
  r.v = [];
  for (let i = 0; i < 32; i++) r.v.push(core.getV(i));
  r.fpsr = core.sysreg(SR.FPSR);
  return r;
}

/** Builds a 128-bit value from lanes (lane 0 least significant) of `bits` each. */
export function lanes(bits: number, vals: (bigint | number)[]): bigint {
  let r = 0n;
  const m = (1n << BigInt(bits)) - 1n;
  vals.forEach((v, i) => { r |= (BigInt(v) & m) << BigInt(i * bits); });
  return r;
}
/** Lane i of a 128-bit value. */
export function lane(v: bigint, bits: number, i: number): bigint {
  return (v >> BigInt(i * bits)) & ((1n << BigInt(bits)) - 1n);
}
export const QC = 1n << 27n;
export const hex128 = (v: bigint) => '0x' + v.toString(16).padStart(32, '0');

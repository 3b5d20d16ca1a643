/**
 * The FP/SIMD register state of a vCPU (struct user_fpsimd_state in struct kvm_cpu_context:
 * vregs[32] (128-bit), fpsr, fpcr) and its save/restore on the core (__fpsimd_save_state /
 * __fpsimd_restore_state). The switch is lazy, as upstream's (world-switch.ts): a guest runs with
 * CPTR_EL2.TFP set; its first FP/SIMD instruction traps to EL2 (EC 0x07, kvm_hyp_handle_fpsimd),
 * which saves the host's registers and loads the guest's; at the end of that run (fpsimd_sve_sync)
 * the guest's are saved and the host's put back. A run without FP/SIMD switches nothing.
 * The state lives in the hyp's copy of the vCPU only: no part of it is published to the host's
 * struct kvm_vcpu (host-abi.ts carries none), so a protected guest's V registers, FPSR and FPCR
 * never reach the host, and the host's own FP/SIMD state is put back on the core after every run.
 */
import { Core, L, SR } from '../machine/core';

/** 32 × 128-bit vregs (4 words each), then FPSR and FPCR (one word each, as user_fpsimd_state). */
export const FPSIMD_WORDS = 32 * 4 + 2;
export const FPSIMD_FPSR = 128;
export const FPSIMD_FPCR = 129;

export class UserFpsimdState {
  readonly words = new Uint32Array(FPSIMD_WORDS);
  /** V<i> as a 128-bit value. */
  vreg(i: number): bigint {
    const w = this.words;
    let v = 0n;
    for (let k = 3; k >= 0; k--) v = (v << 32n) | BigInt(w[4 * i + k]!);
    return v;
  }
  get fpsr(): number { return this.words[FPSIMD_FPSR]!; }
  get fpcr(): number { return this.words[FPSIMD_FPCR]!; }
  /** memset(&fp_regs, 0): kvm_reset_vcpu, and the hyp's scrub of a torn-down vCPU. */
  clear(): void { this.words.fill(0); }
}

const V_WORD = (L.CPU_BASE + L.OFF_V) >> 2;

/** __fpsimd_save_state: the core's V0–V31, FPSR and FPCR into st. */
export function fpsimdSave(core: Core, st: UserFpsimdState): void {
  const m = core.words, w = st.words;
  w.set(m.subarray(V_WORD, V_WORD + 128), 0);
  w[FPSIMD_FPSR] = m[Core.sysregWord(SR.FPSR)]!;
  w[FPSIMD_FPCR] = m[Core.sysregWord(SR.FPCR)]!;
}

/** __fpsimd_restore_state: st onto the core (the upper halves of FPSR/FPCR are RES0). */
export function fpsimdRestore(core: Core, st: UserFpsimdState): void {
  const m = core.words, w = st.words;
  m.set(w.subarray(0, 128), V_WORD);
  const sr = Core.sysregWord(SR.FPSR), cr = Core.sysregWord(SR.FPCR);
  m[sr] = w[FPSIMD_FPSR]!; m[sr + 1] = 0;
  m[cr] = w[FPSIMD_FPCR]!; m[cr + 1] = 0;
}

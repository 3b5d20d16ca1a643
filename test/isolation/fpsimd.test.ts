// Isolation of a protected guest's FP/SIMD state (issue 13): the guest plants known values in
// V0-V31, FPSR and FPCR and checks them after every exit to the host, while the host (this test,
// standing in for the host kernel between runs) keeps its own FP/SIMD state on the core and
// changes it between runs. Nothing the host can read may show the guest's values: the core's
// registers after each __kvm_vcpu_run, any memory it can read, its struct kvm_vcpu — before and
// after teardown; and the host's own state must be back on the core after every run.
import { describe, expect, it } from 'vitest';
import { boot, createVm, runToOff, IMAGE_BASE, RESULT_IPA, SYSTEM_OFF, type Booted } from '../guest-abi/harness';
import { Asm } from '../gen/asm';
import { writeElf64 } from '../gen/elf-writer';
import { Cond, csel, hvc, movk, movz, str_imm, subsImm, bcond } from '../gen/a64enc';
import { SR } from '../../machine/core';
import { Rng } from '../gen/prng';

const WFI = 0xd503207f;
const ISB = 0xd5033fdf;
const MSR_CPACR_X0 = 0xd5181040;
const insD = (v: number, half: number, x: number) => ((half ? 0x4e181c00 : 0x4e081c00) | (x << 5) | v) >>> 0; // INS Vv.D[half], Xx
const umovD = (x: number, v: number, half: number) => ((half ? 0x4e183c00 : 0x4e083c00) | (v << 5) | x) >>> 0; // UMOV Xx, Vv.D[half]
const MSR_FPSR = (x: number) => 0xd51b4420 | x, MSR_FPCR = (x: number) => 0xd51b4400 | x;
const MRS_FPSR = (x: number) => 0xd53b4420 | x, MRS_FPCR = (x: number) => 0xd53b4400 | x;
const CMP = (n: number, m: number) => (0xeb00001f | (m << 16) | (n << 5)) >>> 0; // SUBS XZR, Xn, Xm

const rng = new Rng(0xf95e_c2e7);
/** The guest's secrets: 64 doublewords with every byte non-zero (nothing like them anywhere by chance). */
const SECRETS = Array.from({ length: 64 }, () => (rng.u64() | 0x0101_0101_0101_0101n) & ~0x8080_8080_8080_8080n | 0x4000_0000_0000_0000n);
const GUEST_FPSR = 0x0800_0011n; // QC, IXC, IOC
const GUEST_FPCR = 0x0740_0000n; // AHP, DN, FZ, RMode = RP
const ROUNDS = 6;

function mov64(a: Asm, rd: number, v: bigint): void {
  a.emit(movz(rd, Number(v & 0xffffn)));
  for (let hw = 1; hw < 4; hw++) {
    const part = Number((v >> BigInt(16 * hw)) & 0xffffn);
    if (part) a.emit(movk(rd, part, hw));
  }
}

/** The guest: enable FP/SIMD, plant the secrets, then ROUNDS times { WFI (an exit); check everything }. */
function buildFpGuest(): { bytes: Uint8Array; name: string } {
  const a = new Asm(Number(IMAGE_BASE));
  a.emit(movz(0, 0x30, 1), MSR_CPACR_X0, ISB); // CPACR_EL1.FPEN = 0b11
  for (let i = 0; i < 32; i++) {
    mov64(a, 9, SECRETS[2 * i]!); mov64(a, 10, SECRETS[2 * i + 1]!);
    a.emit(insD(i, 0, 9), insD(i, 1, 10));
  }
  mov64(a, 9, GUEST_FPSR); a.emit(MSR_FPSR(9));
  mov64(a, 9, GUEST_FPCR); a.emit(MSR_FPCR(9));
  a.emit(movz(12, 0), movz(13, ROUNDS));
  mov64(a, 20, RESULT_IPA);
  a.label('round');
  a.emit(WFI);
  const check = () => a.emit(CMP(9, 10), csel(1, 0, 1, 12, 12, 12, Cond.EQ)); // CINC x12, x12, NE
  for (let i = 0; i < 32; i++) {
    for (const h of [0, 1]) { a.emit(umovD(9, i, h)); mov64(a, 10, SECRETS[2 * i + h]!); check(); }
  }
  a.emit(MRS_FPSR(9)); mov64(a, 10, GUEST_FPSR); check();
  a.emit(MRS_FPCR(9)); mov64(a, 10, GUEST_FPCR); check();
  a.emit(subsImm(13, 13, 1));
  a.ref('imm19', 'round', bcond(Cond.NE, 0));
  a.emit(str_imm(12, 20, 0), str_imm(13, 20, 8)); // mismatches, rounds left (0)
  mov64(a, 0, SYSTEM_OFF);
  a.emit(hvc(0));
  return { bytes: writeElf64(IMAGE_BASE, [{ paddr: IMAGE_BASE, data: a.finish() }]), name: 'fpsimd-guest.elf' };
}

const secretWords = new Set(SECRETS);

/** Pages of RAM the host can read (through its stage-2) holding any of the secrets (as an aligned doubleword). */
function hostReadableHits(t: Booted): number {
  let found = 0;
  for (let pa = t.core.ramBase; pa < t.el2.carveout.base; pa += 4096n) {
    let bytes: Uint8Array;
    try { bytes = t.kvm.mem.readBytes(pa, 4096); } catch { continue; }
    const w = new BigUint64Array(bytes.buffer, bytes.byteOffset, 512);
    for (let i = 0; i < 512; i++) if (w[i] !== 0n && secretWords.has(w[i]!)) { found++; break; }
  }
  return found;
}

describe('isolation: a protected guest\'s FP/SIMD state', () => {
  it('V0-V31, FPSR and FPCR survive the host\'s own FP use between runs and are never visible to it', () => {
    const t = boot();
    const core = t.core;
    let hostPattern = 0x1234_5678_9abc_def0_0fed_cba9_8765_4321n;
    const hostFpsr = 0x0800_0000n, hostFpcr = 0x0100_0000n;
    const setHostFp = () => {
      for (let i = 0; i < 32; i++) core.setV(i, hostPattern ^ BigInt(i));
      core.setSysreg(SR.FPSR, hostFpsr);
      core.setSysreg(SR.FPCR, hostFpcr);
    };
    setHostFp();
    const secretSet = new Set(SECRETS);
    const problems: string[] = [];
    let runs = 0;
    const hcall = t.el2.hcall.bind(t.el2);
    t.el2.hcall = (name, ...args) => {
      const r = hcall(name, ...args);
      if (name !== '__kvm_vcpu_run') return r;
      runs++;
      // The core after the run: the host's own state, nothing of the guest's.
      for (let i = 0; i < 32; i++) {
        const v = core.getV(i);
        if (v !== (hostPattern ^ BigInt(i))) problems.push(`run ${runs}: V${i} is not the host's value`);
        if (secretSet.has(v & ((1n << 64n) - 1n)) || secretSet.has(v >> 64n)) problems.push(`run ${runs}: V${i} shows a guest secret`);
      }
      if (core.sysreg(SR.FPSR) !== hostFpsr || core.sysreg(SR.FPCR) !== hostFpcr) problems.push(`run ${runs}: FPSR/FPCR not the host's`);
      if (runs % 3 === 0 && hostReadableHits(t) !== 0) problems.push(`run ${runs}: a secret in host-readable memory`);
      // The host uses FP/SIMD itself before the next run.
      hostPattern = (hostPattern * 0x9e37_79b9n + 0x7f4a_7c15n) & ((1n << 128n) - 1n);
      setHostFp();
      return r;
    };
    const vm = createVm(t, { name: 'fp-victim', image: buildFpGuest() });
    runToOff(t);
    expect(problems.slice(0, 10)).toEqual([]);
    expect(runs).toBeGreaterThanOrEqual(ROUNDS);
    // The guest saw its own values after every exit: 0 mismatches, all rounds done.
    const pa = vm.slot.pages.get(RESULT_IPA >> 12n)!;
    expect(core.readPhysU64(pa)).toBe(0n);
    expect(core.readPhysU64(pa + 8n)).toBe(0n);
    // Its state is in the hyp's vCPU (where the host cannot read it).
    const hypVcpu = t.el2.pkvm.vms().find((v) => v.is_protected)!.vcpus[0]!;
    expect(hypVcpu.ctxt.fp_regs.vreg(5)).toBe(SECRETS[10]! | (SECRETS[11]! << 64n));
    expect(BigInt(hypVcpu.ctxt.fp_regs.fpcr)).toBe(GUEST_FPCR);
    expect(hostReadableHits(t)).toBe(0);
    // Teardown: still nothing the host can read, and the hyp's copy is scrubbed.
    t.kvm.destroyVm(vm);
    expect(t.el2.pkvm.checkInvariants({ strict: true })).toEqual([]);
    expect(hostReadableHits(t)).toBe(0);
    expect(hypVcpu.ctxt.fp_regs.words.every((w) => w === 0)).toBe(true);
    for (let i = 0; i < 32; i++) expect(secretSet.has(core.getV(i) & ((1n << 64n) - 1n))).toBe(false);
  });
});

// Test harness for the protected-guest ABI: a hosted pKVM with the host KVM model, and tiny guests
// generated in the test (a list of operations: HVCs with given x0..x3, loads, stores), whose results
// the test reads straight from the guest's backing pages (an oracle's view: the host model cannot).
import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { Core } from '../../machine/core';
import { HostedEl2, type HostedEl2Options } from '../../hyp/hosted-el2';
import { HostKvm, runAll, type HostVm, type VmConfig } from '../../host-kernel-model/index';
import type { GuestHcallEvent } from '../../host-kernel-model/vcpu-run';
import { Asm } from '../gen/asm';
import { writeElf64 } from '../gen/elf-writer';
import { SysReg, addImm, b, hvc, ldr_imm, movReg, movk, movz, mrs, msr, str_imm } from '../gen/a64enc';

export const IMAGE_BASE = 0x4008_0000n;
/** Guest page holding the results (one 32-byte slot per recorded operation) and the abort record. */
export const RESULT_IPA = 0x4010_0000n;
export const SEA_RECORD = 0xf00n; /* in the result page: ESR_EL1, FAR_EL1, count, ELR_EL1, vector */
export const SYSTEM_OFF = 0x8400_0008n;
export const U64 = (v: bigint | number): bigint => BigInt.asUintN(64, BigInt(v));
export const S64 = (v: bigint): bigint => BigInt.asIntN(64, v);

export const img = (n: string) => ({ bytes: readFileSync(new URL(`../../guest-images/bin/${n}.elf`, import.meta.url)), name: `${n}.elf` });

export interface Booted {
  core: Core;
  el2: HostedEl2;
  kvm: HostKvm;
  events: { vm: string; vcpu: number; ev: GuestHcallEvent }[];
  /** Invariant violations seen after any step (checked after every host hypercall). */
  violations: string[];
}

/**
 * A machine with hosted pKVM and the host KVM model. pkvm.checkInvariants() runs after every host
 * hypercall (each __kvm_vcpu_run is one guest step) unless `checkEveryHcall` is false; violations
 * are collected in `violations` and must stay empty.
 */
export function boot(opts: HostedEl2Options & {
  checkEveryHcall?: boolean;
  /** Also after exits that are emulated MMIO (no ownership changes; many for a console): default true. */
  checkMmioExits?: boolean;
  onEvent?: (vm: HostVm, ev: GuestHcallEvent) => void;
} = {}): Booted {
  const core = new Core(64 << 20, { haveEL2: true, el2Hosted: true });
  core.reset(2, 0n);
  // These suites test Android's protected-guest ABI (MMIO guard, RELINQUISH, PSCI at EL2): the board
  // option is selected explicitly (upstream's is the default; hvc-abi.test.ts covers both).
  const el2 = new HostedEl2(core, { slice: 50_000, guestHvcAbi: 'android', ...opts });
  const events: Booted['events'] = [];
  const violations: string[] = [];
  const kvm = new HostKvm(el2, {
    onGuestHcall: (vm, vcpu, ev) => {
      events.push({ vm: vm.name, vcpu: vcpu.idx, ev });
      opts.onEvent?.(vm, ev);
    },
  });
  if (opts.checkEveryHcall !== false) {
    const hcall = el2.hcall.bind(el2);
    el2.hcall = (name, ...args) => {
      const r = hcall(name, ...args);
      if (name === '__kvm_vcpu_run' && opts.checkMmioExits === false && isMmioExit(el2)) return r;
      const errs = el2.pkvm.checkInvariants();
      if (errs.length) violations.push(`after ${name}: ${errs.join('; ')}`);
      return r;
    };
  }
  return { core, el2, kvm, events, violations };
}

/** The loaded vCPU's last exit was a data abort with a valid syndrome outside guest memory. */
function isMmioExit(el2: HostedEl2): boolean {
  const v = el2.pkvm.loaded_vcpu(0);
  if (!v) return false;
  const esr = v.fault.esr_el2;
  if (((esr >> 26n) & 0x3fn) !== 0x24n || !((esr >> 24n) & 1n)) return false;
  const ipa = ((v.fault.hpfar_el2 >> 4n) << 12n) | (v.fault.far_el2 & 0xfffn);
  return ipa < v.vm.mem_ipa.base || ipa >= v.vm.mem_ipa.base + v.vm.mem_ipa.size;
}

export type Op =
  | { hvc: (bigint | number)[] } /* x0..x3; x0..x3 after the call are recorded */
  | { write: bigint; value: bigint; size?: 4 | 8 }
  | { read: bigint; size?: 4 | 8 } /* the value is recorded in x0 of the slot */
  | { wfi: true }
  | { mrs: number } /* MRS x0, <sysreg> (a16-bit op0:op1:CRn:CRm:op2 field); x0 starts as 0xdead */
  | { msr: number; value: bigint }; /* MSR <sysreg>, x0 */

function mov64(a: Asm, rd: number, v: bigint): void {
  const u = U64(v);
  a.emit(movz(rd, Number(u & 0xffffn)));
  for (let hw = 1; hw < 4; hw++) {
    const part = Number((u >> BigInt(16 * hw)) & 0xffffn);
    if (part) a.emit(movk(rd, part, hw));
  }
}

const ERET = 0xd69f03e0;
const WFI = 0xd503207f;

/**
 * A guest at IMAGE_BASE: EL1 vectors that record any synchronous exception (ESR_EL1, FAR_EL1, a
 * count, ELR_EL1 and the vector offset in the result page at SEA_RECORD) and skip the instruction;
 * then each op in turn, each recording x0..x3 in the next 32-byte slot of RESULT_IPA; then PSCI
 * SYSTEM_OFF.
 */
export function buildGuest(ops: Op[], secondary?: Op[]): { bytes: Uint8Array; name: string; secondaryEntry: bigint } {
  const a = new Asm(Number(IMAGE_BASE));
  a.ref('imm26', 'start', b(0));
  a.org(Number(IMAGE_BASE) + 0x800);
  a.label('vectors');
  for (let i = 0; i < 16; i++) {
    a.org(Number(IMAGE_BASE) + 0x800 + i * 0x80);
    a.emit(movz(26, i * 0x80));
    a.ref('imm26', 'handler', b(0));
  }
  a.label('handler');
  const rec = Number(SEA_RECORD);
  a.emit(mrs(27, SysReg.ESR_EL1), str_imm(27, 20, rec));
  a.emit(mrs(27, SysReg.FAR_EL1), str_imm(27, 20, rec + 8));
  a.emit(ldr_imm(27, 20, rec + 16), addImm(27, 27, 1), str_imm(27, 20, rec + 16));
  a.emit(mrs(27, SysReg.ELR_EL1), str_imm(27, 20, rec + 24), addImm(27, 27, 4), msr(SysReg.ELR_EL1, 27));
  a.emit(str_imm(26, 20, rec + 32));
  a.emit(ERET);
  const body = (list: Op[], slots: bigint): void => {
    mov64(a, 10, IMAGE_BASE + 0x800n);
    a.emit(msr(SysReg.VBAR_EL1, 10));
    mov64(a, 20, RESULT_IPA);
    mov64(a, 21, RESULT_IPA + slots);
    a.emit(str_imm(31, 20, 0)); // first touch of the result page (XZR)
    ops_(list);
  };
  const ops_ = (list: Op[]): void => {
  for (const op of list) {
    if ('hvc' in op) {
      for (let i = 0; i < 4; i++) mov64(a, i, BigInt(op.hvc[i] ?? 0));
      a.emit(hvc(0));
    } else if ('write' in op) {
      mov64(a, 9, op.write);
      mov64(a, 10, op.value);
      a.emit(str_imm(10, 9, 0, op.size === 4 ? 2 : 3));
      a.emit(movz(0, 0), movz(1, 0), movz(2, 0), movz(3, 0));
    } else if ('read' in op) {
      mov64(a, 9, op.read);
      a.emit(movz(0, 0xdead), movz(1, 0), movz(2, 0), movz(3, 0));
      a.emit(ldr_imm(0, 9, 0, op.size === 4 ? 2 : 3));
    } else if ('mrs' in op) {
      a.emit(movz(0, 0xdead), movz(1, 0), movz(2, 0), movz(3, 0));
      a.emit(mrs(0, op.mrs));
    } else if ('msr' in op) {
      mov64(a, 0, op.value);
      a.emit(movz(1, 0), movz(2, 0), movz(3, 0));
      a.emit(msr(op.msr, 0));
    } else {
      a.emit(WFI, movz(0, 0), movz(1, 0), movz(2, 0), movz(3, 0));
    }
    for (let i = 0; i < 4; i++) a.emit(str_imm(i, 21, 8 * i));
    a.emit(addImm(21, 21, 32));
  }
  };
  a.label('start');
  body(ops, 0n);
  mov64(a, 0, SYSTEM_OFF);
  a.emit(hvc(0));
  a.label('hang');
  a.ref('imm26', 'hang', b(0));
  let secondaryEntry = 0n;
  if (secondary) {
    // vCPU 1 (PSCI CPU_ON): x0..x3 at entry recorded in the first secondary slot, then its ops, CPU_OFF.
    secondaryEntry = BigInt(a.pc());
    for (let i = 0; i < 4; i++) a.emit(movReg(22 + i, i));
    mov64(a, 20, RESULT_IPA);
    mov64(a, 21, RESULT_IPA + SECONDARY_SLOTS);
    for (let i = 0; i < 4; i++) a.emit(str_imm(22 + i, 21, 8 * i));
    a.emit(addImm(21, 21, 32));
    mov64(a, 10, IMAGE_BASE + 0x800n);
    a.emit(msr(SysReg.VBAR_EL1, 10));
    ops_(secondary);
    mov64(a, 0, PSCI_CPU_OFF);
    a.emit(hvc(0));
    a.label('hang2');
    a.ref('imm26', 'hang2', b(0));
  }
  return { bytes: writeElf64(IMAGE_BASE, [{ paddr: IMAGE_BASE, data: a.finish() }]), name: 'generated.elf', secondaryEntry };
}

/** Offset in the result page of the secondary vCPU's slots (its entry registers, then its ops). */
export const SECONDARY_SLOTS = 0x800n;
export const PSCI_CPU_OFF = 0x8400_0002n;

export function createVm(t: Booted, cfg: Partial<VmConfig> & { ops?: Op[] }): HostVm {
  return t.kvm.createVm({ name: cfg.name ?? 'g', protected: cfg.protected ?? true, memBytes: cfg.memBytes ?? 2 << 20, vcpus: cfg.vcpus, image: cfg.image ?? buildGuest(cfg.ops ?? []), args: cfg.args });
}

/** The SMCCC x0 results of ops as signed numbers (for readable expectations). */
export function x0s(t: Booted, vm: HostVm, n: number, secondary = false): bigint[] {
  return Array.from({ length: n }, (_, k) => S64(result(t, vm, k, secondary)[0]!));
}

/** Runs every VM until it stops; expects them all off and no invariant violation on the way. */
export function runToOff(t: Booted, maxGuestInsns = 20_000_000n): void {
  expect(runAll(t.kvm, { slice: 20_000, maxGuestInsns })).toBe('all-stopped');
  for (const vm of t.kvm.vms) expect(vm.error ?? vm.state, vm.name).toBe('off');
  expect(t.violations).toEqual([]);
  expect(t.el2.pkvm.checkInvariants()).toEqual([]);
}

/** The oracle's view of a guest page (through its backing page, bypassing the host stage-2). */
export function guestU64(t: Booted, vm: HostVm, ipa: bigint): bigint {
  const pa = vm.slot.pages.get(ipa >> 12n);
  if (pa === undefined) throw new Error(`no backing page for IPA 0x${ipa.toString(16)}`);
  return t.core.readPhysU64(pa + (ipa & 0xfffn));
}

/** x0..x3 recorded for op number k (of the secondary vCPU: slot 0 = its entry registers). */
export function result(t: Booted, vm: HostVm, k: number, secondary = false): bigint[] {
  const base = RESULT_IPA + (secondary ? SECONDARY_SLOTS : 0n);
  return [0, 1, 2, 3].map((i) => guestU64(t, vm, base + BigInt(32 * k + 8 * i)));
}

/** The abort record of the generated guest's vectors. */
export function seaRecord(t: Booted, vm: HostVm): { esr: bigint; far: bigint; count: bigint; elr: bigint; vector: bigint } {
  const r = (o: bigint) => guestU64(t, vm, RESULT_IPA + SEA_RECORD + o);
  return { esr: r(0n), far: r(8n), count: r(16n), elr: r(24n), vector: r(32n) };
}

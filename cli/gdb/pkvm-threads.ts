// Threads of `pkvm-emu run SCENARIO --gdb`: each vCPU of each VM ("vm1/vcpu0"), and on an a64-host
// scenario the host CPU ("host"). The thread whose context is on the core is live (its registers
// and memory are the core's); the others come from their saved contexts: a vCPU's in the hyp
// (struct kvm_cpu_context, hyp/hyp-vm.ts), the host's in the world switch while a guest runs.
// A saved vCPU's memory is translated with its own EL1 translation registers and its VM's stage 2:
// they are loaded into the core for the walk and put back (Core.walk uses and fills no TLB).
import { Core, SR } from '../../machine/core';
import { coreTranslate, LiveCpuRegs, translateAs, type DebugTarget, type DebugThread, type Regime } from '../../machine/gdb/target';
import type { CpuRegs } from '../../machine/gdb/registers';
import type { World } from '../scenario/world';
import { get_vm_by_handle } from '../../hyp/pkvm';
import { HCR_GUEST_FLAGS, HCR_TWE, HCR_TWI } from '../../hyp/world-switch';
import { VCPU_SYSREGS, type KvmCpuContext, type PkvmHypVcpu } from '../../hyp/hyp-vm';

const CTX_NAME = new Map<number, (typeof VCPU_SYSREGS)[number]>();
for (const n of VCPU_SYSREGS) {
  const idx = n === 'MPIDR_EL1' ? SR.VMPIDR_EL2 : (SR as Record<string, number>)[n];
  if (idx !== undefined) CTX_NAME.set(idx, n);
}

/** Registers of a context saved in memory (x0-x30, SP_EL0/SP_EL1, PC, PSTATE, EL1 sysregs). */
class SavedRegs implements CpuRegs {
  constructor(readonly ctxt: KvmCpuContext, readonly el2: (idx: number) => bigint | null) {}
  private spIsEl1(): boolean { const p = this.ctxt.pstate; return (p & 1n) === 1n && ((p >> 2n) & 3n) >= 1n; }
  x(i: number): bigint { return this.ctxt.regs[i]!; }
  setX(i: number, v: bigint): void { this.ctxt.regs[i] = BigInt.asUintN(64, v); }
  sp(): bigint { return this.spIsEl1() ? this.ctxt.sp_el1 : this.ctxt.sp_el0; }
  setSp(v: bigint): void { if (this.spIsEl1()) this.ctxt.sp_el1 = BigInt.asUintN(64, v); else this.ctxt.sp_el0 = BigInt.asUintN(64, v); }
  pc(): bigint { return this.ctxt.pc; }
  setPc(v: bigint): void { this.ctxt.pc = BigInt.asUintN(64, v); }
  cpsr(): bigint { return this.ctxt.pstate; }
  setCpsr(v: bigint): void { this.ctxt.pstate = BigInt.asUintN(64, v); }
  v(i: number): bigint | null { return this.ctxt.fp_regs.vreg(i); } // struct user_fpsimd_state (hyp/fpsimd.ts)
  setV(): boolean { return false; }
  sysreg(idx: number): bigint | null {
    if (idx === SR.FPSR) return BigInt(this.ctxt.fp_regs.fpsr);
    if (idx === SR.FPCR) return BigInt(this.ctxt.fp_regs.fpcr);
    if (idx === SR.SP_EL0) return this.ctxt.sp_el0;
    if (idx === SR.SP_EL1) return this.ctxt.sp_el1;
    const n = CTX_NAME.get(idx);
    return n ? this.ctxt.sys_regs[n] : this.el2(idx);
  }
  setSysreg(idx: number, v: bigint): boolean {
    if (idx === SR.SP_EL0) { this.ctxt.sp_el0 = BigInt.asUintN(64, v); return true; }
    if (idx === SR.SP_EL1) { this.ctxt.sp_el1 = BigInt.asUintN(64, v); return true; }
    const n = CTX_NAME.get(idx);
    if (!n) return false;
    this.ctxt.sys_regs[n] = BigInt.asUintN(64, v);
    return true;
  }
}

/** Translates with a saved context's registers (EL1&0, its VM's stage 2). */
function translateWith(core: Core, regs: CpuRegs, va: bigint, regime: Regime): bigint | string {
  return translateAs(core, regs, va, regime === 'cur' ? 'el1' : regime, 1);
}

export function pkvmTarget(w: World): DebugTarget {
  const core = w.core;
  const ws = w.el2.ws;
  const live = new LiveCpuRegs(core);
  const ids = new Map<PkvmHypVcpu, number>();
  let nextId = 2; // 1 is the host
  const cache = new Map<PkvmHypVcpu, DebugThread>();

  const vcpuThread = (vmName: string, vcpu: PkvmHypVcpu): DebugThread => {
    let t = cache.get(vcpu);
    if (t) return t;
    const id = ids.get(vcpu) ?? nextId++;
    ids.set(vcpu, id);
    const el2 = (idx: number): bigint | null => {
      if (idx === SR.HCR_EL2) return HCR_GUEST_FLAGS | (vcpu.hcr_el2 & (HCR_TWI | HCR_TWE));
      if (idx === SR.VTTBR_EL2) return w.el2.pkvm.guest_vttbr(vcpu.vm);
      if (idx === SR.VTCR_EL2) return vcpu.vm.mmu.vtcr;
      if (idx === SR.ESR_EL2) return vcpu.fault.esr_el2;
      if (idx === SR.FAR_EL2) return vcpu.fault.far_el2;
      if (idx === SR.HPFAR_EL2) return vcpu.fault.hpfar_el2;
      return null;
    };
    const saved = new SavedRegs(vcpu.ctxt, el2);
    const isLive = () => ws.running === vcpu;
    t = {
      id, name: `${vmName}/vcpu${vcpu.vcpu_idx}`,
      live: isLive,
      regs: () => (isLive() ? live : saved),
      translate: (va, regime) => (isLive() ? coreTranslate(core, va, regime, core.el) : translateWith(core, saved, va, regime)),
      extraInfo: () => {
        const r = isLive() ? live : saved;
        return `EL${Number((r.cpsr() >> 2n) & 3n)}, pc 0x${r.pc().toString(16)}${vcpu.vm.is_protected ? ', protected' : ''}`;
      },
    };
    cache.set(vcpu, t);
    return t;
  };

  const hostLive = () => ws.running === null;
  const host: DebugThread | null = w.machine ? {
    id: 1, name: 'host',
    live: hostLive,
    regs: () => {
      if (hostLive() || !ws.savedHost) return live;
      const h = ws.savedHost;
      const r = new SavedRegs(h.ctxt, (idx) => core.sysreg(idx));
      r.pc = () => h.pc; r.cpsr = () => h.pstate;
      return r;
    },
    translate: (va, regime) => (hostLive() ? coreTranslate(core, va, regime, core.el) : 'the host is not on the core (a guest runs): use monitor phys'),
    extraInfo: () => (hostLive() ? `EL${core.el}, pc 0x${core.pc.toString(16)}` : 'waiting for a guest run to return'),
  } : null;

  const threads = (): DebugThread[] => {
    const out: DebugThread[] = host ? [host] : [];
    for (const [name, hv] of w.vms) {
      const vm = get_vm_by_handle(w.el2.pkvm, hv.handle);
      if (!vm) continue;
      for (const v of vm.vcpus) if (v) out.push(vcpuThread(name, v));
    }
    // A running vCPU not (or no longer) in the table still shows.
    if (ws.running && !out.some((t) => t.live() && t !== host)) out.push(vcpuThread('vm?', ws.running));
    return out;
  };

  return {
    core,
    threads,
    current: () => {
      if (ws.running) {
        const t = threads().find((x) => x !== host && x.live());
        if (t) return t;
      }
      return host ?? threads()[0] ?? vcpuThread('vm?', ws.running!);
    },
  };
}



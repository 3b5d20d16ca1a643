// Drives the core's GICv3 the way software does: one MRS/MSR/LDR/STR at a time at CODE, with the
// state set up by the core test harness (test/core/harness.ts). Register encodings from the GICv3
// specification (chapter 12) and the Arm ARM.
import { sysreg } from '../gen/a64enc';
import { CODE, getCore, prepare, type Setup } from '../core/harness';
import type { Core, ExitReason } from '../../machine/core';

export const ICC = {
  PMR: sysreg(3, 0, 4, 6, 0), IAR0: sysreg(3, 0, 12, 8, 0), EOIR0: sysreg(3, 0, 12, 8, 1),
  HPPIR0: sysreg(3, 0, 12, 8, 2), BPR0: sysreg(3, 0, 12, 8, 3), AP0R0: sysreg(3, 0, 12, 8, 4),
  AP1R0: sysreg(3, 0, 12, 9, 0), DIR: sysreg(3, 0, 12, 11, 1), RPR: sysreg(3, 0, 12, 11, 3),
  SGI1R: sysreg(3, 0, 12, 11, 5), ASGI1R: sysreg(3, 0, 12, 11, 6), SGI0R: sysreg(3, 0, 12, 11, 7),
  IAR1: sysreg(3, 0, 12, 12, 0), EOIR1: sysreg(3, 0, 12, 12, 1), HPPIR1: sysreg(3, 0, 12, 12, 2),
  BPR1: sysreg(3, 0, 12, 12, 3), CTLR: sysreg(3, 0, 12, 12, 4), SRE: sysreg(3, 0, 12, 12, 5),
  IGRPEN0: sysreg(3, 0, 12, 12, 6), IGRPEN1: sysreg(3, 0, 12, 12, 7), SRE_EL2: sysreg(3, 4, 12, 9, 5),
} as const;
export const ICH = {
  AP0R0: sysreg(3, 4, 12, 8, 0), AP1R0: sysreg(3, 4, 12, 9, 0), HCR: sysreg(3, 4, 12, 11, 0),
  VTR: sysreg(3, 4, 12, 11, 1), MISR: sysreg(3, 4, 12, 11, 2), EISR: sysreg(3, 4, 12, 11, 3),
  ELRSR: sysreg(3, 4, 12, 11, 5), VMCR: sysreg(3, 4, 12, 11, 7),
  LR: (n: number) => sysreg(3, 4, 12, 12, n),
} as const;
export const TIMER = {
  CNTP_CTL: sysreg(3, 3, 14, 2, 1), CNTP_CVAL: sysreg(3, 3, 14, 2, 2), CNTP_TVAL: sysreg(3, 3, 14, 2, 0),
  CNTV_CTL: sysreg(3, 3, 14, 3, 1), CNTV_CVAL: sysreg(3, 3, 14, 3, 2), CNTPCT: sysreg(3, 3, 14, 0, 1),
  CNTVCT: sysreg(3, 3, 14, 0, 2), CNTVOFF: sysreg(3, 4, 14, 0, 3), CNTHCTL: sysreg(3, 4, 14, 1, 0),
  CNTHP_CTL: sysreg(3, 4, 14, 2, 1), CNTHP_CVAL: sysreg(3, 4, 14, 2, 2),
  ISR_EL1: sysreg(3, 0, 12, 1, 0), HCR_EL2: sysreg(3, 4, 1, 1, 0), DAIF: sysreg(3, 3, 4, 2, 1),
} as const;

export const GICD = 0x0800_0000n;
export const GICR = 0x080a_0000n;
export const SGI_BASE = GICR + 0x1_0000n;
export const HCR_RW = 1n << 31n, HCR_IMO = 1n << 4n, HCR_FMO = 1n << 3n, HCR_VI = 1n << 7n;

export const MRS = (key: number, rt = 0) => (0xd520_0000 | (key << 5) | rt) >>> 0;
export const MSR = (key: number, rt = 1) => (0xd500_0000 | (key << 5) | rt) >>> 0;
export const NOP = 0xd503201f;

/** A core prepared by the harness (reset: GIC at its reset state), driven one instruction at a time. */
export class Drv {
  readonly core: Core;
  constructor(setup: Setup = {}) {
    this.core = prepare([NOP], { daif: 0xf, ...setup });
  }
  exec(word: number, x: Record<number, bigint> = {}): ExitReason {
    const c = this.core;
    c.writePhys(CODE, new Uint8Array(new Uint32Array([word]).buffer));
    for (const [k, v] of Object.entries(x)) c.setX(Number(k), v);
    c.pc = CODE;
    return c.run(1);
  }
  mrs(key: number): bigint { this.exec(MRS(key)); return this.core.getX(0); }
  msr(key: number, v: bigint | number): void { this.exec(MSR(key), { 1: BigInt(v) }); }
  r32(pa: bigint): bigint { this.exec(0xb940_0040, { 2: pa }); return this.core.getX(0); }
  w32(pa: bigint, v: bigint | number): void { this.exec(0xb900_0041, { 1: BigInt(v), 2: pa }); }
  r64(pa: bigint): bigint { this.exec(0xf940_0040, { 2: pa }); return this.core.getX(0); }
  w64(pa: bigint, v: bigint | number): void { this.exec(0xf900_0041, { 1: BigInt(v), 2: pa }); }
  w8(pa: bigint, v: number): void { this.exec(0x3900_0041, { 1: BigInt(v), 2: pa }); }

  /** Linux-like bring-up of CPU 0: distributor groups enabled, redistributor awake, all Group 1 at 0xa0, ICC on. */
  init(): this {
    this.w32(GICD, 0x3); // EnableGrp0 | EnableGrp1
    this.w32(GICR + 0x14n, 0); // GICR_WAKER.ProcessorSleep = 0
    this.w32(SGI_BASE + 0x80n, 0xffff_ffff); // IGROUPR0: Group 1
    for (let n = 1n; n < 8n; n++) this.w32(GICD + 0x80n + 4n * n, 0xffff_ffff);
    for (let i = 0n; i < 32n; i += 4n) this.w32(SGI_BASE + 0x400n + i, 0xa0a0_a0a0);
    this.msr(ICC.PMR, 0xff);
    this.msr(ICC.BPR1, 0);
    this.msr(ICC.IGRPEN1, 1);
    return this;
  }
  prio(intid: number, p: number): void {
    this.w8(intid < 32 ? SGI_BASE + 0x400n + BigInt(intid) : GICD + 0x400n + BigInt(intid), p);
  }
  enable(intid: number): void {
    const base = intid < 32 ? SGI_BASE : GICD;
    this.w32(base + 0x100n + BigInt(Math.floor(intid / 32) * 4), 1n << BigInt(intid % 32));
  }
  /** SGI to this CPU (Aff0 = 0) through ICC_SGI1R_EL1. */
  sgiSelf(intid: number): void { this.msr(ICC.SGI1R, (BigInt(intid) << 24n) | 1n); }
  pendingBit(intid: number): boolean {
    const base = intid < 32 ? SGI_BASE : GICD;
    return ((this.r32(base + 0x200n + BigInt(Math.floor(intid / 32) * 4)) >> BigInt(intid % 32)) & 1n) === 1n;
  }
  activeBit(intid: number): boolean {
    const base = intid < 32 ? SGI_BASE : GICD;
    return ((this.r32(base + 0x300n + BigInt(Math.floor(intid / 32) * 4)) >> BigInt(intid % 32)) & 1n) === 1n;
  }
}

export { getCore, CODE };

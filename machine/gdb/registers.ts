// The register layout the stub describes to gdb (qXfer:features:read:target.xml) and serves with
// g/G/p/P: gdb's own AArch64 features (org.gnu.gdb.aarch64.core: x0-x30, sp, pc, cpsr;
// org.gnu.gdb.aarch64.fpu: v0-v31, fpsr, fpcr) and org.pkvm-emu.aarch64.sysregs with the EL1/EL2
// system registers a hypervisor engineer reads (gdb group "system": `info registers system`).
import { SR } from '../core-constants';

/** One CPU's registers, wherever they live (the core, or a saved vCPU context). */
export interface CpuRegs {
  x(i: number): bigint;
  setX(i: number, v: bigint): void;
  /** The current SP (SP_ELx selected by PSTATE). */
  sp(): bigint;
  setSp(v: bigint): void;
  pc(): bigint;
  setPc(v: bigint): void;
  /** PSTATE in SPSR format. */
  cpsr(): bigint;
  setCpsr(v: bigint): void;
  /** V0..V31 as 128-bit values; null when not available. */
  v(i: number): bigint | null;
  setV(i: number, v: bigint): boolean;
  /** A system register by core index (SR.*); null when not available for this CPU. */
  sysreg(idx: number): bigint | null;
  setSysreg(idx: number, v: bigint): boolean;
}

export interface RegDef {
  name: string;
  bits: number;
  type: string;
  feature: 'core' | 'fpu' | 'sys';
  get(c: CpuRegs): bigint | null;
  /** Absent: read-only. Returns false when the write could not be done. */
  set?(c: CpuRegs, v: bigint): boolean;
}

const sysDef = (name: keyof typeof SR, shown: string = name): RegDef => ({
  name: shown, bits: 64, type: 'uint64', feature: 'sys',
  get: (c) => c.sysreg(SR[name]),
  set: (c, v) => c.setSysreg(SR[name], v),
});

/** The EL1/EL2 system registers of the third feature, in register-number order. */
export const SYSREG_NAMES = [
  'ESR_EL1', 'FAR_EL1', 'ELR_EL1', 'SPSR_EL1', 'VBAR_EL1', 'SCTLR_EL1', 'TCR_EL1', 'TTBR0_EL1',
  'TTBR1_EL1', 'MAIR_EL1', 'SP_EL0', 'SP_EL1',
  'ESR_EL2', 'FAR_EL2', 'ELR_EL2', 'SPSR_EL2', 'VBAR_EL2', 'SCTLR_EL2', 'TCR_EL2', 'TTBR0_EL2',
  'MAIR_EL2', 'SP_EL2', 'HCR_EL2', 'VTTBR_EL2', 'VTCR_EL2', 'HPFAR_EL2',
] as const;

export const REGS: RegDef[] = (() => {
  const r: RegDef[] = [];
  for (let i = 0; i < 31; i++) {
    r.push({ name: `x${i}`, bits: 64, type: 'int', feature: 'core', get: (c) => c.x(i), set: (c, v) => { c.setX(i, v); return true; } });
  }
  r.push({ name: 'sp', bits: 64, type: 'data_ptr', feature: 'core', get: (c) => c.sp(), set: (c, v) => { c.setSp(v); return true; } });
  r.push({ name: 'pc', bits: 64, type: 'code_ptr', feature: 'core', get: (c) => c.pc(), set: (c, v) => { c.setPc(v); return true; } });
  r.push({ name: 'cpsr', bits: 32, type: 'cpsr_flags', feature: 'core', get: (c) => c.cpsr() & 0xffff_ffffn, set: (c, v) => { c.setCpsr(v); return true; } });
  for (let i = 0; i < 32; i++) {
    r.push({ name: `v${i}`, bits: 128, type: 'aarch64v', feature: 'fpu', get: (c) => c.v(i), set: (c, v) => c.setV(i, v) });
  }
  r.push({ name: 'fpsr', bits: 32, type: 'int', feature: 'fpu', get: (c) => c.sysreg(SR.FPSR), set: (c, v) => c.setSysreg(SR.FPSR, v) });
  r.push({ name: 'fpcr', bits: 32, type: 'int', feature: 'fpu', get: (c) => c.sysreg(SR.FPCR), set: (c, v) => c.setSysreg(SR.FPCR, v) });
  for (const n of SYSREG_NAMES) r.push(sysDef(n));
  // CurrentEL as the register reads (EL in bits [3:2]); read-only.
  r.push({ name: 'CurrentEL', bits: 64, type: 'uint64', feature: 'sys', get: (c) => c.cpsr() & 0xcn });
  return r;
})();

export const REG_PC = 32;
export const REG_CPSR = 33;

export function regByName(name: string): number {
  return REGS.findIndex((r) => r.name === name);
}

function regXml(feature: RegDef['feature'], group?: string): string {
  return REGS.map((r, n) => (r.feature === feature
    ? `  <reg name="${r.name}" bitsize="${r.bits}" type="${r.type}" regnum="${n}"${group ? ` group="${group}"` : ''}/>\n` : '')).join('');
}

/** The target description: architecture, the three features. */
export const TARGET_XML = `<?xml version="1.0"?>
<!DOCTYPE target SYSTEM "gdb-target.dtd">
<target version="1.0">
<architecture>aarch64</architecture>
<feature name="org.gnu.gdb.aarch64.core">
  <flags id="cpsr_flags" size="4">
    <field name="SP" start="0" end="0"/>
    <field name="EL" start="2" end="3"/>
    <field name="F" start="6" end="6"/>
    <field name="I" start="7" end="7"/>
    <field name="A" start="8" end="8"/>
    <field name="D" start="9" end="9"/>
    <field name="IL" start="20" end="20"/>
    <field name="SS" start="21" end="21"/>
    <field name="PAN" start="22" end="22"/>
    <field name="UAO" start="23" end="23"/>
    <field name="V" start="28" end="28"/>
    <field name="C" start="29" end="29"/>
    <field name="Z" start="30" end="30"/>
    <field name="N" start="31" end="31"/>
  </flags>
${regXml('core')}</feature>
<feature name="org.gnu.gdb.aarch64.fpu">
  <vector id="v2d" type="ieee_double" count="2"/>
  <vector id="v2u" type="uint64" count="2"/>
  <vector id="v2i" type="int64" count="2"/>
  <vector id="v4f" type="ieee_single" count="4"/>
  <vector id="v4u" type="uint32" count="4"/>
  <vector id="v4i" type="int32" count="4"/>
  <vector id="v8u" type="uint16" count="8"/>
  <vector id="v8i" type="int16" count="8"/>
  <vector id="v16u" type="uint8" count="16"/>
  <vector id="v16i" type="int8" count="16"/>
  <vector id="v1u" type="uint128" count="1"/>
  <vector id="v1i" type="int128" count="1"/>
  <union id="vnd"><field name="f" type="v2d"/><field name="u" type="v2u"/><field name="s" type="v2i"/></union>
  <union id="vns"><field name="f" type="v4f"/><field name="u" type="v4u"/><field name="s" type="v4i"/></union>
  <union id="vnh"><field name="u" type="v8u"/><field name="s" type="v8i"/></union>
  <union id="vnb"><field name="u" type="v16u"/><field name="s" type="v16i"/></union>
  <union id="vnq"><field name="u" type="v1u"/><field name="s" type="v1i"/></union>
  <union id="aarch64v"><field name="d" type="vnd"/><field name="s" type="vns"/><field name="h" type="vnh"/><field name="b" type="vnb"/><field name="q" type="vnq"/></union>
${regXml('fpu')}</feature>
<feature name="org.pkvm-emu.aarch64.sysregs">
${regXml('sys', 'system')}</feature>
</target>
`;

// `--stats` (boot and run): what a run cost and what it hit that the core does not implement, on
// stderr when it ends. The core keeps the counts (core-as/stats/: UNDEFINED encodings, unimplemented
// system registers and SYS operations, exceptions taken by class); formatStats prints them, one
// line per fact. Other parts add their own lines with addStatsSection (e.g. the compiled tier's
// blocks compiled per tier).
import { Core, L } from '../machine/core';
import { exitName } from './trace/names';
import { SYSREG_NAMES } from './sysreg-names';

export interface StatsRun { insns: bigint; wallMs: number }

/** Something that has a core (a Machine, a scenario's World). */
export interface HasCore { readonly core: Core }

type Section = (m: HasCore, run: StatsRun) => string[];
const sections: Section[] = [];

/** Adds lines to every --stats report, after the core's. */
export function addStatsSection(s: Section): void { sections.push(s); }

/** Starts counting on this core: exceptions by class from now, the UNDEFINED tables emptied. */
export function startStats(core: Core): void { core.x.excStatsSet(1); core.jit?.setTiming(true); }

const ENTRY = 24;
interface Counted { key: number; el: number; count: bigint; pc: bigint }

function table(core: Core, base: number): { entries: Counted[]; dropped: bigint } {
  const dv = core.view;
  const n = dv.getUint32(base, true);
  const entries: Counted[] = [];
  for (let i = 0; i < n; i++) {
    const a = base + 16 + i * ENTRY;
    entries.push({ key: dv.getUint32(a, true), el: dv.getUint32(a + 4, true), count: dv.getBigUint64(a + 8, true), pc: dv.getBigUint64(a + 16, true) });
  }
  return { entries, dropped: dv.getBigUint64(base + 8, true) };
}

/** The generic name of a system register / SYS operation (srKey layout): S3_0_C15_C2_0. */
export function sysregName(key: number): string {
  const op0 = (key >> 14) & 3, op1 = (key >> 11) & 7, crn = (key >> 7) & 15, crm = (key >> 3) & 15, op2 = key & 7;
  return `S${op0}_${op1}_C${crn}_C${crm}_${op2}`;
}

/**
 * The top-level encoding group of an A64 instruction (Arm ARM C4.1, op0 = bits 28:25), or for the
 * system instructions with op0 = 0 in the PSTATE and barrier classes, the class and its fields.
 */
export function encodingGroup(insn: number): string {
  insn >>>= 0;
  if (((insn & 0xfff8f01f) >>> 0) === 0xd500401f) return `PSTATE class (MSR immediate, CFINV, XAFLAG, AXFLAG) op1=${(insn >>> 16) & 7} CRm=${(insn >>> 8) & 15} op2=${(insn >>> 5) & 7}`;
  if (((insn & 0xfffff01f) >>> 0) === 0xd503301f) return `barrier class CRm=${(insn >>> 8) & 15} op2=${(insn >>> 5) & 7}`;
  const op0 = (insn >>> 25) & 0xf;
  if (op0 === 0) return (insn >>> 31) ? 'SME' : 'reserved';
  if (op0 === 2) return 'SVE';
  if (op0 === 1 || op0 === 3) return 'unallocated';
  if ((op0 & 0xe) === 0x8) return 'data processing (immediate)';
  if ((op0 & 0xe) === 0xa) return 'branches, exception generating and system';
  if ((op0 & 0x5) === 0x4) return 'loads and stores';
  if ((op0 & 0x7) === 0x5) return 'data processing (register)';
  return 'data processing (scalar FP and Advanced SIMD)';
}

const times = (n: bigint) => `${n} time${n === 1n ? '' : 's'}`;
const hex = (v: bigint | number) => `0x${v.toString(16)}`;

/** The --stats report: one line per fact. */
export function formatStats(m: HasCore, run: StatsRun): string {
  const core = m.core;
  const mips = run.wallMs > 0 ? Number(run.insns) / run.wallMs / 1000 : 0;
  const out = [`instructions: ${run.insns}`, `wall time: ${(run.wallMs / 1000).toFixed(3)} s`, `MIPS: ${mips.toFixed(1)}`];
  for (let c = 0; c < core.numCpus; c++) out.push(`cpu${c}: ${core.cpuRetired(c)} instructions retired${core.powerState(c) ? ' (off)' : ''}`);
  const dv = core.view;
  const exc: string[] = [];
  for (let ec = 0; ec < 64; ec++) {
    const n = dv.getBigUint64(L.EXC_STATS + ec * 8, true);
    if (n) exc.push(`${n} ${exitName(BigInt(ec) << 26n)} (EC ${hex(ec)})`);
  }
  ['IRQ', 'FIQ', 'virtual IRQ', 'virtual FIQ'].forEach((k, i) => {
    const n = dv.getBigUint64(L.EXC_STATS + 64 * 8 + i * 8, true);
    if (n) exc.push(`${n} ${k}`);
  });
  out.push(`exceptions taken: ${exc.length ? exc.join(', ') : 'none'}`);
  const u = table(core, L.UNDEF_STATS);
  if (u.entries.length === 0) out.push('UNDEFINED encodings: none');
  for (const e of u.entries) {
    out.push(`UNDEFINED 0x${(e.key >>> 0).toString(16).padStart(8, '0')} (${encodingGroup(e.key)}): ${times(e.count)}, first at pc ${hex(e.pc)} (EL${e.el})`);
  }
  if (u.dropped) out.push(`UNDEFINED: ${u.dropped} more executions of encodings not counted (table full)`);
  const s = table(core, L.SYSREG_STATS);
  if (s.entries.length === 0) out.push('unimplemented system registers: none');
  for (const e of s.entries) {
    const op0 = (e.key >> 14) & 3;
    const known = op0 === 1 ? undefined : SYSREG_NAMES[e.key & 0xffff];
    const what = op0 === 1 ? `SYS${e.key & 0x10000 ? 'L' : ''} ${sysregName(e.key)}`
      : `${e.key & 0x10000 ? 'MRS' : 'MSR'} ${sysregName(e.key)}${known ? ` (${known})` : ''}`;
    out.push(`unimplemented system register ${what}: ${times(e.count)}, first at pc ${hex(e.pc)} (EL${e.el})`);
  }
  if (s.dropped) out.push(`unimplemented system registers: ${s.dropped} more accesses not counted (table full)`);
  for (const sec of sections) out.push(...sec(m, run));
  return out.join('\n') + '\n';
}

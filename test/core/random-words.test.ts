// "No crash, no hang": random 32-bit words, each executed as one instruction from a fresh state
// (registers pointing into RAM, vectors full of NOPs). Each word either executes or takes a
// synchronous exception; core.run(1) must never throw and must always return a valid exit reason.
// When an exception is taken, it must look like one: a known EC, ELR = the word or the next one.
import { describe, expect, it } from 'vitest';
import { Rng } from '../gen/prng';
import { CODE, DATA, NOP, SR, STACK, VBAR1, VBAR2, getCore, hex, wordsToBytes } from './harness';
import type { Core, CoreConfig, ExitReason } from '../../machine/core';
import { L } from '../../machine/core-constants';

const VALID_EXITS: ExitReason[] = ['budget', 'firmware', 'mmio', 'wfi', 'semihosting', 'hyp'];
const KNOWN_EC = new Set([0x00, 0x01, 0x07, 0x0e, 0x15, 0x16, 0x17, 0x18, 0x20, 0x21, 0x22, 0x24, 0x25, 0x26, 0x3c]);

interface Pass {
  name: string; count: number; seed: number; el: number; config: CoreConfig; mixedRegs?: boolean;
  /** Words forced into an encoding space: word & and | or. */
  space?: [and: number, or: number];
  /** FP/SIMD enabled (CPACR_EL1.FPEN = 11), random FPCR and V registers. */
  fpSpace?: boolean;
}

const FP_V = L.CPU_BASE + L.OFF_V;
const RAM_END = 0x4000_0000n + 16n * 1024n * 1024n;

function runPass(p: Pass): { problems: string[]; stats: Record<string, number> } {
  const core: Core = getCore(p.config);
  const rng = new Rng(p.seed);
  const problems: string[] = [];
  const stats: Record<string, number> = {};
  const nops = wordsToBytes(new Array(0x800 / 4).fill(NOP));
  core.reset(1, CODE);
  core.writePhys(VBAR1, nops);
  core.writePhys(VBAR2, nops);
  const vbar = p.el === 2 ? VBAR2 : VBAR1;
  const esrIdx = p.el === 2 ? SR.ESR_EL2 : SR.ESR_EL1;
  const elrIdx = p.el === 2 ? SR.ELR_EL2 : SR.ELR_EL1;
  for (let n = 0; n < p.count; n++) {
    let word = rng.u32();
    if (p.space) word = ((word & p.space[0]) | p.space[1]) >>> 0;
    try {
      core.reset(p.el === 2 ? 2 : 1, CODE);
      core.setSysreg(SR.VBAR_EL1, VBAR1);
      if (p.config.haveEL2) {
        core.setSysreg(SR.VBAR_EL2, VBAR2);
        core.setSysreg(SR.HCR_EL2, 1n << 31n);
      }
      if (p.el === 0) core.pstate = 0n;
      if (p.fpSpace) {
        core.setSysreg(SR.CPACR_EL1, 3n << 20n);
        core.setSysreg(SR.FPCR, BigInt(rng.u32() & 0x07c80000));
        if (n % 64 === 0) core.mem.set(rng.bytes(32 * 16), FP_V);
      }
      for (let i = 0; i < 31; i++) {
        let v = DATA + BigInt(i) * 0x100n;
        if (p.mixedRegs) {
          // Device and unassigned addresses, the end of RAM, wrap-around, and anything at all.
          const choices = [v, 0x0900_0000n + BigInt(i) * 8n, 0x1000_0000n, RAM_END - 4n, RAM_END - 0x1000n, 0xffff_ffff_ffff_fff8n, 0n, rng.u64()];
          v = choices[rng.int(choices.length)];
        }
        core.setX(i, v);
      }
      core.setX(31, STACK);
      core.writePhys(CODE, wordsToBytes([word]));
      let exit = core.run(1);
      // Serve device accesses (alternating good data and bus errors) until the insn completes.
      for (let k = 0; exit === 'mmio' && k < 16; k++) {
        core.mmioComplete(0x5a5a_5a5a_5a5a_5a5an, (n + k) % 3 === 0);
        exit = core.run(1);
      }
      stats[exit] = (stats[exit] ?? 0) + 1;
      if (!VALID_EXITS.includes(exit) || exit === 'mmio') {
        problems.push(`${hex(word)}: run(1) returned '${exit}'`);
        continue;
      }
      const pc = core.pc;
      const esr = core.sysreg(esrIdx);
      const tookException = esr !== 0n && (pc === vbar || pc === vbar + 0x200n || pc === vbar + 0x400n);
      if (tookException) {
        stats.exception = (stats.exception ?? 0) + 1;
        const ec = Number((esr >> 26n) & 0x3fn);
        const elr = core.sysreg(elrIdx);
        if (!KNOWN_EC.has(ec)) problems.push(`${hex(word)}: exception with unexpected EC ${hex(ec)}`);
        if (elr !== CODE && elr !== CODE + 4n) problems.push(`${hex(word)}: exception with ELR ${hex(elr)}`);
      }
    } catch (e) {
      problems.push(`${hex(word)}: threw ${(e as Error).message}`);
      // A core that aborted may be unusable: start over with a fresh instance next time.
      if (problems.length > 20) break;
    }
  }
  return { problems, stats };
}

describe('random instruction words: no crash, no hang', () => {
  const passes: Pass[] = [
    { name: '100,000 words at EL1 (no EL2)', count: 100_000, seed: 0xc0de_0001, el: 1, config: {} },
    { name: '20,000 words at EL0 (no EL2)', count: 20_000, seed: 0xc0de_0002, el: 0, config: {} },
    { name: '20,000 words at EL2 (EL2 implemented)', count: 20_000, seed: 0xc0de_0003, el: 2, config: { haveEL2: true } },
    { name: '20,000 words at EL1 (EL2 implemented)', count: 20_000, seed: 0xc0de_0004, el: 1, config: { haveEL2: true } },
    { name: '100,000 words in the SIMD&FP space at EL1, FP enabled, random FPCR and V registers', count: 100_000, seed: 0xc0de_0006, el: 1, config: {}, space: [~0, 0x0e00_0000], fpSpace: true },
    { name: '20,000 words in the SIMD&FP space at EL0 (EL2 implemented)', count: 20_000, seed: 0xc0de_0007, el: 0, config: { haveEL2: true }, space: [~0, 0x0e00_0000], fpSpace: true },
    { name: '50,000 words at EL1 with registers at devices, RAM end, 0, ~0 and random', count: 50_000, seed: 0xc0de_0005, el: 1, config: {}, mixedRegs: true },
    // The SIMD&FP loads and stores (x1x0, V = 1).
    { name: '50,000 SIMD&FP load/store words with registers at devices, RAM end, 0, ~0 and random', count: 50_000, seed: 0xc0de_0008, el: 1, config: {}, mixedRegs: true, space: [~0x0200_0000, 0x0c00_0000], fpSpace: true },
  ];
  for (const p of passes) {
    it(p.name, () => {
      const t0 = performance.now();
      const { problems, stats } = runPass(p);
      const ms = performance.now() - t0;
      expect(problems.slice(0, 30), `${problems.length} problem(s); exits ${JSON.stringify(stats)}`).toEqual([]);
      expect(ms, 'time budget').toBeLessThan(20_000);
    });
  }
});

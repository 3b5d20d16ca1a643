// Small hot loops compiled early (core-as/jit/jit-loop.ts) and compiled functions shared by the same
// code at several physical addresses (machine/jit/jit.ts byContent): both only change *when* code is
// compiled, so every program must end in exactly the interpreter's state (registers, flags, PC,
// instruction count, memory, console), including a loop that rewrites its own body after it was
// compiled, a fault inside an early-compiled loop, a write over one of two copies of shared code,
// and four protected VMs running the toucher with every page a stage-2 fault.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Machine } from '../../machine/machine';
import { Core } from '../../machine/core';
import type { JitOptions, JitStats } from '../../machine/jit/jit';
import { HostedEl2 } from '../../hyp/hosted-el2';
import { HostKvm, runAll } from '../../host-kernel-model/index';
import { Asm } from '../gen/asm';
import * as E from '../gen/a64enc';
import { BASE, el1Program } from './el1-program';

function fnv(a: Uint8Array): string {
  let h = 0xcbf29ce484222325n;
  const dv = new DataView(a.buffer, a.byteOffset, a.byteLength);
  for (let i = 0; i + 8 <= a.length; i += 8) h = BigInt.asUintN(64, (h ^ dv.getBigUint64(i, true)) * 0x100000001b3n);
  return h.toString(16);
}

function run(elf: Uint8Array, jit: false | JitOptions): { f: Record<string, unknown>; s: JitStats | null } {
  const m = new Machine({ jit });
  m.load(elf, 'test.elf');
  const r = m.run(100_000_000n);
  const c = m.core;
  const f = {
    reason: r.reason, uart: m.uartText(), insns: c.insns, pc: c.pc, nzcv: c.nzcv, el: c.el,
    x: Array.from({ length: 32 }, (_, i) => c.getX(i)), ram: fnv(c.ram.subarray(0, 8 << 20)),
  };
  return { f, s: c.jitStats() };
}

/** Interpreter vs compiled tier with `opts`: the same final state; the compiled run's statistics. */
function same(elf: Uint8Array, opts: JitOptions): JitStats {
  const a = run(elf, false), b = run(elf, opts);
  expect(b.f).toEqual(a.f);
  return b.s!;
}

/** Small loops compiled early, the hot threshold far above what the programs run. */
const EARLY: JitOptions = { loopHot: 64, loopPatience: 64 };

describe('small loops compiled early', () => {
  const sumLoop = (n: number) => el1Program((a) => {
    a.ref('adr', 'data', E.adr(2, 0));
    a.emit(E.movz(3, 0), E.movz(4, n));
    a.label('loop');
    a.emit(E.ldstUimm(3, 1, 1, 2, 0)); // LDR x1, [x2]
    a.emit(E.addsubShift(1, 0, 0, 3, 3, 1, 0, 0), E.addsubShift(1, 0, 0, 3, 3, 4, 0, 0)); // x3 += x1 + x4
    a.emit(E.ldstUimm(3, 0, 3, 2, 1)); // STR x3, [x2, #8]
    a.emit(E.subsImm(4, 4, 1));
    a.ref('imm19', 'loop', E.bcond(E.Cond.NE, 0));
  }, { data: (a: Asm) => { a.align(16); a.label('data'); a.emit(5, 0, 0, 0); } });

  it('a loop of 3000 passes (below the hot threshold) runs compiled after its first ~130, with the interpreter\'s state', () => {
    const elf = sumLoop(3000);
    const s = same(elf, EARLY);
    expect(s.loopExits).toBeGreaterThanOrEqual(1);
    expect(Number(s.insnsCompiled)).toBeGreaterThan(6 * 2800);
    // x3 = sum over x4 = 3000..1 of (5 + x4)
    expect(run(elf, EARLY).f.x).toContain(BigInt(5 * 3000 + (3000 * 3001) / 2));
    // without the early path the loop never gets hot: everything interpreted
    const off = same(elf, { loopHot: 0 });
    expect(off.insnsCompiled).toBe(0n);
    expect(off.loopsWatched).toBe(0);
  });

  it('a loop closed by a branch to the previous page is not a small loop (only loops inside one page are watched)', () => {
    // `body` at the start of a page: x3 += 1; x4 -= 1; B.NE to `back`, near the end of the page
    // before, which branches to `body` (every pass starts `body` again, from another page)
    const elf = el1Program((a) => {
      a.emit(E.movz(3, 0), E.movz(4, 3000));
      a.ref('imm26', 'body', E.b(0));
      a.org(BASE + 0x2ff8);
      a.label('back');
      a.ref('imm26', 'body', E.b(0));
      a.emit(E.NOP); // (so that `body` is not the next instruction after the B: a block start)
      a.label('body');
      a.emit(E.addImm(3, 3, 1), E.subsImm(4, 4, 1));
      a.ref('imm19', 'back', E.bcond(E.Cond.NE, 0));
      a.ref('imm26', 'off', E.b(0));
    });
    const s = same(elf, EARLY);
    expect(s.loopsWatched).toBe(0);
    expect(run(elf, EARLY).f.x).toContain(3000n);
  });

  it('a loop that rewrites an instruction of its own body half way (after it was compiled) runs the new one', () => {
    // x4 = 3000..1; at x4 == 1500: STR over `patch` (MOVZ x5, #1 -> MOVZ x5, #7); x8 += x5
    const elf = el1Program((a) => {
      a.emit(E.movz(8, 0), E.movz(4, 3000));
      a.emit(E.movz(10, 0x00e5), E.movk(10, 0xd280, 1)); // MOVZ x5, #7 = 0xd28000e5
      a.ref('adr', 'patch', E.adr(7, 0));
      a.label('loop');
      a.emit(E.subsImm(31, 4, 1500)); // CMP x4, #1500
      a.ref('imm19', 'patch', E.bcond(E.Cond.NE, 0));
      a.emit(E.ldstUimm(2, 0, 10, 7, 0), E.ISB); // STR w10, [x7]; ISB
      a.label('patch');
      a.emit(E.movz(5, 1));
      a.emit(E.addsubShift(1, 0, 0, 8, 8, 5, 0, 0), E.subsImm(4, 4, 1));
      a.ref('imm19', 'loop', E.bcond(E.Cond.NE, 0));
    });
    const s = same(elf, EARLY);
    expect(s.loopExits).toBeGreaterThanOrEqual(1);
    expect(s.invalidations).toBeGreaterThanOrEqual(1n);
    expect(run(elf, EARLY).f.x).toContain(BigInt(1500 * 1 + 1500 * 7));
  });

  it('a load leaving RAM inside an early-compiled loop takes the external abort at the same instruction', () => {
    const elf = el1Program((a) => {
      const start = 0x4800_0000 - 8 * 2000; // 2000 passes before the end of 128 MiB of RAM
      a.emit(E.movz(2, start & 0xffff), E.movk(2, start >>> 16, 1), E.movz(3, 0), E.movz(4, 3000));
      a.label('loop');
      a.emit(E.ldstUimm(3, 1, 1, 2, 0)); // LDR x1, [x2]
      a.emit(E.addsubShift(1, 0, 0, 3, 3, 1, 0, 0), E.addImm(2, 2, 8), E.subsImm(4, 4, 1));
      a.ref('imm19', 'loop', E.bcond(E.Cond.NE, 0));
    });
    const s = same(elf, EARLY);
    expect(s.loopExits).toBeGreaterThanOrEqual(1);
    const f = run(elf, EARLY).f as { x: bigint[] };
    expect(f.x[20] >> 26n).toBe(0x25n); // data abort taken without a change in EL
    expect(f.x[22]).toBe(0x4800_0000n);
    expect(f.x[4]).toBe(1000n); // 2000 passes completed, the 2001st faulted
  });
});

describe('one compiled function for the same code at several physical addresses', () => {
  it('two copies of a callee share a function; a write over one copy drops only that copy', () => {
    // callee copies at BASE+0x3000 and BASE+0x5000 (same page offset, same words): MOVZ x5, #3; ADD x5, x5, #1; RET
    // 600 calls to A, 600 to B, B rewritten (MOVZ x5, #9), 600 calls to B, 600 to A; x8 += x5 each call
    const elf = el1Program((a) => {
      a.emit(E.movz(8, 0));
      a.emit(E.movz(10, 0x0125), E.movk(10, 0xd280, 1)); // MOVZ x5, #9 = 0xd2800125
      a.ref('adr', 'calleeB', E.adr(7, 0));
      const calls = (callee: string): void => {
        const l = `loop${a.pc()}`;
        a.emit(E.movz(4, 600));
        a.label(l);
        a.ref('imm26', callee, E.bl(0));
        a.emit(E.addsubShift(1, 0, 0, 8, 8, 5, 0, 0), E.subsImm(4, 4, 1));
        a.ref('imm19', l, E.bcond(E.Cond.NE, 0));
      };
      calls('calleeA');
      calls('calleeB');
      a.emit(E.ldstUimm(2, 0, 10, 7, 0), E.ISB); // STR w10, [x7]; ISB
      calls('calleeB');
      calls('calleeA');
      a.ref('imm26', 'off', E.b(0));
      a.org(BASE + 0x3000);
      a.label('calleeA');
      a.emit(E.movz(5, 3), E.addImm(5, 5, 1), E.ret());
      a.org(BASE + 0x5000);
      a.label('calleeB');
      a.emit(E.movz(5, 3), E.addImm(5, 5, 1), E.ret());
    });
    const opts: JitOptions = { hot: 100, batch: 1, loopHot: 0 };
    const s = same(elf, opts);
    expect(s.blocksShared).toBeGreaterThanOrEqual(1);
    expect(s.invalidations).toBeGreaterThanOrEqual(1n);
    expect(run(elf, opts).f.x).toContain(BigInt(600 * 4 + 600 * 4 + 600 * 10 + 600 * 4));
  });
});

describe('four protected VMs running the toucher (every page a stage-2 fault)', () => {
  const toucher = readFileSync(new URL('../../guest-images/bin/toucher.elf', import.meta.url));
  function vms(jit: boolean) {
    const pages = 2048, MIB = 1 << 20;
    const core = new Core(4 * (pages * 4096 + 8 * MIB) + 64 * MIB, { haveEL2: true, el2Hosted: true, jit });
    core.reset(2, 0n);
    const el2 = new HostedEl2(core, { slice: 300_000 });
    el2.trace.enabled = false;
    const kvm = new HostKvm(el2, { faultFastPath: true });
    kvm.traceFaults = false;
    for (let v = 0; v < 4; v++) {
      kvm.createVm({ name: `vm${v}`, protected: true, memBytes: pages * 4096 + 8 * MIB, image: { bytes: toucher, name: 'toucher.elf' }, args: [BigInt(pages), BigInt(v + 1), 1n] });
    }
    const stop = runAll(kvm, { slice: 300_000, maxGuestInsns: 1_000_000_000n });
    return {
      out: { stop, guestInsns: el2.ws.guestInsns, vms: kvm.vms.map((v) => ({ console: v.consoleText(), faults: v.faults, state: v.state })), ram: fnv(core.ram) },
      s: core.jitStats(),
    };
  }

  it('the compiled tier (loops compiled early, functions shared by the four VMs) leaves the interpreter\'s state', () => {
    const a = vms(false), b = vms(true);
    expect(b.out).toEqual(a.out);
    expect(a.out.vms.every((v) => v.faults >= 2048 && /toucher: checksum/.test(v.console))).toBe(true);
    expect(b.s!.loopExits).toBeGreaterThanOrEqual(1);
    expect(b.s!.blocksShared).toBeGreaterThanOrEqual(3); // the other three VMs' copies of the loops
    expect(Number(b.s!.insnsCompiled) / Number(b.out.guestInsns)).toBeGreaterThan(0.5);
  });
});

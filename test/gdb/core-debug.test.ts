// The core's debugger support (core-as/debug/): breakpoints compared with the PC when the fetch page
// changes (and on every instruction of a page that holds one), watchpoints on the memory slow path
// (watched pages kept out of the fast TLB). A hit exits with 'debug' before the instruction
// executes: nothing retired, no register or memory changed (a hardware breakpoint or watchpoint
// exception is taken before the instruction too, Arm ARM D2.9/D2.10).
import { beforeEach, describe, expect, it } from 'vitest';
import { Core } from '../../machine/core';

interface Dbg {
  dbgClear(): void; dbgAddBreak(va: bigint): number; dbgRemoveBreak(va: bigint): number;
  dbgAddWatch(va: bigint, len: bigint, kind: number): number; dbgRemoveWatch(va: bigint, len: bigint, kind: number): number;
  dbgSuspend(mask: number): void; dbgStopKind(): number; dbgStopAddr(): bigint; dbgStopHit(): bigint;
}
const WRITE = 2, READ = 3, ACCESS = 4;

const CODE = 0x4008_0000n, DATA = 0x4010_0000n;
const NOP = 0xd503201f;
const movz = (rd: number, imm: number, hw = 0) => (0xd2800000 | (hw << 21) | (imm << 5) | rd) >>> 0;
const LDR_X1_X0 = 0xf9400001; // ldr x1, [x0]
const STR_X1_X0 = 0xf9000001; // str x1, [x0]
const STRB_W1_X0_1 = 0x39000401; // strb w1, [x0, #1]
const LDADD_X1_X2_X0 = 0xf8210002; // ldadd x1, x2, [x0]
const b = (words: number) => (0x14000000 | (words & 0x3ffffff)) >>> 0;

let core: Core;
let dbg: Dbg;
beforeEach(() => {
  core ??= new Core(16 * 1024 * 1024);
  dbg = core.x as unknown as Dbg;
  core.reset(1, CODE);
  dbg.dbgClear();
  core.zeroPhys(DATA, 0x2000);
});

function load(words: number[], at = CODE): void {
  const buf = new Uint8Array(words.length * 4);
  const dv = new DataView(buf.buffer);
  words.forEach((w, i) => dv.setUint32(4 * i, w, true));
  core.writePhys(at, buf);
}
/** x0 = DATA (+ off), x1 = value */
const setup = (off = 0, value = 0x1122n) => [movz(0, 0x4010, 1), ...(off ? [0x91000000 | (off << 10)] : []), movz(1, Number(value))];

describe('breakpoints in the core', () => {
  it('stop before the instruction at the address, nothing retired; suspend steps over it', () => {
    load([NOP, NOP, movz(3, 7), NOP]);
    expect(core.run(1)).toBe('budget'); // the page is now the fetch page
    expect(dbg.dbgAddBreak(CODE + 8n)).toBe(0);
    const before = core.insns;
    expect(core.run(100)).toBe('debug');
    expect(core.pc).toBe(CODE + 8n);
    expect(core.insns - before).toBe(1n); // the NOP at CODE + 4 only
    expect(core.getX(3)).toBe(0n);
    expect(dbg.dbgStopKind()).toBe(1);
    expect(dbg.dbgStopAddr()).toBe(CODE + 8n);
    expect(core.run(1)).toBe('debug'); // still there
    dbg.dbgSuspend(3);
    expect(core.run(1)).toBe('budget');
    dbg.dbgSuspend(0);
    expect(core.getX(3)).toBe(7n);
    expect(core.pc).toBe(CODE + 12n);
  });

  it('a branch into a page with a breakpoint stops at it; other pages run as before', () => {
    load([b(0x400)]); // to CODE + 0x1000
    load([NOP, NOP, NOP], CODE + 0x1000n);
    dbg.dbgAddBreak(CODE + 0x1004n);
    expect(core.run(10)).toBe('debug');
    expect(core.pc).toBe(CODE + 0x1004n);
    expect(dbg.dbgRemoveBreak(CODE + 0x1004n)).toBe(0);
    expect(dbg.dbgRemoveBreak(CODE + 0x1004n)).toBe(-1);
    expect(core.run(2)).toBe('budget');
    expect(core.pc).toBe(CODE + 0x100cn);
  });
});

describe('watchpoints in the core', () => {
  it('write watchpoint: the store is abandoned before the access, a load is not stopped', () => {
    load([...setup(), LDR_X1_X0, ...setup(0, 0x55n), STR_X1_X0, NOP]);
    core.writePhys(DATA, Uint8Array.of(9));
    dbg.dbgAddWatch(DATA + 4n, 4n, WRITE);
    const before = core.insns;
    expect(core.run(100)).toBe('debug');
    expect(core.pc).toBe(CODE + 20n); // the STR: ldr retired (a read does not match a write watchpoint)
    expect(core.insns - before).toBe(5n);
    expect(core.readPhys(DATA, 1)[0]).toBe(9); // not written
    expect(dbg.dbgStopKind()).toBe(2);
    expect(dbg.dbgStopAddr()).toBe(DATA + 4n);
    expect(dbg.dbgStopHit()).toBe(DATA);
    dbg.dbgSuspend(3);
    expect(core.run(1)).toBe('budget');
    dbg.dbgSuspend(0);
    expect(core.readPhys(DATA, 1)[0]).toBe(0x55);
  });

  it('a page already in the fast TLB is watched once the watchpoint is set', () => {
    load([...setup(), LDR_X1_X0, LDR_X1_X0]);
    expect(core.run(3)).toBe('budget'); // fills the fast TLB for DATA's page
    dbg.dbgAddWatch(DATA, 8n, READ);
    expect(core.run(10)).toBe('debug');
    expect(core.pc).toBe(CODE + 12n);
    expect(dbg.dbgStopKind()).toBe(3);
  });

  it('no false hits beside the watched bytes on the same page; an access watchpoint matches both ways', () => {
    load([...setup(), LDR_X1_X0, STRB_W1_X0_1, NOP]);
    dbg.dbgAddWatch(DATA + 8n, 8n, ACCESS);
    expect(core.run(5)).toBe('budget');
    expect(dbg.dbgRemoveWatch(DATA + 8n, 8n, ACCESS)).toBe(0);
    dbg.dbgAddWatch(DATA + 1n, 1n, ACCESS);
    core.reset(1, CODE);
    expect(core.run(10)).toBe('debug');
    expect(core.pc).toBe(CODE + 8n); // the LDR of DATA..DATA + 7 reads the watched byte
    expect(dbg.dbgStopKind()).toBe(4);
    dbg.dbgSuspend(3);
    expect(core.run(1)).toBe('budget');
    dbg.dbgSuspend(0);
    expect(core.run(10)).toBe('debug');
    expect(core.pc).toBe(CODE + 12n); // the STRB to DATA + 1 writes it
    expect(dbg.dbgStopKind()).toBe(4);
  });

  it('an LSE atomic (read-modify-write) hits a write watchpoint before changing anything', () => {
    load([...setup(), LDADD_X1_X2_X0]);
    core.writePhys(DATA, Uint8Array.of(5));
    dbg.dbgAddWatch(DATA, 8n, WRITE);
    expect(core.run(10)).toBe('debug');
    expect(core.pc).toBe(CODE + 8n);
    expect(core.getX(2)).toBe(0n);
    expect(core.readPhysU64(DATA)).toBe(5n);
    dbg.dbgClear();
    expect(core.run(1)).toBe('budget');
    expect(core.getX(2)).toBe(5n);
    expect(core.readPhysU64(DATA)).toBe(5n + 0x1122n);
  });

  it('tables are bounded: adding past the end fails cleanly', () => {
    for (let i = 0; i < 64; i++) expect(dbg.dbgAddWatch(DATA + BigInt(i * 16), 8n, WRITE)).toBe(0);
    expect(dbg.dbgAddWatch(DATA + 0x1000n, 8n, WRITE)).toBe(-1);
    expect(dbg.dbgAddWatch(DATA, 0n, WRITE)).toBe(-1);
    expect(dbg.dbgAddWatch(DATA, 8n, 9)).toBe(-1);
    for (let i = 0; i < 256; i++) expect(dbg.dbgAddBreak(CODE + BigInt(0x10000 + i * 4))).toBe(0);
    expect(dbg.dbgAddBreak(CODE + 0x20000n)).toBe(-1);
    expect(dbg.dbgAddBreak(CODE + 0x10000n)).toBe(0); // (already there)
  });
});

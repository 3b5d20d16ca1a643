// The gdb stub at the packet level, through a raw remote-protocol client against `pkvm-emu boot
// --gdb` (the bundled CLI): target description, registers, memory, breakpoints, watchpoints,
// single step into an exception vector, Ctrl-C, threads, monitor commands, and bad input (malformed
// packets, a client gone mid-packet, a port in use, kill). Expected values come from the guest
// image (hello.elf: symbols from its ELF) and the Arm ARM (vector offsets, ESR encodings).
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { expectOneLineError, runCli } from '../cli/run-cli';
import { freePort, le, RspClient, startEmu, stubSession } from './rsp-client';
import { REGS, regByName } from '../../machine/gdb/registers';

const img = (n: string) => new URL(`../../guest-images/bin/${n}.elf`, import.meta.url).pathname;
const hex = (n: number) => n.toString(16);
const reg = (name: string) => hex(regByName(name));

// hello.elf (guest-images/bin/hello.elf, see `aarch64-linux-gnu-nm`): entry _start, main, the
// string main prints, the bss-clearing store in _start, the top of the stack.
const LOOP_MAIN = 0x4008_1258n; // loop.elf main
const START = 0x4008_0000n, MAIN = 0x4008_1260n, HELLO_STR = 0x4008_12f0n, STACK_TOP = 0x4008_6000n;

const session = stubSession();
const boot = (image = 'hello', extra: string[] = []): Promise<RspClient> => session.start(['boot', img(image), ...extra]);

const pc = async (c: RspClient) => le(await c.cmd(`p${reg('pc')}`));

describe('gdb stub: session basics', () => {
  it('stops before the first instruction and describes the target', async () => {
    const c = await boot();
    expect(await c.cmd('qSupported:multiprocess+;swbreak+;hwbreak+;qRelocInsn+')).toMatch(/qXfer:features:read\+/);
    expect(await c.cmd('?')).toBe('T05thread:1;');
    expect(await pc(c)).toBe(START);
    // target.xml in chunks of 0x100 (m = more, l = last)
    let xml = '';
    for (let off = 0; ; off += 0x100) {
      const r = await c.cmd(`qXfer:features:read:target.xml:${hex(off)},100`);
      xml += r.slice(1);
      if (r[0] === 'l') break;
      expect(r[0]).toBe('m');
    }
    for (const f of ['org.gnu.gdb.aarch64.core', 'org.gnu.gdb.aarch64.fpu', 'org.pkvm-emu.aarch64.sysregs']) expect(xml).toContain(`<feature name="${f}">`);
    for (const r of ['x30', 'sp', 'pc', 'cpsr', 'v31', 'fpsr', 'fpcr', 'ESR_EL2', 'HCR_EL2', 'VTTBR_EL2', 'VTCR_EL2', 'HPFAR_EL2', 'CurrentEL', 'TTBR1_EL1', 'MAIR_EL2']) {
      expect(xml).toMatch(new RegExp(`<reg name="${r}" `));
    }
    expect(await c.cmd('qXfer:features:read:other.xml:0,100')).toMatch(/^E/);
    // g: every register of the description, in order, at its size
    const g = await c.cmd('g');
    expect(g.length).toBe(REGS.reduce((n, r) => n + r.bits / 4, 0));
    expect(le(g.slice(32 * 16, 33 * 16))).toBe(START); // pc (x0-x30, sp before it)
    // PSTATE at reset: EL1h, DAIF masked (0x3c5); CurrentEL reads EL << 2
    expect(le(await c.cmd(`p${reg('cpsr')}`))).toBe(0x3c5n);
    expect(le(await c.cmd(`p${reg('CurrentEL')}`))).toBe(4n);
    expect(await c.cmd(`p${hex(REGS.length)}`)).toMatch(/^E/);
    c.send('k');
    expect(await session.emu!.done).toBe(1);
    expect(session.emu!.err()).toMatch(/gdb: the debugger killed the run\n$/);
  });

  it('threads: one CPU is thread 1', async () => {
    const c = await boot();
    expect(await c.cmd('qfThreadInfo')).toBe('m1');
    expect(await c.cmd('qsThreadInfo')).toBe('l');
    expect(await c.cmd('qC')).toBe('QC1');
    expect(Buffer.from(await c.cmd('qThreadExtraInfo,1'), 'hex').toString()).toMatch(/cpu0: EL1/);
    expect(await c.cmd('Hg1')).toBe('OK');
    expect(await c.cmd('Hc-1')).toBe('OK');
    expect(await c.cmd('T1')).toBe('OK');
    expect(await c.cmd('T2')).toMatch(/^E/);
    expect(await c.cmd('Hg7')).toMatch(/^E/);
  });

  it('registers: P/p and G/g write and read back', async () => {
    const c = await boot();
    expect(await c.cmd(`P${reg('x5')}=efbeadde00000000`)).toBe('OK');
    expect(le(await c.cmd(`p${reg('x5')}`))).toBe(0xdeadbeefn);
    expect(await c.cmd(`P${reg('v3')}=${'11'.repeat(8)}${'22'.repeat(8)}`)).toBe('OK');
    expect(le(await c.cmd(`p${reg('v3')}`))).toBe(0x2222222222222222_1111111111111111n);
    expect(await c.cmd(`P${reg('ESR_EL1')}=0000005600000000`)).toBe('OK');
    expect(le(await c.cmd(`p${reg('ESR_EL1')}`))).toBe(0x5600_0000n);
    expect(await c.cmd(`P${reg('CurrentEL')}=0800000000000000`)).toMatch(/^E/); // read-only
    expect(await c.cmd(`P${reg('x5')}=1234`)).toMatch(/^E/); // wrong width
    const g = await c.cmd('g');
    const g2 = g.slice(0, 16) + '0100000000000000'.padEnd(16, '0') + g.slice(32);
    expect(await c.cmd('G' + g2)).toBe('OK');
    expect(le(await c.cmd(`p${reg('x1')}`))).toBe(1n);
    expect(await pc(c)).toBe(START);
  });
});

describe('gdb stub: memory', () => {
  it('m/M/X through the current regime; monitor phys, xp, translate, regime', async () => {
    const c = await boot();
    // The first instruction of _start is DSB SY? No: read it from the image file itself.
    const { readFileSync } = await import('node:fs');
    const elf = readFileSync(img('hello'));
    const textOff = elf.indexOf(Buffer.from(await c.cmd(`m${hex(Number(START))},10`), 'hex'));
    expect(textOff).toBeGreaterThan(0); // the bytes gdb reads are the image's
    expect(await c.cmd(`m${hex(Number(HELLO_STR))},5`)).toBe(Buffer.from('Hello').toString('hex'));
    expect(await c.cmd(`M${hex(Number(STACK_TOP) - 16)},4:01020304`)).toBe('OK');
    expect(await c.cmd(`m${hex(Number(STACK_TOP) - 16)},4`)).toBe('01020304');
    // X: binary with escapes (0x23 '#' and 0x7d '}' escaped)
    c.raw(Buffer.concat([Buffer.from(`$X${hex(Number(STACK_TOP) - 16)},3:`), Buffer.from([0x7d, 0x03, 0x41, 0x7d, 0x5d])]));
    // (checksum over the escaped bytes)
    const body = Buffer.concat([Buffer.from(`X${hex(Number(STACK_TOP) - 16)},3:`), Buffer.from([0x7d, 0x03, 0x41, 0x7d, 0x5d])]);
    c.raw(`#${body.reduce((a, b) => (a + b) & 0xff, 0).toString(16).padStart(2, '0')}`);
    expect(await c.recv()).toBe('OK');
    expect(await c.cmd(`m${hex(Number(STACK_TOP) - 16)},4`)).toBe('23417d04');
    // Outside RAM and across its end: an error, or the part that exists.
    expect(await c.cmd('m0,4')).toMatch(/^E/);
    expect(await c.cmd('M0,1:00')).toMatch(/^E/);
    expect(await c.cmd(`m${hex(0x4000_0000 + 128 * 1024 * 1024 - 2)},4`)).toHaveLength(4);
    expect(await c.cmd('mzz,4')).toMatch(/^E/);
    // monitor commands
    expect(await c.monitor('help')).toMatch(/xp ADDR/);
    expect(await c.monitor(`xp 0x${hex(Number(HELLO_STR))} 16`)).toMatch(/^0x00000000400812f0: 48 65 6c 6c 6f 20/);
    expect(await c.monitor('translate 0x40080000')).toMatch(/-> PA 0x40080000/); // MMU off: flat
    expect(await c.monitor('translate 0x1000000000000')).toMatch(/fault, FSC 0x0 at level 0/); // address size (PARange 48 bits)
    expect(await c.monitor('regime el2')).toMatch(/regime el2/);
    expect(await c.monitor('regime bogus')).toMatch(/usage/);
    expect(await c.monitor('phys')).toMatch(/physical/);
    expect(await c.cmd(`m${hex(Number(HELLO_STR))},5`)).toBe(Buffer.from('Hello').toString('hex'));
    expect(await c.monitor('info')).toMatch(/addresses: physical/);
    expect(await c.monitor('virt')).toMatch(/virtual/);
    expect(await c.monitor('frobnicate')).toMatch(/unknown monitor command 'frobnicate'/);
  });
});

describe('gdb stub: execution control', () => {
  it('software and hardware breakpoints, step, continue to the end', async () => {
    const c = await boot();
    expect(await c.cmd(`Z0,${hex(Number(MAIN))},4`)).toBe('OK');
    expect(await c.cmd('c')).toBe('T05swbreak:;thread:1;');
    expect(await pc(c)).toBe(MAIN);
    expect(await c.cmd(`z0,${hex(Number(MAIN))},4`)).toBe('OK');
    expect(await c.cmd(`z0,${hex(Number(MAIN))},4`)).toMatch(/^E/); // not there any more
    expect(await c.cmd('vCont;s:1')).toBe('T05thread:1;');
    expect(await pc(c)).toBe(MAIN + 4n);
    expect(await c.cmd('s')).toBe('T05thread:1;');
    expect(await pc(c)).toBe(MAIN + 8n);
    // A hardware breakpoint at the current pc does not stop the continue that starts there.
    expect(await c.cmd(`Z1,${hex(Number(MAIN + 8n))},4`)).toBe('OK');
    expect(await c.cmd(`Z1,${hex(Number(MAIN + 0x14n))},4`)).toBe('OK'); // after "bl puts"
    expect(await c.cmd('vCont;c')).toBe('T05hwbreak:;thread:1;');
    expect(await pc(c)).toBe(MAIN + 0x14n);
    expect(session.emu!.out()).toBe(''); // (stdout flushes by line: puts' text is not a line yet)
    expect(await c.cmd(`z1,${hex(Number(MAIN + 8n))},4`)).toBe('OK');
    expect(await c.cmd(`z1,${hex(Number(MAIN + 0x14n))},4`)).toBe('OK');
    c.send('c');
    expect(await c.recv()).toBe('W00');
    expect(await session.emu!.done).toBe(0);
    expect(session.emu!.out()).toBe('Hello from pkvm-emu guest at EL1\n');
  });

  it('a step of an SVC stops at the vector (VBAR_EL1 + 0x200), with ESR_EL1 and ELR_EL1 of the SVC', async () => {
    const c = await boot();
    expect(await c.cmd(`Z0,${hex(Number(MAIN))},4`)).toBe('OK');
    expect(await c.cmd('c')).toMatch(/^T05/);
    expect(await c.cmd(`M${hex(Number(MAIN))},4:010000d4`)).toBe('OK'); // SVC #0
    expect(await c.cmd('s')).toBe('T05thread:1;');
    const vbar = le(await c.cmd(`p${reg('VBAR_EL1')}`));
    expect(vbar).not.toBe(0n);
    // Arm ARM D1.10.2: synchronous exception from the current EL with SP_ELx: VBAR_EL1 + 0x200.
    expect(await pc(c)).toBe(vbar + 0x200n);
    // ESR_EL1: EC 0x15 (SVC from AArch64), IL = 1, ISS = imm16 = 0; ELR_EL1: the next instruction.
    expect(le(await c.cmd(`p${reg('ESR_EL1')}`))).toBe((0x15n << 26n) | (1n << 25n));
    expect(le(await c.cmd(`p${reg('ELR_EL1')}`))).toBe(MAIN + 4n);
    expect(le(await c.cmd(`p${reg('cpsr')}`)) & 0x3cfn).toBe(0x3c5n); // EL1h, DAIF masked
  });

  it('watchpoints stop before the access: write (watch), read (rwatch), access (awatch)', async () => {
    const c = await boot();
    // _start clears the bss (which holds the stack) with STP XZR, XZR, [X10], #16.
    const slot = STACK_TOP - 8n;
    expect(await c.cmd(`M${hex(Number(slot))},8:efbeaddeefbeadde`)).toBe('OK');
    expect(await c.cmd(`Z2,${hex(Number(slot))},8`)).toBe('OK');
    expect(await c.cmd('c')).toBe(`T05watch:${hex(Number(slot))};thread:1;`);
    const at = await pc(c);
    const x10 = le(await c.cmd(`p${reg('x10')}`));
    expect(x10).toBeLessThanOrEqual(slot); // the store's address range covers the slot …
    expect(x10 + 16n).toBeGreaterThan(slot);
    expect(await c.cmd(`m${hex(Number(slot))},8`)).toBe('efbeaddeefbeadde'); // … and has not happened
    // stepping executes it (the watchpoint does not fire again on the instruction it stopped at)
    expect(await c.cmd('s')).toBe('T05thread:1;');
    expect(await pc(c)).not.toBe(at);
    expect(await c.cmd(`m${hex(Number(slot))},8`)).toBe('0000000000000000');
    expect(await c.cmd(`z2,${hex(Number(slot))},8`)).toBe('OK');
    // A read watchpoint on the second byte of the string puts prints: the LDRB that reads it.
    expect(await c.cmd(`Z3,${hex(Number(HELLO_STR + 1n))},1`)).toBe('OK');
    expect(await c.cmd('c')).toBe(`T05rwatch:${hex(Number(HELLO_STR + 1n))};thread:1;`);
    expect(le(await c.cmd(`p${reg('x0')}`))).toBe(HELLO_STR + 1n); // LDRB W3, [X0] not yet done
    expect(await c.cmd(`m${hex(Number(await pc(c)))},4`)).toBe('03004039'); // ldrb w3, [x0]
    expect(await c.cmd(`z3,${hex(Number(HELLO_STR + 1n))},1`)).toBe('OK');
    // An access watchpoint on main's saved LR slot: hit by the STP of main's prologue (a write).
    expect(await c.cmd(`Z4,${hex(Number(STACK_TOP - 8n))},8`)).toBe('OK');
    c.send('c');
    const r = await c.recv();
    expect(r).toBe(`T05awatch:${hex(Number(STACK_TOP - 8n))};thread:1;`);
    expect(await c.cmd(`z4,${hex(Number(STACK_TOP - 8n))},8`)).toBe('OK');
    expect(await c.cmd('Z2,40000000,0')).toMatch(/^E/); // zero length
    c.send('D');
    expect(await c.recv()).toBe('OK');
    expect(await session.emu!.done).toBe(0);
    expect(session.emu!.out()).toBe('Hello from pkvm-emu guest at EL1\n');
  });

  it('a step of a store to a watched location reports the watchpoint; the next step executes it', async () => {
    const c = await boot();
    expect(await c.cmd(`Z0,${hex(Number(MAIN))},4`)).toBe('OK'); // main: stp x29, x30, [sp, #-16]!
    expect(await c.cmd('c')).toBe('T05swbreak:;thread:1;');
    expect(await c.cmd(`Z2,${hex(Number(STACK_TOP - 8n))},8`)).toBe('OK');
    expect(await c.cmd('s')).toBe(`T05watch:${hex(Number(STACK_TOP - 8n))};thread:1;`);
    expect(await pc(c)).toBe(MAIN);
    expect(await c.cmd('s')).toBe('T05thread:1;'); // (the breakpoint at the PC does not stop it either)
    expect(await pc(c)).toBe(MAIN + 4n);
    expect(le(await c.cmd(`m${hex(Number(STACK_TOP - 8n))},8`))).toBe(0x4008_0064n); // LR: after "bl main" in _start
  });

  it('Ctrl-C (0x03) stops a running guest with SIGINT; detach lets it finish', async () => {
    const c = await boot('loop');
    c.send('c');
    await new Promise((r) => setTimeout(r, 500));
    c.raw('\x03');
    expect(await c.recv()).toBe('T02thread:1;');
    // loop.elf: 1: subs x0, x0, #1; add x1, x1, x0; b.ne 1b (main + 0xc .. main + 0x14)
    const p = await pc(c);
    expect(p >= LOOP_MAIN + 0xcn && p <= LOOP_MAIN + 0x14n).toBe(true);
    const x0 = le(await c.cmd(`p${reg('x0')}`));
    expect(x0 > 0n && x0 < 0x400_0000n).toBe(true);
    c.raw('\x03'); // (while stopped: ignored)
    c.send('D');
    expect(await c.recv()).toBe('OK');
    expect(await session.emu!.done).toBe(0);
    expect(session.emu!.out()).toMatch(/^loop: x1=[0-9a-f]+\n$/);
    expect(BigInt('0x' + session.emu!.out().slice(9, -1))).toBe((0x400_0000n * (0x400_0000n - 1n)) / 2n);
  });
});

describe('gdb stub: bad input', () => {
  it('a bad checksum is NAKed, a malformed packet answered E01, a stray byte ignored; each with one line', async () => {
    const c = await boot();
    c.raw('$g#00');
    c.raw('Z');
    c.send('m}');
    expect(await c.recv()).toBe('E01');
    expect(await c.cmd('m4x,4')).toBe('E01');
    expect(await c.cmd('Z9,0,0')).toBe('E01');
    expect(await c.cmd('P1=')).toBe('E01');
    expect(await c.cmd('vCont;x')).toBe('E01');
    expect(await c.cmd('qUnknownThing')).toBe('');
    expect(await c.cmd('?')).toBe('T05thread:1;'); // still serving
    const lines = session.emu!.err().split('\n').filter((l) => l.includes('gdb:'));
    expect(lines.some((l) => /bad checksum \(sum 0x67, sent 0x0\)/.test(l))).toBe(true);
    expect(lines.some((l) => /stray byte 0x5a/.test(l))).toBe(true);
    expect(lines.some((l) => /malformed packet/.test(l))).toBe(true);
    expect(session.emu!.err()).not.toMatch(/\n\s+at /);
  });

  it('a client that disconnects mid-packet: one line, the guest runs to its end', async () => {
    const c = await boot();
    expect(await c.cmd(`Z0,${hex(Number(MAIN))},4`)).toBe('OK'); // removed when the client goes
    c.raw('$m4008');
    await new Promise((r) => setTimeout(r, 100));
    c.close();
    expect(await session.emu!.done).toBe(0);
    expect(session.emu!.out()).toBe('Hello from pkvm-emu guest at EL1\n');
    expect(session.emu!.err()).toMatch(/gdb: the debugger disconnected in the middle of a packet; the guest continues\n/);
  });

  it('a new client after a disconnect stops the guest again', async () => {
    const port = await freePort();
    const emu = session.emu = await startEmu(['boot', img('loop')], port);
    const a = await RspClient.connect(port);
    a.send('c');
    await new Promise((r) => setTimeout(r, 200));
    a.close();
    await new Promise((r) => setTimeout(r, 200));
    const client = session.client = await RspClient.connect(port);
    expect(await client.cmd('?')).toMatch(/^T0[25]thread:1;$/);
    client.send('k');
    expect(await emu.done).toBe(1);
  });

  it('a port in use, or no port: one line, exit status 1', async () => {
    const port = await freePort();
    const srv = createServer();
    await new Promise<void>((r) => srv.listen(port, '127.0.0.1', () => r()));
    try {
      expectOneLineError(runCli(['boot', img('hello'), '--gdb', String(port)]), new RegExp(`--gdb: cannot listen on 127.0.0.1:${port}: port ${port} is already in use`));
    } finally { srv.close(); }
    expectOneLineError(runCli(['boot', img('hello'), '--gdb', 'http']), /--gdb: 'http' is not a TCP port/);
    expectOneLineError(runCli(['boot', img('hello'), '--gdb', '70000']), /not a TCP port/);
  });
});

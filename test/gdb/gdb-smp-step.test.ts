// gdb-multiarch against `pkvm-emu boot --smp N --gdb` with guest-images/smp/smp-step.S: a step of
// one thread executes one instruction of that thread's CPU and nothing else (the other CPUs are held
// for the step: QEMU would let them run meanwhile, which is one interleaving of the same resume;
// holding them is another), whichever CPU the scheduler had current; a CPU asleep in WFI wakes for
// the step (the debugger's halt is a wake-up event, as on hardware with OpenOCD; QEMU waits for an
// interrupt); a powered-off CPU cannot step (one line on gdb's console, an error reply that gdb
// shows as a stop); with scheduler-locking on, a continue of one thread leaves the others put.
// Every register value is checked against a model of the image's loops, not against the emulator.
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { freePort, startEmu } from './rsp-client';
import { gdbAvailable, gdbBatch } from './gdb-batch';
import { QEMU_BIN, qemuAvailable } from '../diff/qemu';

const elf = new URL('../../guest-images/bin/smp-step.elf', import.meta.url).pathname;
// Addresses of smp-step.elf (aarch64-linux-gnu-nm).
const READY = 0x4008_0054n, CPU0_LOOP = 0x4008_005cn, CPU1_LOOP = 0x4008_0088n, CPU1_DONE = 0x4008_0098n, CPU2_WFI = 0x4008_00b4n;

type Regs = Record<string, bigint>;

/** One instruction of the image's loops (by PC), as the Arm ARM defines them. */
function model(r: Regs): Regs {
  const n = { ...r };
  const pc = r.pc!;
  const M = (1n << 64n) - 1n;
  switch (pc) {
    case READY: n.x20 = 0n; break;
    case READY + 4n: n.x21 = 0n; break;
    case CPU0_LOOP: n.x20 = (r.x20! + 1n) & M; break;
    case CPU0_LOOP + 4n: n.x21 = (r.x21! + 2n) & M; break;
    case CPU0_LOOP + 8n: n.pc = CPU0_LOOP; return n;
    // cpu1_entry after its store to `started` (cpu0 waits for that store, so cpu1 is at least here)
    case CPU1_LOOP - 16n: n.x22 = 0n; break;
    case CPU1_LOOP - 12n: n.x23 = 0n; break;
    case CPU1_LOOP - 8n: n.x24 = 0n; break;
    case CPU1_LOOP - 4n: n.x25 = 1n << 20n; break;
    case CPU1_LOOP: n.x22 = (r.x22! + 1n) & M; break;
    case CPU1_LOOP + 4n: n.x23 = (r.x23! + 3n) & M; break;
    case CPU1_LOOP + 8n: n.x25 = (r.x25! - 1n) & M; break;
    case CPU1_LOOP + 12n: n.pc = r.x25 !== 0n ? CPU1_LOOP : CPU1_DONE; return n; // b.ne after subs
    case CPU1_DONE: n.x24 = (r.x24! + 1n) & M; break;
    case CPU1_DONE + 4n: n.pc = CPU1_DONE; return n;
    case CPU2_WFI: break; // WFI completes (woken)
    case CPU2_WFI + 4n: n.x24 = (r.x24! + 1n) & M; break;
    case CPU2_WFI + 8n: n.pc = CPU2_WFI; return n;
    default: throw new Error(`model: no instruction at 0x${pc.toString(16)}`);
  }
  n.pc = pc + 4n;
  return n;
}

const REGS = 'pc x20 x21 x22 x23 x24 x25';
/** The `info registers` blocks after each `echo @@NAME\n` marker. */
function blocks(out: string): Map<string, Regs> {
  const m = new Map<string, Regs>();
  for (const part of out.split('@@').slice(1)) {
    const name = part.slice(0, part.indexOf('\n')).trim();
    const regs: Regs = {};
    for (const l of part.matchAll(/^(pc|x\d+)\s+(0x[0-9a-f]+)\s/gm)) regs[l[1]!] = BigInt(l[2]!);
    m.set(name, regs);
  }
  return m;
}
const show = (name: string, thread: number) => `thread ${thread}\necho @@${name}\\n\ninfo registers ${REGS}`;

describe.skipIf(!gdbAvailable)('gdb: per-thread step and continue on an SMP board (smp-step.elf)', () => {
  it.each([2, 4])('--smp %i: stepping thread 2 moves only cpu1; thread 1 stays put; a step after a thread switch steps that thread', async (smp) => {
    const port = await freePort();
    const emu = await startEmu(['boot', elf, '--smp', String(smp)], port);
    const out = await gdbBatch(port, elf, `
break *ready
continue
delete
${show('t1-0', 1)}
${show('t2-0', 2)}
stepi
${show('t2-1', 2)}
${show('t1-1', 1)}
thread 2
stepi
stepi
stepi
stepi
${show('t2-5', 2)}
${show('t1-5', 1)}
stepi
stepi
${show('t1-7', 1)}
${show('t2-7', 2)}
${smp === 4 ? `${show('t3-0', 3)}
info threads
stepi
${show('t3-1', 3)}
stepi
stepi
${show('t3-3', 3)}
thread 4
stepi
${show('t1-after', 1)}
${show('t2-after', 2)}
info threads` : ''}
set scheduler-locking on
thread 2
break *${CPU1_DONE}
continue
${show('t2-done', 2)}
${show('t1-done', 1)}
kill
`);
    await emu.done;
    const b = blocks(out);
    const t1 = b.get('t1-0')!, t2 = b.get('t2-0')!;
    expect(t1.pc).toBe(READY); // the breakpoint, hit by cpu0
    expect([CPU1_LOOP, CPU1_LOOP + 4n, CPU1_LOOP + 8n, CPU1_LOOP + 12n]).toContain(t2.pc); // cpu1 is in its loop
    // One step of thread 2 (cpu1): one instruction of cpu1, cpu0 untouched.
    expect(b.get('t2-1')).toEqual(model(t2));
    expect(b.get('t1-1')).toEqual(t1);
    let e2 = t2;
    for (let i = 0; i < 5; i++) e2 = model(e2);
    expect(b.get('t2-5')).toEqual(e2);
    expect(b.get('t1-5')).toEqual(t1);
    // Thread 1 again (cpu1 was the CPU on the core): two instructions of cpu0, cpu1 untouched.
    expect(b.get('t1-7')).toEqual(model(model(t1)));
    expect(b.get('t2-7')).toEqual(e2);
    if (smp === 4) {
      // cpu2 sleeps in WFI (PC past it, as the WFI has been executed); a step wakes it.
      const t3 = b.get('t3-0')!;
      expect(t3.pc).toBe(CPU2_WFI + 4n);
      expect(out).toMatch(/3\s+Thread 3 \(cpu2: EL1, asleep in WFI \(saved context\)\)/);
      expect(b.get('t3-1')).toEqual(model(t3));
      expect(b.get('t3-3')!.pc).toBe(CPU2_WFI + 4n); // b cpu2_wfi, then the WFI: asleep again
      expect(b.get('t3-3')!.x24).toBe(1n);
      expect(out).toMatch(/ 3\s+Thread 3 \(cpu2: EL1, asleep in WFI\)\s/); // on the core, asleep
      // cpu3 was never turned on.
      expect(out).toContain('pkvm-emu: cpu3 is powered off (waiting for PSCI CPU_ON): it cannot execute');
      expect(out).toMatch(/Remote failure reply: E01/);
      expect(emu.err()).toContain('cpu3 is powered off');
      expect(b.get('t1-after')).toEqual(model(model(t1)));
      expect(b.get('t2-after')).toEqual(e2);
    }
    // scheduler-locking: a continue of thread 2 alone runs cpu1 to cpu1_done (2^20 rounds of its
    // loop, many scheduler quanta), cpu0 held all along.
    const done = b.get('t2-done')!;
    expect(done.pc).toBe(CPU1_DONE);
    expect(done.x25).toBe(0n);
    expect(done.x22).toBe(1n << 20n);
    expect(done.x23).toBe(3n << 20n);
    expect(b.get('t1-done')).toEqual(model(model(t1)));
    expect(out).toMatch(/Thread 2 hit Breakpoint \d+, 0x0*40080098 in cpu1_done/);
  });

  it('without scheduler-locking a continue runs every CPU; Hc selects the thread a plain s steps', async () => {
    const port = await freePort();
    const emu = await startEmu(['boot', elf, '--smp', '2'], port);
    const out = await gdbBatch(port, elf, `
break *ready
continue
delete
${show('t1-0', 1)}
${show('t2-0', 2)}
maintenance packet Hc2
maintenance packet s
maintenance flush register-cache
${show('t2-1', 2)}
${show('t1-1', 1)}
thread 2
break *${CPU1_DONE}
continue
${show('t2-done', 2)}
${show('t1-done', 1)}
kill
`);
    await emu.done;
    const b = blocks(out);
    const t1 = b.get('t1-0')!, t2 = b.get('t2-0')!;
    expect(out).toMatch(/received: "T05thread:2;"/);
    expect(b.get('t2-1')).toEqual(model(t2));
    expect(b.get('t1-1')).toEqual(t1);
    expect(b.get('t2-done')!.pc).toBe(CPU1_DONE);
    // cpu0 ran in the turns between cpu1's (its loop counted x20 up by more than a few).
    const d1 = b.get('t1-done')!;
    expect([CPU0_LOOP, CPU0_LOOP + 4n, CPU0_LOOP + 8n]).toContain(d1.pc);
    expect(d1.x20! > 100_000n).toBe(true);
    expect(d1.x21! === 2n * d1.x20! || d1.x21! === 2n * d1.x20! - 2n).toBe(true);
  });

  // With scheduler-locking on, gdb asks for a step of the chosen thread alone (vCont;s:N), which
  // QEMU's gdbstub also honours (the CPUs not named stay stopped): the same session against both
  // shows each step moving exactly the chosen thread by one instruction. (Register values differ:
  // where cpu1 is in its loop when cpu0 reaches `ready` depends on each emulator's scheduling.)
  it.skipIf(!qemuAvailable())('scheduler-locking on: the same per-thread steps against qemu-system-aarch64 (-smp 2) move the same threads', async () => {
    const script = `
break *ready
continue
delete
set scheduler-locking on
${show('t1-0', 1)}
${show('t2-0', 2)}
stepi
${show('t2-1', 2)}
${show('t1-1', 1)}
stepi
${show('t1-2', 1)}
${show('t2-2', 2)}
kill
`;
    const check = (out: string) => {
      const b = blocks(out);
      const t1 = b.get('t1-0')!, t2 = b.get('t2-0')!;
      expect(t1.pc).toBe(READY);
      expect(b.get('t2-1')).toEqual(model(t2));
      expect(b.get('t1-1')).toEqual(t1);
      expect(b.get('t1-2')).toEqual(model(t1));
      expect(b.get('t2-2')).toEqual(model(t2));
    };
    const port = await freePort();
    const emu = await startEmu(['boot', elf, '--smp', '2'], port);
    check(await gdbBatch(port, elf, script));
    await emu.done;
    const qport = await freePort();
    const q = spawn(QEMU_BIN, ['-M', 'virt', '-cpu', 'cortex-a57', '-smp', '2', '-m', '128M', '-nographic', '-monitor', 'none', '-serial', 'null',
      '-kernel', elf, '-gdb', `tcp:127.0.0.1:${qport}`, '-S'], { stdio: 'ignore' });
    try {
      await new Promise((r) => setTimeout(r, 500));
      check(await gdbBatch(qport, elf, script));
    } finally {
      q.kill('SIGKILL');
    }
  });
});

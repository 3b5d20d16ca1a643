// The gdb stub's per-thread resume at the packet level on an SMP board (smp-step.elf, --smp 4):
// vCont actions with thread ids (leftmost match wins, -1/none = all, 0 = any), Hc, the stop reply
// naming the thread that stepped, a powered-off thread refused with a console line, bad vCont.
import { describe, expect, it } from 'vitest';
import { le, RspClient, stubSession } from './rsp-client';
import { regByName } from '../../machine/gdb/registers';

const elf = new URL('../../guest-images/bin/smp-step.elf', import.meta.url).pathname;
const READY = 0x4008_0054n;
const PC = regByName('pc').toString(16);

const session = stubSession();

async function atReady(): Promise<RspClient> {
  const c = await session.start(['boot', elf, '--smp', '4']);
  expect(await c.cmd('?')).toBe('T05thread:1;');
  expect(await c.cmd(`Z0,${READY.toString(16)},4`)).toBe('OK');
  expect(await c.cmd('c')).toMatch(/^T05swbreak:;thread:1;$/);
  expect(await c.cmd(`z0,${READY.toString(16)},4`)).toBe('OK');
  return c;
}
const pcOf = async (c: RspClient, t: number) => { expect(await c.cmd(`Hg${t}`)).toBe('OK'); return le(await c.cmd(`p${PC}`)); };

describe('gdb stub: vCont and Hc on an SMP board', () => {
  it('vCont;s:2;c steps thread 2 only; vCont;s:1 steps thread 1; vCont;s steps the current thread', async () => {
    const c = await atReady();
    const p1 = await pcOf(c, 1), p2 = await pcOf(c, 2);
    expect(await c.cmd('vCont;s:2;c')).toBe('T05thread:2;');
    expect(await c.cmd('qC')).toBe('QC2');
    const p2b = await pcOf(c, 2);
    expect(p2b === p2 + 4n || p2b === 0x4008_0088n).toBe(true); // next, or back to the loop head
    expect(await pcOf(c, 1)).toBe(p1);
    expect(await c.cmd('vCont;s:1')).toBe('T05thread:1;');
    expect(await pcOf(c, 1)).toBe(p1 + 4n); // ready: mov x20, #0
    expect(await pcOf(c, 2)).toBe(p2b);
    expect(await c.cmd('vCont;s')).toBe('T05thread:1;');
    expect(await pcOf(c, 1)).toBe(p1 + 8n);
    // A saved thread's x22 written (P with Hg2), then stepped: the CPU runs with the value written.
    const X22 = regByName('x22').toString(16);
    expect(await c.cmd('Hg2')).toBe('OK');
    expect(await c.cmd(`P${X22}=0500000000000000`)).toBe('OK');
    expect(le(await c.cmd(`p${X22}`))).toBe(5n);
    expect(await c.cmd(`P${regByName('cpsr').toString(16)}=00000000`)).toBe('E01'); // its PSTATE: read-only
    // Hc2 then s: thread 2
    expect(await c.cmd('Hc2')).toBe('OK');
    expect(await c.cmd('s')).toBe('T05thread:2;');
    expect(await pcOf(c, 1)).toBe(p1 + 8n);
    expect(await c.cmd('Hg2')).toBe('OK');
    const x22 = le(await c.cmd(`p${X22}`));
    expect(x22 === 5n || x22 === 6n).toBe(true); // 6 when the step was the add x22, x22, #1
  });

  it('a powered-off thread: a console line (O packet) and E01; thread 3 asleep in WFI steps; bad vCont is E01', async () => {
    const c = await atReady();
    c.send('vCont;s:4;c');
    const o = await c.recv();
    expect(o[0]).toBe('O');
    expect(Buffer.from(o.slice(1), 'hex').toString()).toBe('pkvm-emu: cpu3 is powered off (waiting for PSCI CPU_ON): it cannot execute\n');
    expect(await c.recv()).toBe('E01');
    expect(await c.cmd('vCont;s:3')).toBe('T05thread:3;');
    expect(await pcOf(c, 3)).toBe(0x4008_00bcn); // asleep at cpu2_wfi + 4 (past the WFI); the add there executed
    // Memory through a CPU that is not on the core (its own translation registers; MMU off here),
    // and a CPU that is off has none.
    expect(await c.cmd('Hg2')).toBe('OK');
    expect(await c.cmd('m40080088,10')).toBe('d6060091f70e00913907 00f1a1ffff54'.replace(' ', ''));
    expect(await c.cmd('Hg4')).toBe('OK');
    expect(await c.cmd('m40080088,4')).toBe('E14');
    for (const bad of ['vCont;x', 'vCont;s:9', 'vCont;S', 'vCont;c:zz', 'vCont;']) expect(await c.cmd(bad)).toBe('E01');
    expect(await c.cmd('Hc9')).toBe('E01');
    expect(await c.cmd('Hcx')).toBe('E01');
  });
});

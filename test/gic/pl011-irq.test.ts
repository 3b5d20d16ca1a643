// The PL011's interrupt into the GIC (SPI 1 = INTID 33) and its receive side from stdin: UARTINTR
// is RIS & IMSC (PL011 TRM, 3.4 and 3.3.13-3.3.16), RX raised when a character arrives and dropped
// when the FIFO empties, TX raised by each transmitted character, both cleared through UARTICR.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Machine, UART_INTID } from '../../machine/machine';
import { INT_RX, INT_TX, Pl011, UARTDR, UARTICR, UARTIMSC, UARTMIS } from '../../machine/pl011';
import { StdinConsole, runWithConsole } from '../../machine/stdin-console';

const dir = fileURLToPath(new URL('../../guest-images', import.meta.url));
const haveQemu = spawnSync('sh', ['-c', 'command -v qemu-system-aarch64'], { stdio: 'ignore' }).status === 0;
const input = () => readFileSync(join(dir, 'gic', 'uart-echo-input.txt'));
const expected = () => readFileSync(join(dir, 'expected', 'gic-uart-echo.txt'), 'latin1');

describe('PL011 interrupt line', () => {
  it('reports level changes of RIS & IMSC for RX and TX, cleared by ICR and by draining the FIFO', () => {
    const levels: boolean[] = [];
    const u = new Pl011(() => {}, (l) => levels.push(l));
    u.pushRx([0x41]);
    expect(levels).toEqual([]); // RX raw but masked
    u.write(UARTIMSC, 4, INT_RX);
    expect(levels).toEqual([true]);
    expect(u.read(UARTMIS, 4)).toBe(INT_RX);
    expect(u.read(UARTDR, 4)).toBe(0x41); // FIFO empty: RX drops
    expect(levels).toEqual([true, false]);
    u.write(UARTIMSC, 4, INT_RX | INT_TX);
    u.write(UARTDR, 4, 0x42); // transmit raises TX
    expect(levels).toEqual([true, false, true]);
    u.write(UARTICR, 4, INT_TX);
    expect(levels).toEqual([true, false, true, false]);
  });

  it('drives INTID 33 of the GIC (GICD_ISPENDR1 bit 1 follows the level)', () => {
    const m = new Machine({});
    m.load(readFileSync(join(dir, 'bin', 'hello.elf')), 'hello.elf');
    m.uart.write(UARTIMSC, 4, INT_TX);
    m.uart.write(UARTDR, 4, 0x41);
    expect(UART_INTID).toBe(33);
    // Read GICD_ISPENDR1 through the core: a one-instruction program at EL1.
    const code = 0x4000_0000n + 0x7f_0000n;
    m.core.writePhys(code, new Uint8Array(new Uint32Array([0xb940_0040]).buffer)); // ldr w0, [x2]
    m.core.setX(2, 0x0800_0204n);
    m.core.pc = code;
    m.core.run(1);
    expect((m.core.getX(0) >> 1n) & 1n).toBe(1n);
    m.uart.write(UARTICR, 4, INT_TX);
    m.core.pc = code;
    m.core.run(1);
    expect((m.core.getX(0) >> 1n) & 1n).toBe(0n);
  });
});

describe('gic-uart-echo: PL011 input by interrupt', () => {
  it('echoes its input on pkvm-emu exactly as on QEMU', () => {
    const m = new Machine({});
    m.load(readFileSync(join(dir, 'bin', 'gic-uart-echo.elf')), 'gic-uart-echo.elf');
    m.uart.pushRx(input());
    const r = m.run(50_000_000n);
    expect(m.uartText()).toBe(expected());
    expect(r.reason).toBe('poweroff');
  });

  it('through the stdin console: input arriving while the guest sleeps in WFI wakes it, in order', async () => {
    const m = new Machine({});
    m.load(readFileSync(join(dir, 'bin', 'gic-uart-echo.elf')), 'gic-uart-echo.elf');
    const stdin = new PassThrough() as unknown as NodeJS.ReadStream;
    const con = new StdinConsole(m, stdin, () => {});
    con.start();
    const bytes = input();
    let i = 0;
    const feed = setInterval(() => { if (i < bytes.length) (stdin as unknown as PassThrough).write(bytes.subarray(i, ++i)); }, 2);
    const r = await runWithConsole(m, 50_000_000n, con).finally(() => { clearInterval(feed); con.stop(); });
    expect(r.reason).toBe('poweroff');
    expect(m.uartText()).toBe(expected());
  });

  it('a closed stdin ends the run as before: WFI with nothing to wake it', async () => {
    const m = new Machine({});
    m.load(readFileSync(join(dir, 'bin', 'gic-uart-echo.elf')), 'gic-uart-echo.elf');
    const stdin = new PassThrough() as unknown as NodeJS.ReadStream;
    const con = new StdinConsole(m, stdin, () => {});
    con.start();
    (stdin as unknown as PassThrough).end('ab');
    const r = await runWithConsole(m, 50_000_000n, con).finally(() => con.stop());
    expect(r.reason).toBe('wfi');
    expect(m.uartText()).toContain('echo: a\necho: b\n');
  });

  // On a terminal (a pty from script(1)): raw mode, so typed characters reach the guest one by one
  // with no local echo; the terminal settings are restored on exit; Ctrl-A x quits. Keys are sent 4 s
  // after start (the CLI must have set raw mode by then, or the pty itself echoes them).
  const haveScript = spawnSync('sh', ['-c', 'command -v script && command -v stty'], { stdio: 'ignore' }).status === 0;
  const cli = join(dir, '..', 'dist', 'pkvm-emu.mjs');
  const onPty = (keys: string) => {
    const inner = `stty -g > "$T/before"; node ${cli} boot ${join(dir, 'bin', 'gic-uart-echo.elf')}; echo "rc=$?"; stty -g > "$T/after"`;
    const sh = `export T=$(mktemp -d); (sleep 4; ${keys}) | script -qec '${inner}' /dev/null; cmp -s "$T/before" "$T/after" && echo restored; rm -rf "$T"`;
    // (no progress line: on a terminal boot would draw one between the guest's output lines)
    return spawnSync('sh', ['-c', sh], { encoding: 'latin1', timeout: 60_000, env: { ...process.env, PKVM_EMU_PROGRESS: '0' } }).stdout.replace(/\r/g, '');
  };
  it.skipIf(!haveScript)('interactive console on a terminal: raw mode, restored on exit', () => {
    const out = onPty(`printf 'hi'; sleep 1; printf 'q'`);
    expect(out).toContain('echo: h\necho: i\nreceived 3 characters\nrc=0\nrestored');
    expect(out).not.toContain('hi'); // no local echo
  });
  it.skipIf(!haveScript)('interactive console: Ctrl-A x quits and restores the terminal', () => {
    const out = onPty(`printf 'a'; sleep 1; printf '\\001x'; sleep 1`);
    expect(out).toContain('echo: a\nrc=0\nrestored');
  });

  // Not run: QEMU 7.2's -serial stdio reads a file on stdin as fast as the PL011 accepts it, and
  // whether later characters are dropped depends on timing (here it echoes 'h' and then waits for
  // input it lost). The expected output was recorded from QEMU once; pkvm-emu is checked against it.
  it.skip('QEMU prints expected/gic-uart-echo.txt for the same input (timing-dependent on QEMU)', () => {
    const out = execFileSync(join(dir, 'run-qemu.sh'), ['gic-uart-echo', '--gic3'], {
      encoding: 'latin1', env: { ...process.env, QEMU_TIMEOUT: '60', QEMU_STDIN: join(dir, 'gic', 'uart-echo-input.txt') },
    });
    expect(out).toBe(expected());
  });
});

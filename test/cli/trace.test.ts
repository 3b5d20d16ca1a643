// `--trace FILE` (cli/trace/): the file is a Chrome JSON trace (the Trace Event Format that
// ui.perfetto.dev and trace_processor import), checked here against that format's schema, and it
// holds what the default scenario does: one track per CPU and per vCPU, host hypercall slices with
// arguments and results, guest runs nested in __kvm_vcpu_run, guest hypercalls, stage-2 faults, MMIO,
// donations/shares/reclaims and page counters that end where the census ends.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectOneLineError, runCli } from './run-cli';
import { writeFileAtomic } from '../../cli/trace/chrome-trace';

interface Ev { name: string; cat?: string; ph: string; ts: number; dur?: number; pid: number; tid?: number; s?: string; args?: Record<string, unknown> }
interface TraceFile { traceEvents: Ev[]; displayTimeUnit?: string; otherData?: Record<string, unknown> }

/** The Trace Event Format's rules for the phases the trace uses (X, i, C, M). */
function validate(j: unknown): TraceFile {
  expect(typeof j).toBe('object');
  const t = j as TraceFile;
  expect(Array.isArray(t.traceEvents)).toBe(true);
  if (t.displayTimeUnit !== undefined) expect(['ms', 'ns']).toContain(t.displayTimeUnit);
  // top-level keys the format defines (otherData: the format's place for metadata)
  for (const k of Object.keys(t)) expect(['traceEvents', 'displayTimeUnit', 'otherData', 'systemTraceEvents', 'stackFrames', 'samples']).toContain(k);
  for (const e of t.traceEvents) {
    const where = JSON.stringify(e).slice(0, 200);
    expect(typeof e.name, where).toBe('string');
    expect(['X', 'i', 'C', 'M'], where).toContain(e.ph);
    expect(Number.isFinite(e.ts) && e.ts >= 0, where).toBe(true);
    expect(Number.isInteger(e.pid), where).toBe(true);
    if (e.ph !== 'C' && !(e.ph === 'M' && e.name.startsWith('process_'))) expect(Number.isInteger(e.tid), where).toBe(true);
    if (e.args !== undefined) expect(typeof e.args, where).toBe('object');
    switch (e.ph) {
      case 'X': expect(Number.isFinite(e.dur) && e.dur! >= 0, where).toBe(true); break;
      case 'i': expect(['t', 'p', 'g'], where).toContain(e.s); break;
      case 'C': for (const v of Object.values(e.args ?? {})) expect(typeof v, where).toBe('number'); break;
      case 'M':
        expect(['process_name', 'thread_name', 'process_sort_index', 'thread_sort_index'], where).toContain(e.name);
        if (e.name.endsWith('_name')) expect(typeof e.args?.name, where).toBe('string');
        break;
    }
  }
  return t;
}

const dir = mkdtempSync(join(tmpdir(), 'pkvm-trace-'));
const US_PER_INSN = 0.016; // 16 ns per instruction at CNTFRQ 62.5 MHz

describe('run --trace (default scenario)', () => {
  let t: TraceFile;
  let out: string;
  const tracks = new Map<string, string>(); // "pid:tid" → "process / thread"
  const procs = new Map<number, string>();
  beforeAll(() => {
    const file = join(dir, 'default.json');
    // Android's guest ABI, so the trace has the MMIO guard's guest hypercalls (upstream's, the default, has none).
    const r = runCli(['run', 'scenarios/default.yaml', '--guest-hvc-abi', 'android', '--trace', file], { timeout: 120_000 });
    expect(r.err).toBe('');
    expect(r.status).toBe(0);
    out = r.out;
    t = validate(JSON.parse(readFileSync(file, 'utf8')));
    for (const e of t.traceEvents) if (e.ph === 'M' && e.name === 'process_name') procs.set(e.pid, e.args!.name as string);
    for (const e of t.traceEvents) if (e.ph === 'M' && e.name === 'thread_name') tracks.set(`${e.pid}:${e.tid}`, `${procs.get(e.pid)} / ${e.args!.name}`);
  }, 150_000);
  const on = (e: Ev) => tracks.get(`${e.pid}:${e.tid}`);
  const evs = (f: (e: Ev) => boolean) => t.traceEvents.filter(f);

  it('has one track per CPU and per vCPU, named', () => {
    expect([...tracks.values()].sort()).toEqual(['VM npvm / vCPU 0', 'VM pvm1 / vCPU 0', 'VM pvm2 / vCPU 0', 'machine / CPU 0']);
    expect([...procs.values()]).toContain('pages');
  });

  it('host hypercalls are slices on CPU 0 with their arguments and results', () => {
    const init = evs((e) => e.ph === 'X' && e.name === '__pkvm_init_vm');
    expect(init).toHaveLength(3);
    for (const e of init) { expect(on(e)).toBe('machine / CPU 0'); expect(e.cat).toBe('host-hvc'); expect(e.args!.x0_ret).toBe('0'); expect(e.args!.x1).toMatch(/^0x/); }
    // pvm1 and pvm2 reclaim 6 and 518 pages at teardown (the timeline says so)
    expect(evs((e) => e.name === '__pkvm_reclaim_dying_guest_page')).toHaveLength(6 + 518);
    expect(out).toMatch(/… 518 in all, the last: __pkvm_reclaim_dying_guest_page/);
    expect(evs((e) => e.name === '__pkvm_start_teardown_vm')).toHaveLength(3);
    // npvm's six faulted pages are shared, through __pkvm_host_share_guest
    expect(evs((e) => e.name === '__pkvm_host_share_guest')).toHaveLength(6);
  });

  it('guest execution: each run is a slice on its vCPU inside a __kvm_vcpu_run slice, with a world switch on CPU 0', () => {
    const runs = evs((e) => e.ph === 'X' && e.name === '__kvm_vcpu_run');
    const guest = evs((e) => e.ph === 'X' && e.cat === 'guest');
    const ws = evs((e) => e.ph === 'X' && e.cat === 'world-switch');
    expect(guest.length).toBeGreaterThan(3);
    expect(ws).toHaveLength(guest.length);
    expect(runs.length).toBeGreaterThanOrEqual(guest.length); // a vCPU that is off returns at once
    for (let i = 0; i < guest.length; i++) {
      const g = guest[i]!, r = runs.find((x) => Math.abs(x.ts - g.ts) < 1e-9 && x.dur! >= g.dur! - 1e-9)!;
      expect(r, `run around guest slice ${i}`).toBeDefined();
      expect(r.ts + r.dur!).toBeGreaterThanOrEqual(g.ts + g.dur! - 1e-9);
      expect(on(g)).toMatch(/^VM (pvm1|pvm2|npvm) \/ vCPU 0$/);
    }
    // guest time: the toucher's vCPU ran for most of the 301992 instructions
    const total = guest.reduce((s, e) => s + e.dur!, 0);
    expect(total / US_PER_INSN).toBeGreaterThan(250_000);
    expect(total / US_PER_INSN).toBeLessThanOrEqual(301_992 + 1);
  });

  it('exits: stage-2 faults, MMIO (the console), guest hypercalls, IRQ at the end of a slice', () => {
    const s2 = evs((e) => e.cat === 's2-fault');
    expect(s2.length).toBeGreaterThanOrEqual(18); // 6 full-path faults per VM (the toucher's others are in the core)
    for (const e of s2) expect(e.args!.ipa).toMatch(/^0x4[0-9a-f]{7}$/);
    const mmio = evs((e) => e.cat === 'mmio' && on(e) === 'VM npvm / vCPU 0' && e.args!.ipa === '0x9000000' && e.args!.write === true);
    expect(mmio.length).toBe('Hello from pkvm-emu guest at EL1\n'.length); // one UARTDR write per byte
    const hvc = evs((e) => e.cat === 'guest-hvc');
    expect(hvc.map((e) => e.name)).toContain('guest HVC MMIO_GUARD_MAP');
    const map = hvc.find((e) => e.name === 'guest HVC MMIO_GUARD_MAP')!;
    expect(map.args!.x1).toBe('0x9000000');
    expect(map.args!.x0_ret).toBe('0x0');
    expect(evs((e) => e.cat === 'interrupt').length).toBeGreaterThan(0);
  });

  it('donations, shares and reclaims are instants; page counters end where the census ends', () => {
    const pages = evs((e) => e.ph === 'i' && e.cat === 'pages');
    const count = (re: RegExp) => pages.filter((e) => re.test(e.name)).reduce((s, e) => s + (e.args!.pages as number), 0);
    expect(count(/^donate HOST → pvm2$/)).toBeGreaterThanOrEqual(512 + 6);
    expect(count(/^reclaim pvm2 → HOST$/)).toBe(count(/^donate HOST → pvm2$/));
    expect(count(/^share HOST → npvm$/)).toBe(6);
    // fast-path donations carry their own time: strictly inside the toucher's run
    const fast = pages.filter((e) => e.name === 'donate HOST → pvm2' && /fault fast path/.test(String(e.args!.cause)));
    expect(fast.length).toBeGreaterThan(100);
    const counters = evs((e) => e.ph === 'C');
    const last = (name: string) => counters.filter((e) => e.name === name).at(-1)!.args as Record<string, number>;
    const max = (name: string, k: string) => Math.max(...counters.filter((e) => e.name === name).map((e) => (e.args as Record<string, number>)[k]!));
    expect(max('pages: pvm2', 'OWNED')).toBeGreaterThanOrEqual(512);
    expect(last('pages: pvm2').OWNED).toBe(0);
    // the census at the end (report's last table): HOST OWNED and HYP OWNED
    const table = out.slice(out.lastIndexOf('pages by owner and state, at the end:'));
    const row = (who: string) => table.split('\n').find((l) => l.trim().startsWith(who))!.trim().split(/\s+/).slice(1).map(Number);
    expect(last('pages: HOST').OWNED).toBe(row('HOST')[0]);
    expect(last('pages: HYP').OWNED).toBe(row('HYP')[0]);
    for (const e of counters) expect(e.ts).toBeLessThanOrEqual(301_992 * US_PER_INSN + 1e-6);
  });

  it('scenario actions and VM events from the timeline are instants', () => {
    const vm = evs((e) => e.cat === 'vm').map((e) => e.name);
    expect(vm).toContain('pvm1: PSCI SYSTEM_OFF');
    expect(evs((e) => e.cat === 'action').length).toBeGreaterThanOrEqual(4);
  });
});

describe('boot --trace', () => {
  it('CPU 0 runs between exits; the UART writes spell the console output', () => {
    const file = join(dir, 'hello.json');
    const r = runCli(['boot', 'guest-images/bin/hello.elf', '--trace', file]);
    expect(r.status).toBe(0);
    const t = validate(JSON.parse(readFileSync(file, 'utf8')));
    const writes = t.traceEvents.filter((e) => e.cat === 'mmio' && e.args!.write === true && e.args!.pa === '0x9000000');
    expect(String.fromCharCode(...writes.map((e) => Number(BigInt(e.args!.value as string))))).toBe(r.out);
    expect(t.traceEvents.filter((e) => e.name === 'EL1 run').length).toBeGreaterThan(0);
    expect(t.traceEvents.filter((e) => e.cat === 'firmware')).toHaveLength(1); // PSCI SYSTEM_OFF
  });
  it('interrupts taken inside the core: gic-timer takes five CNTP and five CNTV interrupts at EL1', () => {
    const file = join(dir, 'gic-timer.json');
    const r = runCli(['boot', 'guest-images/bin/gic-timer.elf', '--trace', file]);
    expect(r.status).toBe(0);
    const t = validate(JSON.parse(readFileSync(file, 'utf8')));
    const irqs = t.traceEvents.filter((e) => e.cat === 'interrupt');
    expect(irqs.map((e) => e.name)).toEqual(new Array(10).fill('IRQ taken to EL1'));
    for (let i = 1; i < irqs.length; i++) expect(irqs[i].ts).toBeGreaterThan(irqs[i - 1].ts);
    for (const e of irqs) expect([e.args!.from, e.args!.to, typeof e.args!.elr]).toEqual(['EL1', 'EL1', 'string']);
  });
  it('virtual interrupts: gic-vgic at EL2 takes physical IRQs to EL2 and injects virtual IRQs its EL1 guest takes', () => {
    const file = join(dir, 'gic-vgic.json');
    expect(runCli(['boot', '--el2', 'guest-images/bin/gic-vgic.elf', '--trace', file]).status).toBe(0);
    const t = validate(JSON.parse(readFileSync(file, 'utf8')));
    const names = t.traceEvents.filter((e) => e.cat === 'interrupt').map((e) => e.name);
    expect(names.filter((n) => n === 'IRQ taken to EL2').length).toBeGreaterThan(0);
    expect(names.filter((n) => n === 'virtual IRQ taken to EL1').length).toBeGreaterThan(0);
  });
  it('synchronous exceptions taken inside the core: selftest\'s SVC, BRK, UDF and alignment fault with ESR, PC and FAR', () => {
    const file = join(dir, 'selftest.json');
    expect(runCli(['boot', 'guest-images/bin/selftest.elf', '--trace', file]).status).toBe(0);
    const t = validate(JSON.parse(readFileSync(file, 'utf8')));
    const exc = t.traceEvents.filter((e) => e.cat === 'exception');
    // selftest.S exc_svc (0x4008495c) svc #0x42, exc_brk (0x4008499c) brk #7, exc_udf (0x400849dc)
    // UDF #0, exc_align (0x40084a10) ldxr x0, [x8] with x8 = at_buf + 1 (0x4008c041). ESR (Arm ARM
    // D17.2.37): EC << 26 | IL (bit 25) | ISS — SVC/BRK: the immediate; UNDEFINED: EC 0; a data abort
    // at the current EL: EC 0x25, DFSC 0x21 (alignment fault), WnR 0.
    expect(exc.map((e) => [e.name, e.args])).toEqual([
      ['SVC taken to EL1', { ec: '0x15', esr: '0x56000042', from: 'EL1', to: 'EL1', pc: '0x4008495c' }],
      ['BRK taken to EL1', { ec: '0x3c', esr: '0xf2000007', from: 'EL1', to: 'EL1', pc: '0x4008499c' }],
      ['unknown reason taken to EL1', { ec: '0x0', esr: '0x2000000', from: 'EL1', to: 'EL1', pc: '0x400849dc' }],
      ['data abort taken to EL1', { ec: '0x25', esr: '0x96000021', from: 'EL1', to: 'EL1', pc: '0x40084a10', far: '0x4008c041' }],
    ]);
    for (let i = 1; i < exc.length; i++) expect(exc[i].ts).toBeGreaterThan(exc[i - 1].ts);
    for (const e of exc) expect(e.tid).toBe(exc[0].tid); // CPU 0's track
  });
  it('an HVC to a native EL2 is taken inside the core: gic-vgic\'s guest calls its EL2 five times', () => {
    const file = join(dir, 'gic-vgic-sync.json');
    expect(runCli(['boot', '--el2', 'guest-images/bin/gic-vgic.elf', '--trace', file]).status).toBe(0);
    const t = validate(JSON.parse(readFileSync(file, 'utf8')));
    const hvc = t.traceEvents.filter((e) => e.cat === 'exception');
    expect(hvc.map((e) => e.name)).toEqual(new Array(5).fill('HVC taken to EL2'));
    for (const e of hvc) {
      expect([e.args!.ec, e.args!.from, e.args!.to]).toEqual(['0x16', 'EL1', 'EL2']);
      expect(Number(BigInt(e.args!.esr as string) >> 25n)).toBe((0x16 << 1) | 1); // EC HVC64, IL
    }
  });
});

describe('bad trace paths', () => {
  it('an unwritable --trace path is one line before the run, and nothing is written', () => {
    const r = runCli(['run', 'scenarios/default.yaml', '--trace', join(dir, 'no/such/dir.json')]);
    expectOneLineError(r, /^pkvm-emu: --trace .*: no such directory/);
    expect(r.out).toBe('');
    expectOneLineError(runCli(['boot', 'guest-images/bin/hello.elf', '--trace', dir]), /^pkvm-emu: --trace .*: is a directory$/);
    expectOneLineError(runCli(['run', 'scenarios/default.yaml', '--report', join(dir, 'hello.json', 'x.html')]), /^pkvm-emu: --report .*: .* is not a directory$/);
  });
  it('a trace that cannot be written after the run: the run completes, one line, status 1, no partial file', () => {
    const r = runCli(['boot', 'guest-images/bin/hello.elf', '--trace', '/proc/version'], {});
    expect(r.out).toBe('Hello from pkvm-emu guest at EL1\n');
    expectOneLineError(r, /^pkvm-emu: --trace \/proc\/version: cannot write/);
  });
  it('writeFileAtomic leaves no temporary file when the final rename fails', () => {
    const target = join(dir, 'occupied');
    mkdirSync(join(target, 'x'), { recursive: true });
    expect(() => writeFileAtomic(target, 'data')).toThrow();
    expect(readdirSync(dir).filter((n) => n.includes('.tmp-'))).toEqual([]);
    expect(existsSync(join(target, 'x'))).toBe(true);
  });
});

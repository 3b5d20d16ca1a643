// `run --trace FILE --trace-source ring` (cli/trace/hyp-ring.ts): the hyp's own events, read back
// from its tracing ring buffer in guest RAM by the host model, are in the trace beside the model's
// tracks, and they agree with them: every host hypercall the model records between the host enabling
// tracing and its first read is a host_hcall event of the hyp, in the same order, at the same time.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectOneLineError, runCli } from './run-cli';

interface Ev { name: string; cat?: string; ph: string; ts: number; pid: number; tid?: number; args?: Record<string, unknown> }

const dir = mkdtempSync(join(tmpdir(), 'pkvm-ring-'));

describe('run --trace-source ring', () => {
  it('adds the hyp ring\'s events; the scenario still passes; host_hcall events match the model\'s hypercall slices', () => {
    const file = join(dir, 'ring.json');
    const r = runCli(['run', 'scenarios/default.yaml', '--quiet', '--trace', file, '--trace-source', 'ring'], { timeout: 120_000 });
    expect(r.err).toBe('');
    expect(r.status).toBe(0);
    const events = (JSON.parse(readFileSync(file, 'utf8')) as { traceEvents: Ev[] }).traceEvents;
    const hyp = events.filter((e) => e.cat === 'hyp');
    const names = new Set(hyp.map((e) => e.name));
    for (const n of ['hyp_enter', 'hyp_exit', 'host_hcall']) expect(names.has(n)).toBe(true);
    /* enter/exit pair around each hypercall: HVC in, ERET_HOST out */
    const hc = hyp.filter((e) => e.name === 'host_hcall');
    expect(hyp.filter((e) => e.name === 'hyp_enter' && e.args?.reason === 'HVC').length).toBe(hc.length);
    /* timestamps never go back */
    for (let i = 1; i < hyp.length; i++) expect(hyp[i]!.ts).toBeGreaterThanOrEqual(hyp[i - 1]!.ts);
    /* the model's hypercall slices after the host enabled tracing (the ring records from there) */
    const model = events.filter((e) => e.ph === 'X' && e.cat === 'host-hvc');
    const enabledAt = model.findIndex((e) => e.name === '__tracing_enable');
    expect(enabledAt).toBeGreaterThan(0);
    const ringCalls = hc.map((e) => ({ name: String(e.args?.id), ts: e.ts })).filter((c) => !c.name.startsWith('__tracing_'));
    const fromEnable = model.slice(enabledAt + 1).map((e) => ({ name: e.name, ts: e.ts })).filter((c) => !c.name.startsWith('__tracing_'));
    expect(ringCalls.map((c) => c.name)).toEqual(fromEnable.slice(0, ringCalls.length).map((c) => c.name));
    expect(ringCalls.length).toBeGreaterThan(100);
    expect(ringCalls.map((c) => c.ts)).toEqual(fromEnable.slice(0, ringCalls.length).map((c) => c.ts));
  }, 180_000);

  it('bad uses are one-line errors', () => {
    expectOneLineError(runCli(['run', 'scenarios/default.yaml', '--trace-source', 'ring']), /--trace-source ring: needs --trace FILE/);
    expectOneLineError(runCli(['run', 'scenarios/default.yaml', '--trace', join(dir, 'x.json'), '--trace-source', 'perfetto']), /--trace-source: 'perfetto' is not model or ring/);
    expectOneLineError(runCli(['run', 'scenarios/a64-host-hcalls.yaml', '--trace', join(dir, 'y.json'), '--trace-source', 'ring'], { timeout: 120_000 }), /needs a scenario whose host is the KVM model/);
  }, 180_000);
});

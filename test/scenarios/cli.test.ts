// `pkvm-emu run` and `pkvm-emu test` as a user meets them (the bundled CLI, built by npm run build):
// report, exit status, JUnit output, and one-line errors for bad input (never a stack trace).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectOneLineError, runCli } from '../cli/run-cli';
import { oneVm, repo, scenarioFile, tmp } from './helpers';

const run = (...args: string[]) => runCli(args, { encoding: 'utf8', timeout: 120_000, cwd: repo });

const failing = oneVm('expect:\n  console:\n    p: "nothing like this"\n  exit: { p: off }\n');

describe('pkvm-emu run', () => {
  it('runs the default scenario: timeline, consoles, page tables, PASS, status 0', () => {
    const r = run('run', 'scenarios/default.yaml');
    expect(r.err).toBe('');
    expect(r.status).toBe(0);
    expect(r.out).toMatch(/^scenario default \(scenarios\/default\.yaml, kvm\)\n/);
    expect(r.out).toContain('timeline (instructions retired, event):');
    expect(r.out).toMatch(/\n +\d+ +vm +pvm1: created protected VM handle 0x1000/);
    expect(r.out).toMatch(/\n +\d+ +donate +… \d+ in all, the last: pvm2: gfn/);
    expect(r.out).toMatch(/\n +\d+ +vm +pvm1: PSCI SYSTEM_OFF/);
    expect(r.out).toContain('console of pvm1 (off):\n  | pguest: hello from a protected guest\n  | pguest: vm id 1\n');
    expect(r.out).toContain('console of npvm (off):\n  | Hello from pkvm-emu guest at EL1\n');
    expect(r.out).toMatch(/pages by owner and state, at the end:\n +OWNED +SHARED_OWNED +SHARED_BORROWED +NOPAGE +POISON\n +HOST +\d+/);
    expect(r.out).toMatch(/\nPASS default: \d+ expectation\(s\) met, [\d.]+ s\n$/);
    expect(r.out).not.toContain('__pkvm_vcpu_load');
  });

  it('--quiet drops the timeline; --trace-faults shows every load/put and donation', () => {
    const q = run('run', 'scenarios/errno.yaml', '--quiet');
    expect(q.status).toBe(0);
    expect(q.out).not.toContain('timeline');
    expect(q.out).toContain('console of pvm (off):');
    const t = run('run', 'scenarios/errno.yaml', '--trace-faults');
    expect(t.status).toBe(0);
    expect(t.out).toMatch(/hcall +__pkvm_vcpu_load\(0x1000, 0x0, 0x6000\) = /);
    expect(t.out).toMatch(/donate +pvm: gfn 0x40080 ← pfn/);
    expect(t.out).not.toContain('in all, the last');
  });

  it('the A64-host scenario: the host image\'s hypercalls in the timeline and its UART text', () => {
    const r = run('run', 'scenarios/a64-host-hcalls.yaml');
    expect(r.status).toBe(0);
    expect(r.out).toMatch(/hcall +host HVC __pkvm_host_share_hyp\(0x40086, 0x0, 0x0\) → x0=SUCCESS x1=-EPERM/);
    expect(r.out).toContain('  | hcall __pkvm_host_share_hyp: x0=0000000000000000 x1=ffffffffffffffff\n');
    expect(r.out).toContain('  | host-hcalls: SYSTEM_OFF by SMC\n');
  });

  it('failed expectations: listed one per line, status 1', () => {
    const r = run('run', scenarioFile(failing));
    expect(r.status).toBe(1);
    expect(r.out).toMatch(/\nFAIL expect\.console\.p: console of p differs at line 1: expected "nothing like this", got "pguest: hello from a protected guest"\nFAIL s\d+: 1 of \d+ expectation\(s\) failed/);
  });

  it('bad input: one line on stderr, status 1', () => {
    expectOneLineError(run('run', join(tmp, 'nope.yaml')), /^pkvm-emu: .*nope\.yaml: no such file$/);
    expectOneLineError(run('run', scenarioFile('vms: [1,\n b: 2\n')), /^pkvm-emu: .*\.yaml: bad YAML at line \d+, column \d+: /);
    expectOneLineError(run('run', scenarioFile(oneVm('extra: 1\n'))), /^pkvm-emu: .*\.yaml: extra: unknown key/);
    expectOneLineError(run('run', scenarioFile(oneVm('', '    memory: lots\n').replace('    memory: 4M\n', ''))), /^pkvm-emu: .*\.yaml: vms\[0\]\.memory: expected a size like 16M, got "lots"$/);
    expectOneLineError(run('run', scenarioFile(oneVm('', '    vcpus: [2]\n'))), /vms\[0\]\.vcpus: expected an integer, got a list$/);
    expectOneLineError(run('run', scenarioFile('vms:\n  - { name: a, protected: true, memory: 4M, image: no/such.elf }\n')), /vms\[0\]\.image: no\/such\.elf: no such file/);
    expectOneLineError(run('run', tmp), /is a directory/);
    expectOneLineError(run('run'), /missing required argument/, 2);
  });
});

describe('pkvm-emu test', () => {
  it('runs every scenario in scenarios/ and writes JUnit XML', () => {
    const junit = join(tmp, 'all.xml');
    const r = run('test', '--junit', junit);
    expect(r.err).toBe('');
    expect(r.status).toBe(0);
    const lines = r.out.trimEnd().split('\n');
    expect(lines.at(-1)).toMatch(/^(\d+) passed, 0 failed$/);
    expect(lines.filter((l) => l.startsWith('PASS '))).toHaveLength(Number(/^(\d+)/.exec(lines.at(-1)!)![1]));
    const xml = readFileSync(junit, 'utf8');
    expect(xml).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites name="pkvm-emu" tests="\d+" failures="0" errors="0"/);
    expect(xml).toMatch(/<testcase classname="scenarios" name="default" file="scenarios\/default.yaml" time="[\d.]+">/);
  });

  it('a directory with a passing, a failing and an invalid scenario: N passed, M failed, status 1', () => {
    const dir = join(tmp, 'mixed');
    mkdirSync(dir, { recursive: true });
    scenarioFile(oneVm('expect: { exit: { p: off } }\n'), 'a-pass.yaml', dir);
    scenarioFile(failing, 'b-fail.yaml', dir);
    scenarioFile('{"vms": 3}', 'c-invalid.json', dir);
    writeFileSync(join(dir, 'notes.txt'), 'not a scenario');
    const junit = join(tmp, 'mixed.xml');
    const r = run('test', dir, '--junit', junit);
    expect(r.status).toBe(1);
    const lines = r.out.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^PASS a-pass: /);
    expect(lines[1]).toMatch(/^FAIL b-fail: 1 of \d+ expectation\(s\) failed/);
    expect(lines[2]).toMatch(/^  FAIL expect\.console\.p: console of p differs/);
    expect(lines[3]).toMatch(/^FAIL c-invalid: .*c-invalid\.json: vms: expected a list, got 3$/);
    expect(lines.at(-1)).toBe('1 passed, 2 failed');
    const xml = readFileSync(junit, 'utf8');
    expect(xml).toContain('tests="3" failures="1" errors="1"');
    expect(xml).toMatch(/<testcase [^>]*name="b-fail"[^>]*>\n +<failure message="expect\.console\.p: console of p differs/);
    expect(xml).toMatch(/<testcase [^>]*name="c-invalid"[^>]*>\n +<error message=".*vms: expected a list, got 3"/);
  });

  it('bad input: a missing directory, an empty one, an unwritable --junit', () => {
    expectOneLineError(run('test', join(tmp, 'nodir')), /nodir: no such directory$/);
    const empty = join(tmp, 'empty');
    mkdirSync(empty, { recursive: true });
    expectOneLineError(run('test', empty), /empty: no scenario files/);
    const one = join(tmp, 'one');
    mkdirSync(one, { recursive: true });
    scenarioFile(oneVm(), 'x.yaml', one);
    expectOneLineError(run('test', one, '--junit', join(tmp, 'no/such/dir/j.xml')), /--junit .*j\.xml: cannot write/);
  });
});


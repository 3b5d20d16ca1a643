// Property-based fuzzing of pKVM's memory protection: random sequences of host hypercalls, guest
// share/unshare (direct and through the guest HVC handler, under upstream's guest-HVC ABI or Android's,
// drawn per sequence), host and guest memory accesses and VM creation/teardown over three VMs run on
// the hosted pKVM and on an independent reference model of the ownership table (model.ts); every
// return code, WARN and page/guest state must agree, and
// pkvm.checkInvariants() must stay clean. FUZZ_RUNS / FUZZ_SEED override the run count and seed;
// `npm run fuzz -- --runs N --seed S` runs more (on worker threads) and prints shrunk counterexamples
// step by step with the command that replays them.
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { fuzz, type Args, type FuzzResult } from './cli';
import type { HostStruct, InitVcpu, Op } from './ops';
import { FuzzFailure, rawLeaf, runSequence, traceSequence } from './runner';
import type { Core } from '../../machine/core';
import type { HostedEl2 } from '../../hyp/hosted-el2';
import type { KvmPgtable } from '../../hyp/pgtable';
import { KVM_HOST_DONATION_PTE_EXTRA_MASK } from '../../hyp/pgtable-defs';
import {
  E2BIG, EBUSY, EFAULT, EINVAL, ENOENT, ENOMEM, EPERM, ERANGE, EAGAIN, PkvmModel, hcallId, type ModelHcallName, type VmLayout,
} from './model';

const RUNS = Number(process.env.FUZZ_RUNS ?? 10_000);
const SEED = Number(process.env.FUZZ_SEED ?? 0x5eed);
/** Sequences on the mirror-mode IOMMU board (in this process, besides the RUNS hypercall-mode ones). */
const MIRROR_RUNS = Number(process.env.FUZZ_MIRROR_RUNS ?? 500);
/** Worker threads of the RUNS session: one per CPU up to 2 (vitest itself uses all CPUs but one). */
const WORKERS = Math.max(1, Number(process.env.FUZZ_WORKERS ?? Math.min(availableParallelism(), 2)));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI_DEFAULTS: Args = { runs: 0, seed: 0, minLen: 5, maxLen: 30, coverage: false, trace: false, json: true, invariants: 'op' };

/** The fuzz CLI in a child process (`npm run fuzz -- --json`, its worker threads), its JSON result line. */
function session(runs: number, seed: number, workers: number): Promise<FuzzResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/fuzz/cli.ts', '--runs', String(runs), '--seed', String(seed),
      '--workers', String(workers), '--json', '--invariants', 'op'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const line = out.trim().split('\n').at(-1) ?? '';
      try {
        resolve(JSON.parse(line) as FuzzResult);
      } catch {
        reject(new Error(`fuzz session (seed ${seed}) exited ${code} without a result:\n${out}\n${err}`));
      }
    });
  });
}
const g = (v: bigint) => ({ k: 'gfn' as const, v });
/** The PA of the last-level entry translating addr (the test's own walk, 4 KiB leaves only). */
function rawTableOf(core: Core, pgt: KvmPgtable, addr: bigint): bigint {
  let table = pgt.pgd!;
  let idx = addr >> BigInt(12 + 9 * (3 - pgt.start_level));
  for (let level = pgt.start_level; level < 3; level++) {
    table = core.readPhysU64(table + idx * 8n) & 0xfffffffff000n;
    idx = (addr >> BigInt(12 + 9 * (2 - level))) & 511n;
  }
  return table + idx * 8n;
}
const slot = (s: number) => ({ k: 'slot' as const, slot: s });

describe('reference model (no machine)', () => {
  const RAM = 0x4000_0000n;
  const mk = () => {
    const m = new PkvmModel({
      ramBase: RAM, ramSize: 4n << 20n, paBits: 40, ipaBits: 40, maxVms: 2,
      carveout: { base: RAM + (3n << 20n), size: 1n << 20n }, zeroedPfns: { first: RAM >> 12n, count: 256 },
    });
    const vm = (handle: number, prot: boolean, base: bigint): VmLayout => ({
      handle, protected: prot, nrVcpus: 1, kvmPfn: base, vmPfns: [base + 1n], pgdPfns: [base + 2n, base + 3n],
      hostVcpuPfns: [base + 4n], hypVcpuPfns: [base + 5n], memIpa: { base: 0x4000_0000n, size: 4n << 20n },
    });
    expect(m.createVm(vm(0x1000, true, (RAM >> 12n) + 0x200n))).toBeNull();
    expect(m.createVm(vm(0x1001, false, (RAM >> 12n) + 0x210n))).toBeNull();
    const call = (name: ModelHcallName, ...args: bigint[]): number => PkvmModel.ret(m.hcall(hcallId(name), args));
    return { m, call };
  };
  const P = (RAM >> 12n) + 1n;

  it('host ↔ hyp sharing: states, pins and errnos', () => {
    const { m, call } = mk();
    expect(call('__pkvm_host_share_hyp', P)).toBe(0);
    expect(m.page(P)).toMatchObject({ host: 'SHARED_OWNED', hyp: 'SHARED_BORROWED' });
    expect(call('__pkvm_host_share_hyp', P)).toBe(-EPERM);
    expect(call('__pkvm_host_unshare_hyp', (RAM >> 12n) + 0x200n)).toBe(-EBUSY); /* struct kvm, pinned */
    expect(call('__pkvm_host_unshare_hyp', P)).toBe(0);
    expect(call('__pkvm_host_unshare_hyp', P)).toBe(-EPERM);
    expect(call('__pkvm_host_share_hyp', 0x9000n)).toBe(-EPERM); /* MMIO */
    expect(call('__pkvm_host_share_hyp', (1n << 52n) - 1n)).toBe(-EINVAL); /* last page of the u64 space */
    expect(call('__pkvm_host_share_hyp', (RAM + (3n << 20n)) >> 12n)).toBe(-EPERM); /* carve-out */
  });

  it('host → guest donation and sharing follow the vCPU gating and the reference table', () => {
    const { m, call } = mk();
    expect(call('__pkvm_host_donate_guest', P, 0x40000n)).toBe(-EINVAL); /* nothing loaded */
    m.hcall(hcallId('__pkvm_vcpu_load'), [0x1000n, 0n]);
    expect(call('__pkvm_host_share_guest', P, 0x40000n, 1n, 0xfn)).toBe(-EINVAL); /* protected VM */
    expect(call('__pkvm_host_donate_guest', P, 0x40000n)).toBe(0);
    expect(m.page(P)).toMatchObject({ host: 'NOPAGE', owner: { id: 'GUEST', handle: 0x1000, gfn: 0x40000n } });
    expect(call('__pkvm_host_donate_guest', P + 1n, 0x40000n)).toBe(-EPERM); /* gfn taken */
    expect(call('__pkvm_host_donate_guest', P + 1n, 1n << 28n)).toBe(-ERANGE);
    expect(m.hostAccess(P << 12n, false)).toEqual({ ok: false, errno: -EPERM });
    expect(call('__pkvm_start_teardown_vm', 0x1000n)).toBe(-EINVAL); /* loaded: get_pkvm_unref_hyp_vm_locked (no WARN) */
    m.hcall(hcallId('__pkvm_vcpu_put'), []);
    m.hcall(hcallId('__pkvm_vcpu_load'), [0x1001n, 0n]);
    expect(call('__pkvm_host_share_guest', P + 1n, 0x40000n, 1n, 0xbn)).toBe(0);
    expect(call('__pkvm_host_share_guest', P + 1n, 0x40001n, 1n, 0xbn)).toBe(0);
    expect(m.page(P + 1n)).toMatchObject({ host: 'SHARED_OWNED', shareCount: 2 });
    expect(call('__pkvm_host_share_guest', P + 2n, 0x40002n, 2n, 0xbn)).toBe(-EINVAL); /* nr */
    expect(call('__pkvm_host_share_guest', P + 2n, 0x40002n, 512n, 0xbn)).toBe(-EINVAL); /* alignment */
    expect(call('__pkvm_host_relax_perms_guest', 0x40000n, 0xfn)).toBe(0);
    expect(call('__pkvm_host_relax_perms_guest', 0x40005n, 0xfn)).toBe(-EAGAIN);
    expect(call('__pkvm_host_unshare_guest', 0x1001n, 0x40003n, 1n)).toBe(-ENOENT);
    expect(call('__pkvm_host_unshare_guest', 0x1001n, 0x40000n, 512n)).toBe(-E2BIG);
    expect(call('__pkvm_host_unshare_guest', 0x1000n, 0x40000n, 1n)).toBe(-EINVAL); /* protected */
    expect(call('__pkvm_host_unshare_guest', 0x1001n, 0x40000n, 1n)).toBe(0);
    expect(call('__pkvm_host_unshare_guest', 0x1001n, 0x40001n, 1n)).toBe(0);
    expect(m.page(P + 1n)).toMatchObject({ host: 'OWNED', shareCount: 0 });
  });

  it('non-protected VM teardown in upstream order: start_teardown, then unshare (a dying VM is still referenced), finalize', () => {
    const { m, call } = mk();
    m.hcall(hcallId('__pkvm_vcpu_load'), [0x1001n, 0n]);
    expect(call('__pkvm_host_share_guest', P + 1n, 0x40000n, 1n, 0xbn)).toBe(0);
    expect(call('__pkvm_start_teardown_vm', 0x1001n)).toBe(-EINVAL); /* loaded */
    m.hcall(hcallId('__pkvm_vcpu_put'), []);
    expect(call('__pkvm_start_teardown_vm', 0x1001n)).toBe(0);
    expect(call('__pkvm_host_unshare_guest', 0x1001n, 0x40000n, 1n)).toBe(0);
    expect(m.page(P + 1n)).toMatchObject({ host: 'OWNED', shareCount: 0 });
    expect(call('__pkvm_finalize_teardown_vm', 0x1001n)).toBe(0);
    expect(call('__pkvm_host_unshare_guest', 0x1001n, 0x40000n, 1n)).toBe(-EINVAL);
  });

  it('R14: donate/share with fewer than kvm_mmu_cache_min_pages in the EL2 memcache: -ENOMEM after the state checks', () => {
    const { m, call } = mk();
    m.hcall(hcallId('__pkvm_vcpu_load'), [0x1000n, 0n]);
    m.memcachePages = 1n;
    expect(call('__pkvm_host_donate_guest', P, 0x40000n)).toBe(-ENOMEM);
    expect(m.page(P)).toMatchObject({ host: 'OWNED' });
    m.memcachePages = 1n;
    expect(call('__pkvm_host_donate_guest', (RAM >> 12n) + 0x300n, 0x40000n)).toBe(-EPERM); /* state first */
    m.memcachePages = 2n;
    expect(call('__pkvm_host_donate_guest', P, 0x40000n)).toBe(0);
    m.hcall(hcallId('__pkvm_vcpu_put'), []);
    m.hcall(hcallId('__pkvm_vcpu_load'), [0x1001n, 0n]);
    m.memcachePages = 0n;
    expect(call('__pkvm_host_share_guest', P + 1n, 0x40000n, 1n, 0xbn)).toBe(-ENOMEM);
    expect(m.page(P + 1n)).toMatchObject({ host: 'OWNED', shareCount: 0 });
    expect(call('__pkvm_host_share_guest', P + 1n, 0x40000n, 1n, 0xbn)).toBe(0); /* not observed: enough */
  });

  it('guest share, force reclaim (poison) and teardown', () => {
    const { m, call } = mk();
    m.hcall(hcallId('__pkvm_vcpu_load'), [0x1000n, 0n]);
    expect(m.hostAccess(P << 12n, true, 0x1234n).ok).toBe(true);
    expect(call('__pkvm_host_donate_guest', P, 0x40000n)).toBe(0);
    expect(call('__pkvm_host_donate_guest', P + 1n, 0x40001n)).toBe(0);
    expect(m.guestShareHost(0x40000n).ret).toBe(0);
    expect(m.hostAccess(P << 12n, false)).toMatchObject({ ok: true, value: 0x1234n });
    expect(m.guestShareHost(0x40000n).ret).toBe(-EPERM);
    expect(call('__pkvm_force_reclaim_guest_page', P << 12n)).toBe(-EAGAIN); /* the host has it */
    expect(call('__pkvm_force_reclaim_guest_page', 0x0900_0000n)).toBe(-EFAULT);
    expect(call('__pkvm_force_reclaim_guest_page', (P + 1n) << 12n)).toBe(0);
    expect(m.guestState(m.slots[0]!, 0x40001n)).toBe('POISON');
    m.hcall(hcallId('__pkvm_vcpu_put'), []);
    expect(call('__pkvm_reclaim_dying_guest_page', 0x1000n, 0x40000n)).toBe(-EINVAL); /* not dying */
    expect(call('__pkvm_finalize_teardown_vm', 0x1000n)).toBe(-EINVAL); /* not dying */
    expect(call('__pkvm_start_teardown_vm', 0x1000n)).toBe(0);
    expect(call('__pkvm_start_teardown_vm', 0x1000n)).toBe(-EINVAL);
    expect(call('__pkvm_reclaim_dying_guest_page', 0x1000n, 0x40000n)).toBe(0);
    expect(call('__pkvm_reclaim_dying_guest_page', 0x1000n, 0x40001n)).toBe(0); /* poisoned: R6 */
    expect(call('__pkvm_reclaim_dying_guest_page', 0x1000n, 0x40002n)).toBe(-ENOENT);
    expect(call('__pkvm_finalize_teardown_vm', 0x1000n)).toBe(0);
    expect(call('__pkvm_finalize_teardown_vm', 0x1000n)).toBe(-EINVAL); /* gone */
    expect(m.page(P)).toMatchObject({ host: 'OWNED', content: 0x1234n }); /* SHARED_OWNED: not zeroed */
    expect(m.page((RAM >> 12n) + 0x201n)).toMatchObject({ host: 'OWNED', hyp: 'NOPAGE' }); /* VM struct back */
    expect(call('__pkvm_host_unshare_hyp', (RAM >> 12n) + 0x200n)).toBe(0); /* struct kvm unpinned */
  });

  it('hypercall dispatch: ids before __pkvm_prot_finalize or far past the table are not supported', () => {
    const { m } = mk();
    expect(m.hcall(0xc600_0001n, [5n])).toMatchObject({ x0: (1n << 64n) - 1n, x1: 5n });
    expect(m.hcall(0xc600_1000n, [5n])).toMatchObject({ x0: (1n << 64n) - 1n, x1: 5n });
    expect(PkvmModel.ret(m.hcall(hcallId('__pkvm_prot_finalize'), []))).toBe(-EPERM);
    expect(PkvmModel.ret(m.hcall(hcallId('__pkvm_host_share_hyp') | (1n << 16n), [(RAM >> 12n) + 7n]))).toBe(0);
  });
});

describe('fuzzer on the hosted pKVM', () => {
  it('a directed lifecycle: donate, guest writes, share back, teardown zeroes, handle reuse', () => {
    const ops: Op[] = [
      { t: 'share', pfn: { k: 'fuzz', i: 0 }, gfn: g(0x40000n), nr: 512n, prot: 0xbn, vm: slot(1), prep: true, topup: true },
      { t: 'wrprotect', h: slot(1), gfn: g(0x40001n), nr: 1n },
      { t: 'guest_write', vm: slot(1), gfn: g(0x401ffn), val: 1n },
      { t: 'unshare', h: slot(1), gfn: g(0x40000n), nr: 512n },
      { t: 'host_write', pa: { k: 'fuzz', i: 1 }, val: 0x1111n },
      { t: 'donate', pfn: { k: 'fuzz', i: 1 }, gfn: g(0x40000n), vm: slot(0), prep: true, topup: true },
      { t: 'guest_write', vm: slot(0), gfn: g(0x40000n), val: 0x5ec7e7n },
      { t: 'host_read', pa: { k: 'fuzz', i: 1 } },
      { t: 'guest_hvc', fn: 'share', vm: slot(0), gfn: g(0x40000n), bad: 'none' },
      { t: 'host_read', pa: { k: 'fuzz', i: 1 } },
      { t: 'guest_unshare', vm: slot(0), gfn: g(0x40000n) },
      { t: 'teardown', h: slot(0), prep: true },
      { t: 'finalize', h: slot(0) },
      { t: 'create', prot: true },
      { t: 'donate', pfn: { k: 'fuzz', i: 2 }, gfn: g(0x40000n), vm: slot(0), prep: true, topup: true },
      { t: 'force_reclaim', pa: { k: 'fuzz', i: 1 }, off: 0n },
      { t: 'host_read', pa: { k: 'fuzz', i: 1 } },
      { t: 'destroy', vm: slot(0) },
    ];
    const { log, failure } = traceSequence(ops);
    if (failure) throw failure;
    const text = log.join('\n');
    expect(text).toContain('guest slot0 write 0x5ec7e7 to gfn 0x40000 → ok');
    expect(text).toMatch(/host read of PA 0x40001000 \(fuzz#1\) → refused \(-EPERM\)/);
    expect(text).toMatch(/host read of PA 0x40001000 \(fuzz#1\) → ok PA 0x40001000 value 0x5ec7e7/);
    /* A stale annotation for the reused handle: the new VM's gfn is poisoned (WARN, non-fatal here). */
    expect(text).toMatch(/__pkvm_force_reclaim_guest_page\(phys 0x40001000 fuzz#1\) → x0=0 x1=0 WARN/);
    expect(text).toMatch(/host read of PA 0x40001000 \(fuzz#1\) → ok PA 0x40001000 value 0x0/);
    expect(text).toMatch(/__pkvm_host_share_guest\(pfn 0x40000 fuzz#0, gfn 0x40000, nr 512, prot 0xb\) → x0=0 x1=0/);
    expect(text).toMatch(/__pkvm_host_wrprotect_guest\(0x1001, 0x40001, 0x1\) → x0=0 x1=0 WARN/);
    expect(text).toMatch(/guest slot1 write 0x1 to gfn 0x401ff → refused/);
  });

  it('VM creation call by call (model R19): upstream\'s errno at each failed step, pages back zeroed, created VMs torn down', () => {
    const fresh = { k: 'fresh' } as const;
    const struct = (o: Partial<HostStruct> = {}): HostStruct => ({ page: fresh, share: true, straddle: false, ...o });
    const vcpu = (idx: number, o: Partial<InitVcpu> = {}): InitVcpu => ({ idx, host: struct(), page: fresh, off: false, ...o });
    const init = (o: Partial<Extract<Op, { t: 'init_vm' }>>): Op => ({
      t: 'init_vm', room: true, prot: false, nr: 2, handle: 'reserve', kvm: struct(), idRegs: true,
      vm: fresh, vmOff: false, pgd: fresh, pgdOff: false, vcpus: [], ...o,
    });
    const ops: Op[] = [
      /* the table is full at boot: the host destroys slot 0's VM first */
      init({ vcpus: [vcpu(1), vcpu(1), vcpu(2), vcpu(0, { host: struct({ share: false }) }), vcpu(0, { off: true })] }),
      init({ idRegs: false, vcpus: [vcpu(0)] }), /* non-protected: no ID registers from the host yet */
      init({ prot: true, idRegs: false, vcpus: [vcpu(0)] }), /* protected: the restricted set, no copy */
      init({ pgdOff: true }), /* PGD pages not one aligned block: kvm_guest_prepare_stage2() fails */
      init({ kvm: struct({ share: false }) }), /* struct kvm not shared: hyp_pin_shared_mem() fails */
      init({ kvm: struct({ straddle: true }), nr: 0 }), /* two pages pinned, no vCPU */
      init({ handle: 'below' }),
      init({ handle: 'taken', vcpus: [vcpu(0)] }), /* insert fails after the stage-2 was prepared; vCPU 0 of a live VM is registered */
      init({ vmOff: true }),
    ];
    const { log, failure } = traceSequence(ops, { invariants: 'step' });
    if (failure) throw failure;
    const calls = log.filter((l) => /__pkvm_init_v|__pkvm_finalize_teardown_vm|__pkvm_reserve_vm|__pkvm_unreserve_vm/.test(l))
      .map((l) => l.trim().replace(/\(.*\) → x0=0 x1=/, ' '));
    expect(calls).toEqual([
      '__pkvm_finalize_teardown_vm 0', /* room: slot 0's VM destroyed */
      '__pkvm_reserve_vm 4096', '__pkvm_init_vm 0',
      '__pkvm_init_vcpu 0', '__pkvm_init_vcpu -EINVAL', '__pkvm_init_vcpu -EINVAL', '__pkvm_init_vcpu -EBUSY', '__pkvm_init_vcpu -ENOMEM',
      '__pkvm_finalize_teardown_vm 0',
      '__pkvm_reserve_vm 4096', '__pkvm_init_vm 0', '__pkvm_init_vcpu -EINVAL', '__pkvm_finalize_teardown_vm 0',
      '__pkvm_reserve_vm 4096', '__pkvm_init_vm 0', '__pkvm_init_vcpu 0', '__pkvm_finalize_teardown_vm 0',
      '__pkvm_reserve_vm 4096', '__pkvm_init_vm -ENOMEM', '__pkvm_unreserve_vm 4096',
      '__pkvm_reserve_vm 4096', '__pkvm_init_vm -EPERM', '__pkvm_unreserve_vm 4096',
      '__pkvm_reserve_vm 4096', '__pkvm_init_vm -EINVAL', '__pkvm_unreserve_vm 4096',
      '__pkvm_init_vm -EINVAL',
      '__pkvm_init_vm -EINVAL', '__pkvm_init_vcpu -EINVAL',
      '__pkvm_reserve_vm 4096', '__pkvm_init_vm -ENOMEM', '__pkvm_unreserve_vm 4096',
    ]);
  });

  it('guest PSCI at EL2 under Android\'s ABI (model R20): power states, ON_PENDING, affinity levels', () => {
    const psci = (fn: 'cpu_on' | 'cpu_off' | 'affinity_info', i: number): Op =>
      ({ t: 'guest_hvc', fn, vm: slot(0), gfn: { k: 'pick', i }, bad: 'none' });
    const ops: Op[] = [
      psci('affinity_info', 0), /* vCPU 1, level 0: OFF (created powered off) */
      psci('cpu_on', 0), /* vCPU 1: ON_PENDING, the host schedules it */
      psci('cpu_on', 0), /* again: ON_PENDING */
      psci('affinity_info', 0), /* ON_PENDING */
      psci('cpu_on', 3), /* vCPU 0 (the caller): ALREADY_ON */
      psci('cpu_on', 4), /* no vCPU 2: INVALID_PARAMETERS */
      psci('cpu_off', 0),
      psci('affinity_info', 17), /* vCPU 0, level 0: OFF */
      psci('affinity_info', 3), /* vCPU 0, level 1: both vCPUs match, vCPU 1 ON_PENDING */
      psci('affinity_info', 7), /* level 4: INVALID_PARAMETERS */
    ];
    const { log, failure } = traceSequence(ops, { invariants: 'step', guestHvcAbi: 'android' });
    if (failure) throw failure;
    const r = log.filter((l) => l.includes('guest HVC PSCI')).map((l) => l.replace(/^.* → /, '').replace(/, 0x0, 0x0, 0x0/, ''));
    expect(r).toEqual([
      'x0..x3 = 1, back to the guest',
      'x0..x3 untouched, exit reporting PSCI CPU_ON',
      'x0..x3 = -5, back to the guest',
      'x0..x3 = 2, back to the guest',
      'x0..x3 = -4, back to the guest',
      'x0..x3 = -2, back to the guest',
      'x0..x3 untouched, exit reporting PSCI CPU_OFF',
      'x0..x3 = 1, back to the guest',
      'x0..x3 = 2, back to the guest',
      'x0..x3 = -2, back to the guest',
    ]);
  });

  it('guest hypercalls under both ABIs (model R12): upstream shares without an exit, has no RELINQUISH or MMIO guard; Android reports and guards', () => {
    const pvm = slot(0);
    const ops: Op[] = [
      { t: 'donate', pfn: { k: 'fuzz', i: 1 }, gfn: g(0x40000n), vm: pvm, prep: true, topup: true },
      { t: 'guest_hvc', fn: 'share', vm: pvm, gfn: g(0x40000n), bad: 'none' },
      { t: 'guest_hvc', fn: 'share', vm: pvm, gfn: g(0x40001n), bad: 'none' }, /* not mapped: a stage-2 fault for the host */
      { t: 'guest_hvc', fn: 'share', vm: pvm, gfn: g(0x50000n), bad: 'none' }, /* outside the declared memory */
      { t: 'guest_hvc', fn: 'unshare', vm: pvm, gfn: g(0x40000n), bad: 'x3' },
      { t: 'guest_hvc', fn: 'unshare', vm: pvm, gfn: g(0x40000n), bad: 'none' },
      { t: 'guest_hvc', fn: 'relinquish', vm: pvm, gfn: g(0x40000n), bad: 'none' },
      { t: 'guest_hvc', fn: 'guard_map', vm: pvm, gfn: g(0x9000n), bad: 'none' },
      { t: 'guest_hvc', fn: 'guard_unmap', vm: pvm, gfn: g(0x9000n), bad: 'none' },
      { t: 'guest_hvc', fn: 'features', vm: pvm, gfn: g(0n), bad: 'none' },
      { t: 'guest_hvc', fn: 'uid', vm: slot(1), gfn: g(0n), bad: 'none' },
      { t: 'guest_hvc', fn: 'meminfo', vm: slot(1), gfn: g(0n), bad: 'none' },
    ];
    const hvcs = (abi: 'upstream' | 'android'): string[] => {
      const { log, failure } = traceSequence(ops, { invariants: 'op', guestHvcAbi: abi });
      if (failure) throw failure;
      return log.filter((l) => l.includes('guest HVC')).map((l) => l.replace(/^.* → /, ''));
    };
    const ok = 'x0..x3 = 0, 0x0, 0x0, 0x0';
    const invalid = 'x0..x3 = -3, 0x0, 0x0, 0x0';
    expect(hvcs('upstream')).toEqual([
      `${ok}, back to the guest`,
      'x0..x3 untouched, exit to the host as a stage-2 fault on the IPA (HVC replayed)',
      'x0..x3 untouched, exit to the host as a stage-2 fault on the IPA (HVC replayed)',
      `${invalid}, back to the guest`,
      `${ok}, back to the guest`,
      'x0..x3 untouched, exit to the host with the HVC',
      'x0..x3 untouched, exit to the host with the HVC',
      'x0..x3 untouched, exit to the host with the HVC',
      'x0..x3 = 29, 0x0, 0x0, 0x0, back to the guest',
      'x0..x3 untouched, exit to the host with the HVC', /* non-protected: every HVC is the host's */
      'x0..x3 untouched, exit to the host with the HVC',
    ]);
    expect(hvcs('android')).toEqual([
      `${ok}, exit reporting MEM_SHARE`,
      'x0..x3 untouched, exit to the host as a stage-2 fault on the IPA (HVC replayed)',
      `${invalid}, back to the guest`,
      `${invalid}, back to the guest`,
      `${ok}, exit reporting MEM_UNSHARE`,
      `${ok}, exit reporting MEM_RELINQUISH`,
      `${ok}, back to the guest`,
      `${ok}, back to the guest`,
      'x0..x3 = 1021, 0x0, 0x0, 0x0, back to the guest',
      'x0..x3 untouched, exit to the host with the HVC',
      'x0..x3 = 4096, 0x0, 0x0, 0x0, back to the guest',
    ]);
  });

  it('catches a hyp whose state drifts from the model', () => {
    const ops: Op[] = [
      { t: 'share_hyp', pfn: { k: 'fuzz', i: 3 }, hint: false },
      { t: 'put' },
    ];
    const run = () => runSequence(ops, {
      invariants: 'step',
      /* Drop the hyp's borrow of fuzz#3 behind its back after the first operation. */
      tamper: (el2, i) => { if (i === 0) el2.pkvm.vmemmap.set_hyp_state(el2.pkvm.vmemmap.idx(0x4000_3000n), 3); },
    });
    expect(run).toThrow(FuzzFailure);
    expect(run).toThrow(/page 0x40003 \(fuzz#3\): host SHARED_OWNED \/ hyp NOPAGE, model host SHARED_OWNED \/ hyp SHARED_BORROWED/);
  });

  it('catches a guest stage-2 entry or a host annotation that drifts from the model', () => {
    /* A guest mapping whose write permission disappears behind the model's back. */
    const shared: Op[] = [
      { t: 'share', pfn: { k: 'fuzz', i: 1 }, gfn: g(0x40002n), nr: 1n, prot: 0xfn, vm: slot(1), prep: true, topup: true },
      { t: 'put' },
    ];
    const dropW = () => runSequence(shared, {
      invariants: 'op',
      tamper: (el2, i) => {
        if (i !== 0) return;
        const vm = el2.pkvm.get_vm_by_handle(0x1001)!;
        const { pte, level } = rawLeaf(el2.core, vm.pgt, 0x40002n << 12n)!;
        expect(level).toBe(3);
        /* the leaf's address: a 4 KiB leaf of the same walk */
        const table = rawTableOf(el2.core, vm.pgt, 0x40002n << 12n);
        el2.core.writePhysU64(table, pte & ~(1n << 7n));
      },
    });
    expect(dropW).toThrow(/slot 1 gfn 0x40002: SHARED_BORROWED pfn 0x40001 4K r-x, model SHARED_BORROWED pfn 0x40001 4K rwx/);
    /* A donated page whose host annotation names another gfn. */
    const donated: Op[] = [
      { t: 'donate', pfn: { k: 'fuzz', i: 2 }, gfn: g(0x40000n), vm: slot(0), prep: true, topup: true },
      { t: 'put' },
    ];
    const moveGfn = () => runSequence(donated, {
      invariants: 'op',
      tamper: (el2, i) => {
        if (i !== 0) return;
        const table = rawTableOf(el2.core, el2.pkvm.host_mmu.pgt, 0x4000_2000n);
        const pte = el2.core.readPhysU64(table);
        el2.core.writePhysU64(table, pte + (KVM_HOST_DONATION_PTE_EXTRA_MASK & -KVM_HOST_DONATION_PTE_EXTRA_MASK) * 0x10000n); /* gfn + 1 */
      },
    });
    expect(moveGfn).toThrow(/page 0x40002 \(fuzz#2\): host stage-2 annotation GUEST\(0x1000, gfn 0x4000[0-9a-f]+\), model GUEST\(0x1000, gfn 0x40000\)/);
  });

  it('DMA isolation: a page mapped for DMA cannot be donated until it is unmapped; DMA reaches only mapped pages', () => {
    const ops: Op[] = [
      { t: 'host_write', pa: { k: 'fuzz', i: 1 }, val: 0xd1n },
      { t: 'io_map', dom: { k: 'raw', v: 1 }, iova: { k: 'slot', i: 0 }, pfn: { k: 'fuzz', i: 1 }, pgsize: 0x1000n, pgcount: 1n, prot: 3n },
      { t: 'io_map', dom: { k: 'raw', v: 1 }, iova: { k: 'slot', i: 1 }, pfn: { k: 'fuzz', i: 2 }, pgsize: 0x1000n, pgcount: 1n, prot: 3n },
      { t: 'donate', pfn: { k: 'fuzz', i: 1 }, gfn: g(0x40000n), vm: slot(0), prep: true, topup: true },
      { t: 'dma', src: 8, dst: 10, len: 0x1000n }, /* slot 0 -> slot 4 (unmapped): stops at the write */
      { t: 'io_unmap', dom: { k: 'raw', v: 1 }, iova: { k: 'slot', i: 0 }, pgsize: 0x1000n, pgcount: 1n },
      { t: 'donate', pfn: { k: 'fuzz', i: 1 }, gfn: g(0x40000n), vm: slot(0), prep: true, topup: true },
      { t: 'io_map', dom: { k: 'raw', v: 1 }, iova: { k: 'slot', i: 0 }, pfn: { k: 'fuzz', i: 1 }, pgsize: 0x1000n, pgcount: 1n, prot: 3n },
    ];
    const { log, failure } = traceSequence(ops);
    if (failure) throw failure;
    const text = log.join('\n');
    expect(text).toMatch(/__pkvm_host_donate_guest\(pfn 0x40001 fuzz#1, gfn 0x40000\) → x0=0 x1=-EINVAL/);
    expect(text).toMatch(/copy 0x1000 bytes from 0x100000 to 0x104000 → status 2 done 0x0 stopped at 0x104000 \(write\)/);
    expect(text).toMatch(/__pkvm_host_donate_guest\(pfn 0x40001 fuzz#1, gfn 0x40000\) → x0=0 x1=0/);
    expect(text).toMatch(/map_pages\(domain 0x1, iova 0x100000, pa 0x40001 fuzz#1,.*→ mapped 0x0/);
  });

  it('a failing session reports its chunk seed, a shrunk counterexample and a replay command that reproduces it', async () => {
    /* A hyp that corrupts fuzz#3's share count once a sequence's third operation has run. */
    const tamper = (el2: HostedEl2, i: number): void => {
      if (i === 2) el2.pkvm.vmemmap.setShareCount(el2.pkvm.vmemmap.idx(0x4000_3000n), 7);
    };
    const r = await fuzz({ ...CLI_DEFAULTS, runs: 2500, seed: SEED, tamper });
    expect(r.failed).toBe(true);
    expect(r.failures).toHaveLength(1); /* no chunk starts after a failing one */
    expect(r.chunks).toBe(1);
    const f = r.failures[0]!;
    expect(f.seed).toBe(SEED); /* chunk 0 runs from the session seed */
    expect(f.report).toMatch(/Counterexample/);
    expect(f.stepsOfCounterexample).toMatch(/page 0x40003 \(fuzz#3\): host_share_guest_count 7, model 0/);
    /* shrunk to the shortest sequence the generator allows */
    expect(f.stepsOfCounterexample.match(/^ {2}\d+: /gm)).toHaveLength(CLI_DEFAULTS.minLen);
    expect(f.replay).toBe(`npm run fuzz -- --seed ${SEED} --path "${f.path}" --runs 1 --trace --min-len 5 --max-len 30 --invariants op --iommu hypercall --abi both`);
    const again = await fuzz({ ...CLI_DEFAULTS, runs: 1, seed: f.seed, path: f.path, tamper });
    expect(again.failures[0]?.stepsOfCounterexample).toBe(f.stepsOfCounterexample);
  }, 120_000);

  it(`${MIRROR_RUNS} random sequences on a board whose SMMU shares the host stage-2 (mirror mode)`, async () => {
    const r = await fuzz({ ...CLI_DEFAULTS, runs: MIRROR_RUNS, seed: SEED, iommu: 'mirror' });
    console.log(`fuzz (mirror): ${r.runs} sequences, ${r.steps} steps in ${r.seconds.toFixed(1)} s: ${r.sequencesPerSecond.toFixed(0)} sequences/s`);
    if (r.failed) throw new Error(`${r.report}\n\ncounterexample, step by step:\n${r.stepsOfCounterexample}\n\nreplay: ${r.replay}`);
    expect(r.runs).toBe(MIRROR_RUNS);
  }, 300_000);

  it(`${RUNS} random sequences agree with the reference model and keep the invariants`, async () => {
    /*
     * One fuzz session (chunks of 1000 sequences, each a fast-check run with its own seed and
     * shrinking) on WORKERS worker threads of a child process; every machine is booted once and
     * restored before each sequence (snapshot.ts, proved complete by snapshot.test.ts).
     */
    const r = await session(RUNS, SEED, WORKERS);
    console.log(`fuzz: ${r.runs} sequences (${r.chunks} chunks on ${r.workers} worker threads, seed ${SEED}), ${r.steps} steps, ` +
      `${r.checks} invariant checks in ${r.seconds.toFixed(1)} s (${r.cpuSeconds.toFixed(1)} s CPU): ${r.sequencesPerSecond.toFixed(0)} sequences/s`);
    for (const f of r.failures) throw new Error(`${f.report}\n\ncounterexample, step by step:\n${f.stepsOfCounterexample}\n\nreplay: ${f.replay}`);
    expect(r.failed).toBe(false);
    expect(r.runs).toBe(RUNS);
    expect(r.chunks).toBe(Math.ceil(RUNS / 1000));
    expect(r.steps).toBeGreaterThan(r.runs * 5);
    expect(r.checks).toBeGreaterThan(r.runs * 5);
  }, 900_000);
});

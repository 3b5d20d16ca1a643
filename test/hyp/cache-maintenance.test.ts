/**
 * Cache maintenance where upstream does it (hyp/cache.ts): kvm_flush_dcache_to_poc() after
 * hyp_poison_page() zeroes a guest page going back to the host (reclaim of a dying VM's page, force
 * reclaim), and in __unmap_donated_memory() for every range of hyp memory donated back at teardown
 * (the VM and vCPU structs, the PGD, the page-table pages). Nothing is flushed while a page stays
 * where it is.
 */
import { describe, expect, it } from 'vitest';
import { Host, RAM_BASE, load, put } from './harness';
import { PAGE_SIZE } from '../../hyp/pgtable-defs';

function donated(): { host: Host; handle: number; page: bigint; gfn: bigint } {
  const host = new Host();
  const vm = host.createVm(true);
  load(host, vm);
  host.topup(vm, 0, 4);
  const page = RAM_BASE + 0x30_0000n;
  host.hyp.handleHostMemAbort(page);
  expect(host.call('__pkvm_host_donate_guest', page >> 12n, 0x8_0000n)).toBe(0);
  put(host);
  return { host, handle: vm.handle, page, gfn: 0x8_0000n };
}

describe('kvm_flush_dcache_to_poc where upstream cleans memory it returns', () => {
  it('creating a VM and donating a page flush nothing', () => {
    const { host } = donated();
    expect(host.hyp.cmo).toEqual({ flush_dcache_to_poc: 0, bytes: 0n });
  });

  it('reclaiming a dying VM\'s page: zeroed and cleaned, one page at its address', () => {
    const { host, handle, page, gfn } = donated();
    const seen: [bigint, bigint][] = [];
    host.hyp.onCacheMaintenance = (pa, size) => seen.push([pa, size]);
    expect(host.call('__pkvm_start_teardown_vm', handle)).toBe(0);
    expect(host.call('__pkvm_reclaim_dying_guest_page', handle, gfn)).toBe(0);
    expect(seen).toEqual([[page, PAGE_SIZE]]);
    expect(host.mem.readU64(page)).toBe(0n);
  });

  it('force reclaim of a guest page (poison): cleaned once', () => {
    const { host, page } = donated();
    expect(host.call('__pkvm_force_reclaim_guest_page', page)).toBe(0);
    expect(host.hyp.cmo.flush_dcache_to_poc).toBe(1);
    expect(host.hyp.cmo.bytes).toBe(PAGE_SIZE);
  });

  it('finalize teardown cleans each range of hyp memory before donating it back (__unmap_donated_memory)', () => {
    const { host, handle, gfn } = donated();
    expect(host.call('__pkvm_start_teardown_vm', handle)).toBe(0);
    expect(host.call('__pkvm_reclaim_dying_guest_page', handle, gfn)).toBe(0);
    const before = { ...host.hyp.cmo };
    const seen: bigint[] = [];
    host.hyp.onCacheMaintenance = (_pa, size) => seen.push(size);
    expect(host.call('__pkvm_finalize_teardown_vm', handle)).toBe(0);
    expect(host.hyp.cmo.flush_dcache_to_poc).toBeGreaterThan(before.flush_dcache_to_poc);
    // Every byte the hyp donated back to the host was cleaned: the bytes flushed equal the pages
    // whose hyp state went from OWNED back to NOPAGE (the VM, its vCPU, the PGD, table pages).
    const flushed = seen.reduce((a, b) => a + b, 0n);
    expect(flushed % PAGE_SIZE).toBe(0n);
    expect(flushed).toBeGreaterThanOrEqual(3n * PAGE_SIZE);
    host.check();
  });
});

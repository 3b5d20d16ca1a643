/** Host <-> hyp transitions and the lazy host stage-2. Invariants are checked after every step. */
import { describe, expect, it } from 'vitest';
import { CARVEOUT, Host, MMIO_PFN, RAM_BASE, RAM_SIZE } from './harness';
import {
  EBUSY, EEXIST, EINVAL, EPERM, PKVM_ID_HYP, PKVM_NOPAGE, PKVM_PAGE_OWNED, PKVM_PAGE_SHARED_BORROWED,
  PKVM_PAGE_SHARED_OWNED,
} from '../../hyp/page-state';
import {
  __pkvm_host_donate_hyp, __pkvm_hyp_donate_host, hyp_pin_shared_mem, hyp_unpin_shared_mem,
} from '../../hyp/mem-protect';
import { kvm_pgtable_get_leaf } from '../../hyp/pgtable';
import { ArrayPhysMem, Pkvm } from '../../hyp/index';
import { FIELD_GET, KVM_HOST_DONATION_PTE_OWNER_MASK, PAGE_SIZE, kvm_pte_valid } from '../../hyp/pgtable-defs';

const states = (host: Host, pa: bigint) => {
  const i = host.hyp.vmemmap.idx(pa);
  return [host.hyp.vmemmap.get_host_state(i), host.hyp.vmemmap.get_hyp_state(i)];
};
const leaf = (host: Host, pa: bigint) => kvm_pgtable_get_leaf(host.hyp.host_mmu.pgt, pa);

describe('boot', () => {
  it('carve-out is hyp-owned and annotated, the rest host-owned and unmapped', () => {
    const host = new Host();
    expect(states(host, CARVEOUT.base + PAGE_SIZE)).toEqual([PKVM_NOPAGE, PKVM_PAGE_OWNED]);
    const a = leaf(host, CARVEOUT.base + PAGE_SIZE);
    expect(a.level).toBe(3);
    expect(kvm_pte_valid(a.pte)).toBe(false);
    expect(a.pte >> 60n).toBe(2n); /* KVM_HOST_INVALID_PTE_TYPE_DONATION */
    expect(FIELD_GET(KVM_HOST_DONATION_PTE_OWNER_MASK, a.pte)).toBe(BigInt(PKVM_ID_HYP));
    expect(states(host, RAM_BASE)).toEqual([PKVM_PAGE_OWNED, PKVM_NOPAGE]);
    expect(leaf(host, RAM_BASE).pte).toBe(0n);
    host.check();
  });

  it('rejects a bad carve-out with a clear error', () => {
    const mem = new ArrayPhysMem(RAM_BASE, RAM_SIZE);
    expect(() => new Pkvm(mem, { base: RAM_BASE + 0x800n, size: PAGE_SIZE }, 1, 1)).toThrow(RangeError);
    expect(() => new Pkvm(mem, { base: RAM_BASE + RAM_SIZE, size: PAGE_SIZE }, 1, 1)).toThrow(RangeError);
    expect(() => new Pkvm(mem, { base: RAM_BASE, size: PAGE_SIZE }, 1, 1)).toThrow(/too small/);
  });
});

describe('host_stage2_idmap (host aborts)', () => {
  it('maps the largest free block around a host page, RWX', () => {
    const host = new Host();
    expect(host.hyp.handleHostMemAbort(RAM_BASE + 0x1234n)).toBe(0);
    const l = leaf(host, RAM_BASE + 0x1000n);
    expect(l.level).toBe(2); /* a 2 MiB block: 1 GiB does not fit in RAM */
    expect(l.pte & 0xffff_ffe0_0000n).toBe(RAM_BASE);
    expect(Number((l.pte >> 53n) & 3n)).toBe(0); /* executable */
    expect(host.hyp.handleHostMemAbort(RAM_BASE + 0x5000n)).toBe(-EEXIST);
    host.check();
  });

  it('maps pages next to the carve-out, refuses annotated pages, maps MMIO RW/XN as a block', () => {
    const host = new Host();
    expect(host.hyp.handleHostMemAbort(CARVEOUT.base - PAGE_SIZE)).toBe(0);
    expect(leaf(host, CARVEOUT.base - PAGE_SIZE).level).toBe(2); /* the 2 MiB below is all host's */
    expect(host.hyp.handleHostMemAbort(CARVEOUT.base)).toBe(-EPERM);
    expect(host.hyp.handleHostMemAbort(0x0900_0000n)).toBe(0);
    const l = leaf(host, 0x0900_0000n);
    expect(l.level).toBe(1); /* [0, 1 GiB) is all MMIO/hole */
    expect(Number((l.pte >> 53n) & 3n)).toBe(2);
    expect(Number((l.pte >> 6n) & 3n)).toBe(3);
    host.check();
  });
});

describe('__pkvm_host_share_hyp / __pkvm_host_unshare_hyp', () => {
  it('shares, pins and unshares', () => {
    const host = new Host();
    const p = RAM_BASE + 0x10_0000n;
    host.hyp.handleHostMemAbort(p);
    expect(host.call('__pkvm_host_share_hyp', p >> 12n)).toBe(0);
    expect(states(host, p)).toEqual([PKVM_PAGE_SHARED_OWNED, PKVM_PAGE_SHARED_BORROWED]);
    expect(kvm_pte_valid(leaf(host, p).pte)).toBe(true); /* still host-mapped */
    host.check();
    expect(host.call('__pkvm_host_share_hyp', p >> 12n)).toBe(-EPERM);
    expect(hyp_pin_shared_mem(host.hyp, p + 8n, p + 16n)).toBe(0);
    expect(host.call('__pkvm_host_unshare_hyp', p >> 12n)).toBe(-EBUSY);
    hyp_unpin_shared_mem(host.hyp, p + 8n, p + 16n);
    expect(host.call('__pkvm_host_unshare_hyp', p >> 12n)).toBe(0);
    expect(states(host, p)).toEqual([PKVM_PAGE_OWNED, PKVM_NOPAGE]);
    expect(host.call('__pkvm_host_unshare_hyp', p >> 12n)).toBe(-EPERM);
    host.check();
  });

  it('refuses MMIO, hyp-owned and out-of-range pages', () => {
    const host = new Host();
    expect(host.call('__pkvm_host_share_hyp', MMIO_PFN)).toBe(-EPERM);
    expect(host.call('__pkvm_host_share_hyp', CARVEOUT.base >> 12n)).toBe(-EPERM);
    expect(host.call('__pkvm_host_share_hyp', 1n << 60n)).toBe(-EPERM);
    expect(host.call('__pkvm_host_unshare_hyp', MMIO_PFN)).toBe(-EPERM);
    expect(hyp_pin_shared_mem(host.hyp, RAM_BASE, RAM_BASE + PAGE_SIZE)).toBe(-EPERM);
    host.check();
  });
});

describe('__pkvm_host_donate_hyp / __pkvm_hyp_donate_host', () => {
  it('donates a range to the hyp and back', () => {
    const host = new Host();
    const hyp = host.hyp;
    const p = RAM_BASE + 0x20_0000n;
    hyp.handleHostMemAbort(p); /* a 2 MiB host block, split by the donation */
    expect(__pkvm_host_donate_hyp(hyp, p >> 12n, 3n)).toBe(0);
    for (let i = 0n; i < 3n; i++) expect(states(host, p + i * PAGE_SIZE)).toEqual([PKVM_NOPAGE, PKVM_PAGE_OWNED]);
    expect(hyp.handleHostMemAbort(p + PAGE_SIZE)).toBe(-EPERM);
    expect(hyp.handleHostMemAbort(p + 3n * PAGE_SIZE)).toBe(0);
    expect(leaf(host, p + 3n * PAGE_SIZE).level).toBe(3);
    host.check(false);
    expect(__pkvm_host_donate_hyp(hyp, p >> 12n, 1n)).toBe(-EPERM);
    expect(__pkvm_hyp_donate_host(hyp, p >> 12n, 3n)).toBe(0);
    expect(states(host, p + 2n * PAGE_SIZE)).toEqual([PKVM_PAGE_OWNED, PKVM_NOPAGE]);
    expect(kvm_pte_valid(leaf(host, p).pte)).toBe(true);
    expect(__pkvm_hyp_donate_host(hyp, p >> 12n, 1n)).toBe(-EPERM);
    host.check();
  });

  it('checks pfn ranges for overflow and memory/MMIO mixes', () => {
    const host = new Host();
    const hyp = host.hyp;
    expect(__pkvm_host_donate_hyp(hyp, 1n << 28n, 1n)).toBe(-EINVAL); /* beyond the 40-bit PA range */
    expect(__pkvm_host_donate_hyp(hyp, RAM_BASE >> 12n, (1n << 64n) - 1n)).toBe(-EINVAL);
    const lastPfn = (RAM_BASE + RAM_SIZE) >> 12n;
    expect(__pkvm_host_donate_hyp(hyp, lastPfn - 1n, 2n)).toBe(-EINVAL); /* RAM + hole */
    expect(__pkvm_host_donate_hyp(hyp, MMIO_PFN, 1n)).toBe(-EPERM);
    expect(__pkvm_hyp_donate_host(hyp, 1n << 28n, 1n)).toBe(-EINVAL);
    host.check();
  });
});

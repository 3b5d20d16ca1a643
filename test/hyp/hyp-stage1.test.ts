/**
 * The hyp's EL2 stage-1 (hyp/hyp-stage1.ts, hyp/hyp-mm.ts): descriptor contents per the Arm ARM
 * (D8.3: stage-1 block/page descriptors, the EL2 regime with one privilege level) for upstream's
 * PAGE_HYP / PAGE_HYP_RO / PAGE_HYP_EXEC / PAGE_HYP_DEVICE, read by an independent walker written
 * here from the VMSAv8-64 rules; the same tables walked by the core's own EL2 stage-1 walker; and
 * the mapping rules of the newest mem_protect.c (donate maps, donate back unmaps, pin maps, share
 * does not), shown by the hyp failing to read a page it has not mapped.
 */
import { describe, expect, it } from 'vitest';
import { Host, expectOk } from './harness';
import { HypPanic, EINVAL } from '../../hyp/page-state';
import {
  PAGE_HYP, PAGE_HYP_DEVICE, PAGE_HYP_EXEC, PAGE_HYP_RO, hyp_set_prot_attr, kvm_pgtable_hyp_map,
} from '../../hyp/hyp-stage1';
import { KVM_PGTABLE_PROT_R, KVM_PGTABLE_PROT_W, KVM_PGTABLE_PROT_X } from '../../hyp/pgtable-defs';
import { hyp_pin_shared_mem, hyp_unpin_shared_mem } from '../../hyp/mem-protect';
import { Pkvm } from '../../hyp/index';
import { CorePhysMem } from '../../hyp/core-phys-mem';
import { SR, MMU_EL2 } from '../../machine/core';
import { makeCore, RAM } from '../mmu/pt';

/** An independent VMSAv8-64 4 KiB-granule walk from a level-0 table (T0SZ = 16). */
function walk(read: (pa: bigint) => bigint, root: bigint, va: bigint): { desc: bigint; level: number } | null {
  let table = root;
  for (let level = 0; level <= 3; level++) {
    const shift = BigInt(39 - 9 * level);
    const desc = read(table + ((va >> shift) & 0x1ffn) * 8n);
    if ((desc & 1n) === 0n) return null; /* invalid */
    if (level === 3) return (desc & 2n) ? { desc, level } : null; /* bit 1 clear at level 3: reserved */
    if ((desc & 2n) === 0n) return level === 0 ? null : { desc, level }; /* block (none at level 0) */
    table = desc & 0x0000_ffff_ffff_f000n;
  }
  return null;
}

const field = (d: bigint, hi: number, lo: number): bigint => (d >> BigInt(lo)) & ((1n << BigInt(hi - lo + 1)) - 1n);

describe('hyp stage-1 descriptors (Arm ARM D8.3)', () => {
  it('a page donated to the hyp is a level-3 page descriptor with PAGE_HYP attributes', () => {
    const h = new Host();
    const p = h.alloc();
    expectOk(h.call('__pkvm_hyp_alloc_mgt_refill', 0, p, 1), 'refill'); /* __pkvm_host_donate_hyp of p */
    const w = walk((a) => h.mem.readU64(a), h.hyp.mm.pgt.pgd!, p)!;
    expect(w.level).toBe(3);
    const d = w.desc;
    expect(field(d, 1, 0)).toBe(3n); /* valid page */
    expect(field(d, 47, 12) << 12n).toBe(p); /* OA: the identity linear map */
    expect(field(d, 4, 2)).toBe(0n); /* AttrIndx = MT_NORMAL */
    expect(field(d, 7, 6)).toBe(1n); /* AP[2:1] = 0b01: read/write (AP[1] RES1 at EL2) */
    expect(field(d, 9, 8)).toBe(3n); /* SH = Inner Shareable */
    expect(field(d, 10, 10)).toBe(1n); /* AF */
    expect(field(d, 11, 11)).toBe(0n); /* nG */
    expect(field(d, 54, 54)).toBe(1n); /* XN */
    expect(field(d, 53, 53)).toBe(0n); /* RES0 in a one-range regime */
    expect(field(d, 63, 55)).toBe(0n); /* no software bits */
  });

  it('PAGE_HYP_RO, PAGE_HYP_EXEC, PAGE_HYP_DEVICE; refused combinations are -EINVAL', () => {
    const attr = (prot: bigint): bigint => hyp_set_prot_attr(prot).attr;
    expect(field(attr(PAGE_HYP_RO), 7, 6)).toBe(3n); /* AP[2] = 1: read-only */
    expect(field(attr(PAGE_HYP_RO), 54, 54)).toBe(1n);
    expect(field(attr(PAGE_HYP_EXEC), 7, 6)).toBe(3n);
    expect(field(attr(PAGE_HYP_EXEC), 54, 54)).toBe(0n); /* executable */
    expect(field(attr(PAGE_HYP_DEVICE), 4, 2)).toBe(4n); /* AttrIndx = MT_DEVICE_nGnRE */
    expect(field(attr(PAGE_HYP_DEVICE), 7, 6)).toBe(1n);
    expect(field(attr(PAGE_HYP_DEVICE), 54, 54)).toBe(1n);
    for (const bad of [KVM_PGTABLE_PROT_W, KVM_PGTABLE_PROT_R | KVM_PGTABLE_PROT_W | KVM_PGTABLE_PROT_X,
      PAGE_HYP_DEVICE | KVM_PGTABLE_PROT_X, 0n])
      expect(hyp_set_prot_attr(bad).ret).toBe(-EINVAL);
    expect(hyp_set_prot_attr(PAGE_HYP).ret).toBe(0);
  });

  it('the core\'s own EL2 stage-1 walker agrees: mapped pages translate, RO refuses writes, XN refuses fetches, unmapped faults', () => {
    const core = makeCore();
    const mem = new CorePhysMem(core);
    const hyp = new Pkvm(mem, { base: RAM + (60n << 20n), size: 4n << 20n }, 2, 2);
    const pgt = hyp.mm.pgt;
    core.setSysreg(SR.TTBR0_EL2, pgt.pgd!);
    core.setSysreg(SR.TCR_EL2, 16n | (5n << 16n) | (1n << 31n) | (1n << 23n)); /* T0SZ 16, PS 48 bits */
    core.setSysreg(SR.SCTLR_EL2, 0x30c50831n); /* M */
    const rw = RAM + 0x10_0000n, ro = RAM + 0x10_1000n, x = RAM + 0x10_2000n;
    expect(kvm_pgtable_hyp_map(pgt, rw, 0x1000n, rw, PAGE_HYP)).toBe(0);
    expect(kvm_pgtable_hyp_map(pgt, ro, 0x1000n, ro, PAGE_HYP_RO)).toBe(0);
    expect(kvm_pgtable_hyp_map(pgt, x, 0x1000n, x, PAGE_HYP_EXEC)).toBe(0);
    const pa = (va: bigint, acc: 'r' | 'w' | 'x'): bigint | string => {
      const r = core.walk(va, acc, MMU_EL2);
      return 'pa' in r ? r.pa : `fault ${r.fault.type} level ${r.fault.level}`;
    };
    expect(pa(rw + 8n, 'r')).toBe(rw + 8n);
    expect(pa(rw, 'w')).toBe(rw);
    expect(pa(rw, 'x')).toBe('fault 3 level 3'); /* XN: permission fault */
    expect(pa(ro, 'r')).toBe(ro);
    expect(pa(ro, 'w')).toBe('fault 3 level 3');
    expect(pa(x, 'x')).toBe(x);
    expect(pa(x, 'w')).toBe('fault 3 level 3');
    expect(pa(RAM + 0x10_3000n, 'r')).toBe('fault 1 level 3'); /* translation fault: same L3 table, no entry */
    expect(pa(RAM + 60n * 0x10_0000n, 'w')).toBe(RAM + 60n * 0x10_0000n); /* the carve-out is mapped RW */
    /* the hyp's own translation agrees with the core's for every case */
    expect(hyp.mm.translate(rw + 8n, true)).toBe(rw + 8n);
    expect(() => hyp.mm.translate(ro, true)).toThrow(/permission fault/);
    expect(() => hyp.mm.translate(RAM + 0x10_3000n, false)).toThrow(/translation fault/);
  });
});

describe('what the hyp can read (newest mem_protect.c mapping rules)', () => {
  it('a host page is unreadable at EL2; donated it becomes readable; donated back it is not', () => {
    const h = new Host();
    const p = h.alloc();
    h.mem.writeU64(p, 0x1122n);
    expect(() => h.hyp.mm.readU64(p)).toThrow(HypPanic);
    expect(() => h.hyp.mm.readU64(p)).toThrow(/translation fault \(read\) at VA 0x/);
    expectOk(h.call('__pkvm_hyp_alloc_mgt_refill', 0, p, 1), 'refill');
    expect(h.hyp.mm.readU64(p)).toBe(0n); /* the memcache link (end of list): the hyp wrote it through its map */
    const r = h.hvc('__pkvm_hyp_alloc_mgt_reclaim', 0n, 1n);
    expect(r.frame[1]).toBe(p);
    expect(() => h.hyp.mm.readU64(p)).toThrow(HypPanic); /* the TLB entry went with the unmap's TLBI */
  });

  it('a page shared with the hyp is mapped only while pinned; unshare is refused while pinned', () => {
    const h = new Host();
    const p = h.alloc();
    expectOk(h.call('__pkvm_host_share_hyp', p >> 12n), 'share');
    expect(h.hyp.mm.is_mapped(p)).toBe(false);
    expect(() => h.hyp.mm.readU64(p)).toThrow(HypPanic);
    expect(hyp_pin_shared_mem(h.hyp, p, p + 0x1000n)).toBe(0);
    expect(hyp_pin_shared_mem(h.hyp, p, p + 0x1000n)).toBe(0);
    h.mem.writeU64(p + 16n, 0xabcn);
    expect(h.hyp.mm.readU64(p + 16n)).toBe(0xabcn);
    hyp_unpin_shared_mem(h.hyp, p, p + 0x1000n);
    expect(h.hyp.mm.readU64(p + 16n)).toBe(0xabcn); /* one reference left: still mapped */
    hyp_unpin_shared_mem(h.hyp, p, p + 0x1000n);
    expect(() => h.hyp.mm.readU64(p + 16n)).toThrow(HypPanic);
    expectOk(h.call('__pkvm_host_unshare_hyp', p >> 12n), 'unshare');
  });

  it('a VM\'s host struct kvm is readable at EL2 between init_vm and finalize_teardown (pinned), not after', () => {
    const h = new Host();
    const vm = h.createVm(false, 1);
    expect(h.hyp.mm.is_mapped(vm.kvm)).toBe(true);
    expect(h.hyp.mm.is_mapped(vm.vcpus[0]!)).toBe(true);
    expectOk(h.call('__pkvm_start_teardown_vm', vm.handle), 'start');
    expectOk(h.call('__pkvm_finalize_teardown_vm', vm.handle), 'finalize');
    expect(h.hyp.mm.is_mapped(vm.kvm)).toBe(false);
    expect(h.hyp.mm.is_mapped(vm.vcpus[0]!)).toBe(false);
  });

  it('a guest page is reached only through the fixmap, which is empty afterwards', () => {
    const h = new Host();
    const g = h.alloc();
    const va = h.hyp.mm.hyp_fixmap_map(g + 0x10n);
    expect(va & 0xfffn).toBe(0x10n);
    h.hyp.mm.writeU64(va, 5n);
    expect(h.mem.readU64(g + 0x10n)).toBe(5n);
    h.hyp.mm.hyp_fixmap_unmap();
    expect(() => h.hyp.mm.readU64(va)).toThrow(HypPanic);
    expect(() => h.hyp.mm.readU64(g)).toThrow(HypPanic);
  });

  it('hyp stage-1 tables are returned to the carve-out pool when their last entry goes', () => {
    const h = new Host();
    const free0 = h.hyp.host_s2_pool.free_pages();
    /* a VA in another level-0 slot than anything mapped: needs new level-1, -2 and -3 tables */
    const far = 1n << 39n;
    expect(kvm_pgtable_hyp_map(h.hyp.mm.pgt, far, 0x1000n, 0x4000_0000n, PAGE_HYP)).toBe(0);
    expect(h.hyp.host_s2_pool.free_pages()).toBe(free0 - 3);
    expect(h.hyp.mm.kvm_pgtable_hyp_unmap(far, 0x1000n)).toBe(0x1000n);
    expect(h.hyp.host_s2_pool.free_pages()).toBe(free0);
  });
});

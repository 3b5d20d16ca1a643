/**
 * The page-table walker's one-page fast path (pgtable.ts: leaf-only walks jump to the leaf through
 * PhysMem.descend; pgtable-stage2.ts: one-page maps skip TABLE_PRE) must leave exactly what the
 * level-by-level walk leaves: the same results, the same descriptors, the same refcounts. And the
 * core's descent (core-as/pgtable-descend.ts) must find the entry the walk would visit.
 */
import { describe, expect, it } from 'vitest';
import { ArrayPhysMem } from '../../hyp/phys-mem';
import { HypVmemmap } from '../../hyp/vmemmap';
import { poolMmOps } from './pool-mm-ops';
import { HypPool, hyp_pool_init } from '../../hyp/pool';
import { KvmPgtable, __kvm_pgtable_stage2_init, kvm_pgtable_get_leaf } from '../../hyp/pgtable';
import {
  kvm_pgtable_stage2_annotate, kvm_pgtable_stage2_map, kvm_pgtable_stage2_relax_perms, kvm_pgtable_stage2_unmap,
  kvm_pgtable_stage2_wrprotect,
} from '../../hyp/pgtable-stage2';
import {
  KVM_GUEST_INVALID_PTE_TYPE_POISONED, KVM_HOST_INVALID_PTE_TYPE_DONATION, KVM_PGTABLE_PROT_R, KVM_PGTABLE_PROT_RW,
  KVM_PGTABLE_PROT_RWX, PAGE_SIZE, pkvm_mkstate,
} from '../../hyp/pgtable-defs';
import { kvm_get_vtcr } from '../../hyp/vtcr';
import { PKVM_PAGE_OWNED, PKVM_PAGE_SHARED_OWNED } from '../../hyp/page-state';
import { Core } from '../../machine/core';
import { pgtable_descend } from '../../hyp/pgtable-descend';

const BASE = 0x4000_0000n;
const RAM = 8n << 20n;

/** The walk's own descent, level by level (kvm_pte_table: valid, bit 1 set, above level 3). */
function descendByLevels(mem: ArrayPhysMem, table: bigint, level: number, addr: bigint): { ptep: bigint; level: number } | null {
  let t = table & 0xffff_ffff_f000n;
  for (let l = level; ; l++) {
    const ptep = t | (((addr >> BigInt(39 - 9 * l)) & 511n) << 3n);
    if (!mem.isMemory(ptep)) return null;
    const pte = mem.readU64(ptep);
    if (l === 3 || (pte & 3n) !== 3n) return { ptep, level: l };
    t = pte & 0xffff_ffff_f000n;
  }
}

/** RAM with the walker's accelerator (pgtable-descend.ts over the same bytes). */
class DescendingMem extends ArrayPhysMem {
  descendN(table: number, level: number, addr: number): number {
    return pgtable_descend(this.ramView(), Number(this.ramBase), Number(this.ramSize) - 8, table, level, addr);
  }
}

function setup(withDescend: boolean, ipaBits: number) {
  const mem = withDescend ? new DescendingMem(BASE, RAM) : new ArrayPhysMem(BASE, RAM);
  const vmemmap = new HypVmemmap(BASE, RAM);
  const pool = new HypPool(mem, vmemmap);
  hyp_pool_init(pool, (BASE + (4n << 20n)) >> 12n, 1024, 0);
  const flushes: string[] = [];
  const pgt = new KvmPgtable(mem, poolMmOps(pool, vmemmap), {
    vmid: 3, vtcr: kvm_get_vtcr(ipaBits),
    tlb: {
      flush_vmid_ipa: (_v, ipa, level) => flushes.push(`ipa ${ipa} ${level}`),
      flush_vmid_range: (_v, a, s) => flushes.push(`range ${a} ${s}`),
      flush_vmid: () => flushes.push('vmid'), flush_vm_context: () => flushes.push('all'),
    },
  });
  expect(__kvm_pgtable_stage2_init(pgt, 0, null)).toBe(0);
  return { mem, vmemmap, pgt, flushes, mc: pool };
}

/** A deterministic PRNG (xorshift32). */
function rng(seed: number): (n: number) => number {
  let s = seed >>> 0 || 1;
  return (n) => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s % n; };
}

describe('one-page walks through PhysMem.descend', () => {
  it.each([[1, 40], [2, 36], [3, 44], [4, 48], [5, 32]])('seed %i, %i-bit IPA: same results, descriptors, refcounts and TLB maintenance as the level-by-level walk', (seed, ipaBits) => {
    const a = setup(false, ipaBits), b = setup(true, ipaBits);
    const r = rng(seed * 7919);
    // A few 2 MiB regions in the low and high halves of the IPA space, so pages share tables,
    // blocks get split, and concatenated start-level tables are used.
    const regions = [0n, 0x20_0000n, 0x4000_0000n, (1n << BigInt(ipaBits - 1)) + 0x60_0000n];
    const pageIpa = () => regions[r(regions.length)]! + BigInt(r(512)) * PAGE_SIZE;
    const ops: Array<(t: ReturnType<typeof setup>) => unknown> = [];
    for (let i = 0; i < 1500; i++) {
      const ipa = pageIpa();
      const phys = BASE + BigInt(r(1024)) * PAGE_SIZE;
      switch (r(9)) {
        case 0: case 1: {
          const prot = pkvm_mkstate([KVM_PGTABLE_PROT_RWX, KVM_PGTABLE_PROT_RW, KVM_PGTABLE_PROT_R][r(3)]!, [PKVM_PAGE_OWNED, PKVM_PAGE_SHARED_OWNED][r(2)]!);
          ops.push((t) => kvm_pgtable_stage2_map(t.pgt, ipa, PAGE_SIZE, phys, prot, t.mc, 0));
          break;
        }
        case 2: { // a whole 2 MiB range: block or table-to-block (the level-by-level path)
          const base = ipa & ~0x1f_ffffn;
          ops.push((t) => kvm_pgtable_stage2_map(t.pgt, base, 2n << 20n, BASE + (2n << 20n), KVM_PGTABLE_PROT_RWX, t.mc, 0));
          break;
        }
        case 3: {
          const type = r(2) ? KVM_GUEST_INVALID_PTE_TYPE_POISONED : KVM_HOST_INVALID_PTE_TYPE_DONATION;
          const annotation = BigInt(r(256)) << 4n;
          ops.push((t) => kvm_pgtable_stage2_annotate(t.pgt, ipa, PAGE_SIZE, t.mc, type, annotation));
          break;
        }
        case 4: ops.push((t) => kvm_pgtable_stage2_unmap(t.pgt, ipa, PAGE_SIZE)); break;
        case 5: ops.push((t) => kvm_pgtable_stage2_wrprotect(t.pgt, ipa, PAGE_SIZE)); break;
        case 6: ops.push((t) => kvm_pgtable_stage2_relax_perms(t.pgt, ipa, KVM_PGTABLE_PROT_RWX, 0)); break;
        case 7: ops.push((t) => kvm_pgtable_stage2_map(t.pgt, ipa, PAGE_SIZE, phys, KVM_PGTABLE_PROT_RWX, null, 0)); break; // no memcache
        default: {
          const at = ipa + BigInt(r(4096));
          ops.push((t) => { const l = kvm_pgtable_get_leaf(t.pgt, at); return `${l.ret} ${l.pte} ${l.level}`; });
        }
      }
    }
    // The same operations on both, one at a time.
    for (const op of ops) {
      const x = op(a), y = op(b);
      expect(y).toEqual(x);
    }
    expect(Buffer.compare(Buffer.from(b.mem.backing), Buffer.from(a.mem.backing))).toBe(0);
    expect(Buffer.compare(Buffer.from(b.vmemmap.raw), Buffer.from(a.vmemmap.raw))).toBe(0);
    expect(b.flushes).toEqual(a.flushes);
  });
});

/** Random descriptors over 64 table pages: tables pointing into them, blocks, pages, invalid entries, annotations, and table pointers outside RAM. */
function randomTables(mem: ArrayPhysMem, r: (n: number) => number): (i: number) => bigint {
  const tablePage = (i: number) => BASE + 0x10_0000n + BigInt(i) * PAGE_SIZE;
  for (let p = 0; p < 64; p++) {
    for (let e = 0; e < 512; e++) {
      let d: bigint;
      switch (r(6)) {
        case 0: case 1: d = tablePage(r(64)) | 3n; break;
        case 2: d = (BASE + BigInt(r(2048)) * PAGE_SIZE) | 0x401n; break; // block/page-like
        case 3: d = 0n; break;
        case 4: d = (BigInt(r(15) + 1) << 60n) | (BigInt(r(1 << 20)) << 4n); break; // annotation
        default: d = (r(2) ? 0x8000_0000_0000n : 0x1000n) | 3n; // table outside RAM
      }
      mem.writeU64(tablePage(p) + BigInt(e) * 8n, d);
    }
  }
  return tablePage;
}

describe('the one-page descents: core-as pgtableDescend and hyp pgtable_descend (Numbers over a DataView)', () => {
  it('find the entry the level-by-level descent finds (hyp: its address plus its level, -1 outside RAM), on random tables in core RAM', () => {
    const core = new Core(Number(RAM));
    const mem = new ArrayPhysMem(BASE, RAM, core.ram);
    const r = rng(4242);
    const tablePage = randomTables(mem, r);
    for (let i = 0; i < 20000; i++) {
      const table = tablePage(r(64));
      const level = r(4);
      const addr = (BigInt(r(1 << 30)) << 18n) ^ BigInt(r(1 << 30));
      const want = descendByLevels(mem, table, level, addr);
      expect(core.pgtableDescend(table, level, addr)).toEqual(want);
      const got = pgtable_descend(mem.ramView(), Number(BASE), Number(RAM) - 8, Number(table), level, Number(addr));
      expect(got).toBe(want === null ? -1 : Number(want.ptep) + want.level);
    }
  });

  it('takes the next table from descriptor bits 47:12 and the index from IA[47-9l:39-9l] (4 KiB granule)', () => {
    const mem = new ArrayPhysMem(BASE, RAM);
    const l0 = BASE + 0x1000n, l1 = BASE + 0x2000n, l2 = BASE + 0x3000n, l3 = BASE + 0x4000n;
    const ia = (5n << 39n) | (6n << 30n) | (7n << 21n) | (8n << 12n) | 0x123n;
    // Table descriptors carry attribute bits above 47 and in 11:2 (NSTable, APTable...): ignored for the address.
    mem.writeU64(l0 + 5n * 8n, (1n << 63n) | l1 | 3n);
    mem.writeU64(l1 + 6n * 8n, l2 | 0xc00n | 3n);
    mem.writeU64(l2 + 7n * 8n, l3 | 3n);
    mem.writeU64(l3 + 8n * 8n, 3n); // a page descriptor at level 3: bits 1:0 = 0b11, yet a leaf
    const d = (table: bigint, level: number) => pgtable_descend(mem.ramView(), Number(BASE), Number(RAM) - 8, Number(table), level, Number(ia));
    expect(d(l0, 0)).toBe(Number(l3 + 8n * 8n) + 3);
    expect(d(l1, 1)).toBe(Number(l3 + 8n * 8n) + 3);
    // A block descriptor (bits 1:0 = 0b01) at level 2 is where the descent stops.
    mem.writeU64(l2 + 7n * 8n, 0x4020_0000n | 1n);
    expect(d(l0, 0)).toBe(Number(l2 + 7n * 8n) + 2);
    // An invalid entry (bit 0 clear) at level 1 too.
    mem.writeU64(l1 + 6n * 8n, 2n);
    expect(d(l0, 0)).toBe(Number(l1 + 6n * 8n) + 1);
    // A table outside RAM: -1.
    mem.writeU64(l1 + 6n * 8n, 0x1000n | 3n);
    expect(d(l0, 0)).toBe(-1);
  });
});

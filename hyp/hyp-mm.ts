/**
 * The hyp's memory management at EL2 (arch/arm64/kvm/hyp/nvhe/mm.c): the hyp stage-1 (pkvm_pgtable,
 * hyp-stage1.ts) in pages of the carve-out, pkvm_create_mappings_locked() / pkvm_remove_mappings(),
 * the private VA range (pkvm_alloc_private_va_range(), pkvm_map_private_va_range(), pkvm_private_va_range_pa()), the per-CPU
 * fixmap (hyp_fixmap_map() / hyp_fixmap_unmap()), and the hyp's own loads and stores, which
 * translate through the stage-1 (with a TLB the unmaps invalidate) and end in hyp_panic() on a
 * translation or permission fault, as an EL2 data abort does at nVHE EL2.
 *
 * VA layout (the model's choice; upstream's linear map is PA + hyp_physvirt_offset with a random
 * tag): the linear map is the identity (hyp VA = PA, so the "hyp VAs" the model passes around are
 * physical addresses), the private range is [PRIVATE_VA_BASE, 2^48), the fixmap its first slots.
 *
 * What is mapped, as the newest upstream mem_protect.c does: the carve-out at init
 * (recreate_hyp_mappings()); a page donated to the hyp (__pkvm_host_donate_hyp()) until it is
 * donated back (__pkvm_hyp_donate_host()); a host-shared page while it is pinned
 * (hyp_pin_shared_mem() maps when the refcount becomes 1, hyp_unpin_shared_mem() unmaps when it
 * drops from 1); __pkvm_host_share_hyp() / unshare map nothing. Guest pages only through the fixmap.
 *
 * Pages the core's fault fast path donates to the hyp (memcache refills done in WASM,
 * core-as/pkvm-fast-*) are not mapped there: the first EL2 use of such a page (an access, or the
 * unmap of __pkvm_hyp_donate_host()) maps it then, as the deferred pkvm_create_mappings_locked()
 * of that donation (hyp_lazy_map_owned()). Only pages hyp_vmemmap records as hyp OWNED qualify.
 */
import type { PhysMem } from './phys-mem';
import type { HypPool } from './pool';
import type { HypVmemmap } from './vmemmap';
import type { KvmPgtable } from './pgtable';
import { EINVAL, ENOMEM, HypPanic, PKVM_PAGE_OWNED, WARN_ON } from './page-state';
import { KVM_PGTABLE_PROT_W, KVM_PGTABLE_WALK_LEAF, PAGE_MASK, PAGE_SIZE, kvm_init_valid_leaf_pte } from './pgtable-defs';
import { kvm_pgtable_walk } from './pgtable';
import {
  HYP_VA_BITS, PAGE_HYP, hyp_set_prot_attr, kvm_pgtable_hyp_init, kvm_pgtable_hyp_map, kvm_pgtable_hyp_translate,
  kvm_pgtable_hyp_unmap,
} from './hyp-stage1';

/** Start of the private VA range (top half of the 48-bit TTBR0_EL2 range). */
export const PRIVATE_VA_BASE = 1n << BigInt(HYP_VA_BITS - 1);
export const PRIVATE_VA_END = 1n << BigInt(HYP_VA_BITS);

export class HypMm {
  readonly pgt: KvmPgtable;
  /** Next free VA of the private range (hyp_alloc_private_va_range() bumps it). */
  private private_va_next = PRIVATE_VA_BASE;
  /** hyp_fixmap: one slot VA per CPU. */
  readonly fixmap_base: bigint[] = [];
  /**
   * The EL2 TLB: VA page number -> PA page number * 2 + 1 if writable (Numbers: VAs are below 2^48);
   * dropped by the unmaps' TLBI VAE2IS.
   */
  private readonly tlb = new Map<number, number>();
  /** The TLB entry used last (page number, -1 for none, and its entry), looked at before the map: the hyp's accesses come in runs on one page (a host struct kvm_vcpu). */
  private tlb_last_page = -1;
  private tlb_last_entry = 0;
  private tlb_get(pageN: number): number | undefined {
    if (pageN === this.tlb_last_page) return this.tlb_last_entry;
    const e = this.tlb.get(pageN);
    if (e !== undefined) {
      this.tlb_last_page = pageN;
      this.tlb_last_entry = e;
    }
    return e;
  }
  /** mem's Number-addressed u64 accessors, when it has them (CorePhysMem). */
  private readonly memN: { readU64At(pa: number): bigint; writeU64At(pa: number, v: bigint): void } | null;
  /** Deferred mappings made for fast-path donations (hyp_lazy_map_owned()). */
  lazy_maps = 0;

  constructor(readonly mem: PhysMem, readonly pool: HypPool, readonly vmemmap: HypVmemmap, nr_cpus: number) {
    const vmemmap_ = vmemmap;
    const m = mem as Partial<{ readU64At(pa: number): bigint; writeU64At(pa: number, v: bigint): void }>;
    this.memN = m.readU64At && m.writeU64At ? (m as { readU64At(pa: number): bigint; writeU64At(pa: number, v: bigint): void }) : null;
    const pgt = kvm_pgtable_hyp_init(mem, {
      zalloc_page: () => pool.hyp_alloc_pages(0),
      zalloc_pages_exact: () => pool.hyp_alloc_pages(0),
      get_page: (a) => pool.hyp_get_page(a),
      put_page: (a) => pool.hyp_put_page(a),
      page_count: (a) => vmemmap_.hyp_page_count(a),
    });
    if (!pgt) throw new RangeError('pkvm: carve-out too small for the hyp stage-1 PGD');
    this.pgt = pgt;
    for (let cpu = 0; cpu < nr_cpus; cpu++) {
      const r = this.pkvm_alloc_private_va_range(PAGE_SIZE);
      if (r.ret) throw new RangeError('pkvm: no private VA for the fixmap');
      this.fixmap_base.push(r.va);
      this.fixmap_slot.push(this.create_fixmap_slot(r.va));
    }
  }

  /** PTE address of each CPU's fixmap slot (its level-3 table kept alive by an extra reference). */
  private readonly fixmap_slot: bigint[] = [];

  /** create_fixmap_slot(): build the tables down to the slot's level-3 entry and keep them. */
  private create_fixmap_slot(va: bigint): bigint {
    if (kvm_pgtable_hyp_map(this.pgt, va, PAGE_SIZE, this.pgt.pgd!, PAGE_HYP))
      throw new RangeError('pkvm: carve-out too small for the hyp fixmap');
    let ptep = 0n;
    kvm_pgtable_walk(this.pgt, va, PAGE_SIZE, { flags: KVM_PGTABLE_WALK_LEAF, cb: (ctx) => { ptep = ctx.ptep; return 0; } });
    this.pool.hyp_get_page(ptep); /* the slot's table outlives its mapping */
    this.kvm_pgtable_hyp_unmap(va, PAGE_SIZE);
    return ptep;
  }

  /** TLBI VAE2IS for one leaf (level 3) or everything under a block/table entry. */
  private tlbi = (va: bigint, level: number): void => {
    if (level === 3) this.tlb.delete(Number(va >> 12n));
    else this.tlb.clear();
    this.tlb_last_page = -1;
  };

  /**
   * pkvm_create_mappings_locked(): map [from, to) of the linear map (VA = PA) page by page (upstream
   * calls kvm_pgtable_hyp_map() for each page: level-3 leaves only; one walk does the same here).
   */
  pkvm_create_mappings_locked(from: bigint, to: bigint, prot: bigint): number {
    const start = from & PAGE_MASK;
    const end = (to + PAGE_SIZE - 1n) & PAGE_MASK;
    if (end <= start) return 0;
    return kvm_pgtable_hyp_map(this.pgt, start, end - start, start, prot, true);
  }

  /** kvm_pgtable_hyp_unmap(&pkvm_pgtable, va, size): bytes unmapped. */
  kvm_pgtable_hyp_unmap(va: bigint, size: bigint): bigint {
    return kvm_pgtable_hyp_unmap(this.pgt, va, size, this.tlbi);
  }

  /**
   * pkvm_remove_mappings() (mm.c, kernel-patches/bpf 06b705e789ed): unmap [from, to) rounded out to
   * pages; WARN unless all of it was mapped.
   */
  pkvm_remove_mappings(from: bigint, to: bigint): void {
    WARN_ON(from > to, 'pkvm_remove_mappings: from > to');
    const end = (to + PAGE_SIZE - 1n) & PAGE_MASK;
    const start = from & PAGE_MASK;
    const size = end - start;
    WARN_ON(this.kvm_pgtable_hyp_unmap(start, size) !== size, 'pkvm_remove_mappings');
  }

  /** pkvm_alloc_private_va_range(): page-aligned VA space of the private range, or -ENOMEM. */
  pkvm_alloc_private_va_range(size: bigint): { ret: number; va: bigint } {
    const size_ = (size + PAGE_SIZE - 1n) & PAGE_MASK;
    const va = this.private_va_next;
    if (va + size_ > PRIVATE_VA_END) return { ret: -ENOMEM, va: 0n };
    this.private_va_next = va + size_;
    return { ret: 0, va };
  }

  /**
   * pkvm_map_private_va_range() (mm.c, kernel-patches/bpf 06b705e789ed): map [haddr, haddr + size)
   * of the allocated private range to phys, PAGE_HYP; -EINVAL if unaligned or outside what
   * pkvm_alloc_private_va_range() handed out; a failed map is unmapped again.
   */
  pkvm_map_private_va_range(haddr: bigint, phys: bigint, size: bigint): number {
    if ((haddr | phys | size) & (PAGE_SIZE - 1n)) return -EINVAL;
    if (haddr < PRIVATE_VA_BASE || haddr >= this.private_va_next) return -EINVAL;
    if (size > this.private_va_next - haddr) return -EINVAL;
    const ret = kvm_pgtable_hyp_map(this.pgt, haddr, size, phys, PAGE_HYP);
    if (ret) this.kvm_pgtable_hyp_unmap(haddr, size);
    return ret;
  }

  /**
   * pkvm_private_va_range_pa() (mm.c, kernel-patches/bpf 06b705e789ed): the PA behind a private VA
   * (WARN, i.e. hyp_panic, if it is not mapped).
   */
  pkvm_private_va_range_pa(va: bigint): bigint {
    const t = kvm_pgtable_hyp_translate(this.pgt, va);
    WARN_ON(t === null, `pkvm_private_va_range_pa: VA 0x${va.toString(16)} not mapped`);
    return t ? t.pa : va & (PAGE_SIZE - 1n);
  }

  /** hyp_fixmap_map(): map phys at this CPU's fixmap slot and return its VA. */
  hyp_fixmap_map(phys: bigint, cpu = 0): bigint {
    const va = this.fixmap_base[cpu]!;
    const ptep = this.fixmap_slot[cpu]!;
    /* The PTE is written directly (no refcount: the slot's table holds its own reference). */
    this.mem.writeU64(ptep, kvm_init_valid_leaf_pte(phys & PAGE_MASK, hyp_set_prot_attr(PAGE_HYP).attr, 3));
    return va + (phys & (PAGE_SIZE - 1n));
  }

  /** hyp_fixmap_unmap(): clear this CPU's slot (TLBI included). */
  hyp_fixmap_unmap(cpu = 0): void {
    this.mem.writeU64(this.fixmap_slot[cpu]!, 0n);
    this.tlbi(this.fixmap_base[cpu]!, 3);
  }

  /**
   * The deferred mapping of a page the core's fast path donated to the hyp: a hyp-OWNED page of
   * the linear map with no EL2 mapping is mapped now. False for anything else.
   */
  hyp_lazy_map_owned(va: bigint): boolean {
    if (va >= PRIVATE_VA_BASE || !this.vmemmap.has(va >> 12n)) return false;
    if (this.vmemmap.get_hyp_state(this.vmemmap.idx(va)) !== PKVM_PAGE_OWNED) return false;
    if (kvm_pgtable_hyp_translate(this.pgt, va)) return false;
    if (kvm_pgtable_hyp_map(this.pgt, va & PAGE_MASK, PAGE_SIZE, va & PAGE_MASK, PAGE_HYP)) return false;
    this.lazy_maps++;
    return true;
  }

  /** Translate a hyp VA for an access (TLB, then the walk); hyp_panic on a fault. */
  translate(va: bigint, write: boolean): bigint {
    return BigInt(this.translateN(va, write));
  }

  /** translate() with the PA as a Number (RAM lies below 2^53). */
  private translateN(va: bigint, write: boolean): number {
    const vaN = Number(va);
    const pageN = Math.floor(vaN / 4096);
    const e = va >= 0n && va < PRIVATE_VA_END ? this.tlb_get(pageN) : undefined;
    if (e !== undefined && (e & 1 || !write)) return Math.floor(e / 2) * 4096 + (vaN - pageN * 4096);
    return this.translateSlow(va, write, vaN, pageN, e);
  }

  /** translateN() of a VA below 2^48 given as a Number. */
  private translateVaN(vaN: number, write: boolean): number {
    const pageN = Math.floor(vaN / 4096);
    const e = this.tlb_get(pageN);
    if (e !== undefined && (e & 1 || !write)) return Math.floor(e / 2) * 4096 + (vaN - pageN * 4096);
    return this.translateSlow(BigInt(vaN), write, vaN, pageN, e);
  }

  private translateSlow(va: bigint, write: boolean, vaN: number, pageN: number, e: number | undefined): number {
    if (e === undefined) {
      const page = va & PAGE_MASK;
      let t = kvm_pgtable_hyp_translate(this.pgt, page);
      if (!t && this.hyp_lazy_map_owned(page)) t = kvm_pgtable_hyp_translate(this.pgt, page);
      if (!t) throw new HypPanic(`hyp data abort: EL2 stage-1 translation fault (${write ? 'write' : 'read'}) at VA 0x${va.toString(16)}`);
      e = Number(t.pa >> 12n) * 2 + (t.prot & KVM_PGTABLE_PROT_W ? 1 : 0);
      this.tlb.set(pageN, e);
    }
    if (write && !(e & 1)) throw new HypPanic(`hyp data abort: EL2 stage-1 permission fault (write) at VA 0x${va.toString(16)}`);
    return Math.floor(e / 2) * 4096 + (vaN - pageN * 4096);
  }

  /** True if the hyp can read va (no side effect besides the TLB fill). */
  is_mapped(va: bigint): boolean {
    return kvm_pgtable_hyp_translate(this.pgt, va) !== null;
  }

  /* ---- the hyp's loads and stores (each page of the access translated) ---- */
  /** readU64/writeU64 of a VA below 2^48 given as a Number. */
  readU64N(vaN: number): bigint {
    if (vaN < 0 || vaN >= 2 ** 48 || (vaN & 0xfff) > 0xff8) return this.readU64(BigInt(vaN));
    const pa = this.translateVaN(vaN, false);
    return this.memN ? this.memN.readU64At(pa) : this.mem.readU64(BigInt(pa));
  }
  writeU64N(vaN: number, v: bigint): void {
    if (vaN < 0 || vaN >= 2 ** 48 || (vaN & 0xfff) > 0xff8) return this.writeU64(BigInt(vaN), BigInt.asUintN(64, v));
    const pa = this.translateVaN(vaN, true);
    if (this.memN) this.memN.writeU64At(pa, v);
    else this.mem.writeU64(BigInt(pa), BigInt.asUintN(64, v));
  }
  readU64(va: bigint): bigint {
    if ((va & 7n) !== 0n && ((va + 7n) & PAGE_MASK) !== (va & PAGE_MASK)) return leU64(this.readBytes(va, 8));
    const pa = this.translateN(va, false);
    return this.memN ? this.memN.readU64At(pa) : this.mem.readU64(BigInt(pa));
  }
  writeU64(va: bigint, v: bigint): void {
    if ((va & 7n) !== 0n && ((va + 7n) & PAGE_MASK) !== (va & PAGE_MASK)) return this.writeBytes(va, u64Le(v));
    const pa = this.translateN(va, true);
    if (this.memN) this.memN.writeU64At(pa, v);
    else this.mem.writeU64(BigInt(pa), v);
  }
  readBytes(va: bigint, n: number): Uint8Array {
    const out = new Uint8Array(n);
    let done = 0;
    while (done < n) {
      const a = va + BigInt(done);
      const chunk = Math.min(n - done, Number(PAGE_SIZE - (a & (PAGE_SIZE - 1n))));
      out.set(this.mem.readBytes(this.translate(a, false), chunk), done);
      done += chunk;
    }
    return out;
  }
  writeBytes(va: bigint, b: Uint8Array): void {
    let done = 0;
    while (done < b.length) {
      const a = va + BigInt(done);
      const chunk = Math.min(b.length - done, Number(PAGE_SIZE - (a & (PAGE_SIZE - 1n))));
      this.mem.writeBytes(this.translate(a, true), b.subarray(done, done + chunk));
      done += chunk;
    }
  }
  memset0(va: bigint, n: number): void {
    this.writeBytes(va, new Uint8Array(n));
  }
}

function leU64(b: Uint8Array): bigint {
  let v = 0n;
  for (let i = 7; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
  return v;
}
function u64Le(v: bigint): Uint8Array {
  const b = new Uint8Array(8);
  for (let i = 0; i < 8; i++) b[i] = Number((v >> BigInt(8 * i)) & 0xffn);
  return b;
}

/**
 * PhysMem as the hyp reaches it: every access translated through the hyp stage-1 (for the host
 * structures EL2 reads: struct kvm / kvm_vcpu views in host-abi.ts). Addresses are linear-map VAs.
 */
export class HypVaPhysMem implements PhysMem {
  readonly ramBase: bigint;
  readonly ramSize: bigint;
  constructor(readonly mm: HypMm) {
    this.ramBase = mm.mem.ramBase;
    this.ramSize = mm.mem.ramSize;
  }
  isMemory(pa: bigint): boolean { return this.mm.mem.isMemory(pa); }
  readU64(va: bigint): bigint { return this.mm.readU64(va); }
  writeU64(va: bigint, v: bigint): void { this.mm.writeU64(va, v); }
  readU64N(va: number): bigint { return this.mm.readU64N(va); }
  writeU64N(va: number, v: bigint): void { this.mm.writeU64N(va, v); }
  zeroPage(va: bigint): void { this.mm.memset0(va & PAGE_MASK, Number(PAGE_SIZE)); }
  readBytes(va: bigint, n: number): Uint8Array { return this.mm.readBytes(va, n); }
  writeBytes(va: bigint, b: Uint8Array): void { this.mm.writeBytes(va, b); }
}


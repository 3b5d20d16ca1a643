/**
 * The host stage-2: an identity map, populated lazily on host aborts, whose
 * invalid entries carry ownership annotations for pages donated to the hyp or
 * to guests. Ported from the host_mmu parts of arch/arm64/kvm/hyp/nvhe/mem_protect.c.
 */
import type { Pkvm } from './index';
import {
  EAGAIN, EEXIST, EINVAL, ENOMEM, EPERM, PKVM_ID_GUEST, PKVM_ID_HOST, PKVM_ID_HYP, PKVM_NOPAGE,
  PKVM_PAGE_OWNED, WARN_ON, HypPanic,
} from './page-state';
import {
  ALIGN_DOWN, FIELD_FIT, FIELD_GET, FIELD_PREP, KVM_HOST_DONATION_PTE_EXTRA_MASK,
  KVM_HOST_DONATION_PTE_OWNER_MASK, KVM_HOST_INVALID_PTE_TYPE_DONATION, KVM_HOST_PTE_OWNER_GUEST_GFN_MASK,
  KVM_HOST_PTE_OWNER_GUEST_HANDLE_MASK, KVM_INVALID_PTE_TYPE_MASK, KVM_PGTABLE_LAST_LEVEL,
  KVM_PGTABLE_WALK_IGNORE_EAGAIN, PAGE_SHIFT, PAGE_SIZE, PAGE_SIZE_N, u64_to_n, PKVM_HOST_MEM_PROT, PKVM_HOST_MMIO_PROT, U64_MASK,
  kvm_granule_size, kvm_level_supports_block_mapping, kvm_pte_valid,
} from './pgtable-defs';
import { kvm_pgtable_get_leaf } from './pgtable';
import { kvm_pgtable_stage2_annotate, kvm_pgtable_stage2_map, kvm_pgtable_stage2_unmap } from './pgtable-stage2';
import type { PkvmHypVm } from './hyp-vm';

export interface MemblockRegion { base: bigint; size: bigint }
export interface KvmMemRange { start: bigint; end: bigint }

/** find_mem_range(): the memblock holding addr (or null) and the enclosing memory/hole range. */
export function find_mem_range(hyp: Pkvm, addr: bigint, range: KvmMemRange): MemblockRegion | null {
  let left = 0;
  let right = hyp.hyp_memory.length;
  range.start = 0n;
  range.end = U64_MASK;
  while (left < right) {
    const cur = (left + right) >> 1;
    const reg = hyp.hyp_memory[cur]!;
    const end = BigInt.asUintN(64, reg.base + reg.size); /* (a region ends within the PA space) */
    if (addr < reg.base) {
      right = cur;
      range.end = reg.base;
    } else if (addr >= end) {
      left = cur + 1;
      range.start = end;
    } else {
      range.start = reg.base;
      range.end = end;
      return reg;
    }
  }
  return null;
}

/* hyp_memory's regions as Numbers (by array; rebuilt when the array or its length changes). */
let memRegs: MemblockRegion[] | null = null, memLen = -1;
let memStartN: number[] = [], memEndN: number[] = [], memBase: bigint[] = [], memSize: bigint[] = [];
function mem_regions_n(regs: MemblockRegion[]): void {
  memBase = regs.map((r) => r.base);
  memSize = regs.map((r) => r.size);
  memStartN = regs.map((r) => Number(r.base));
  memEndN = regs.map((r) => Number(BigInt.asUintN(64, r.base + r.size)));
  memRegs = regs;
  memLen = regs.length;
}

/**
 * check_range_allowed_memory(phys, phys + PAGE_SIZE) == 0 (also range_is_memory()) for a page-aligned
 * Number phys below 2^52: find_mem_range()'s binary search in Numbers. True when the page lies in a
 * memblock region whose base and size are still those the Numbers were made from; false otherwise
 * (the caller then asks the u64 functions, which give the errno).
 */
export function page_is_memory_n(hyp: Pkvm, phys: number): boolean {
  const regs = hyp.hyp_memory;
  if (regs !== memRegs || regs.length !== memLen) mem_regions_n(regs);
  let left = 0, right = memLen;
  while (left < right) {
    const cur = (left + right) >> 1;
    if (phys < memStartN[cur]!) right = cur;
    else if (phys >= memEndN[cur]!) left = cur + 1;
    else {
      /* is_in_mem_range(end - 1): the whole page in this region; the region as converted */
      if (!(phys + PAGE_SIZE_N <= memEndN[cur]!)) return false;
      const reg = regs[cur]!;
      if (reg.base !== memBase[cur] || reg.size !== memSize[cur]) {
        memRegs = null;
        return false;
      }
      return true;
    }
  }
  return false;
}

export const addr_is_memory = (hyp: Pkvm, phys: bigint): boolean => find_mem_range(hyp, phys, { start: 0n, end: 0n }) !== null;
const is_in_mem_range = (addr: bigint, r: KvmMemRange): boolean => r.start <= addr && addr < r.end;

/** check_range_allowed_memory(): -EINVAL if [start, end) mixes memory and MMIO, -EPERM if not memory. */
export function check_range_allowed_memory(hyp: Pkvm, start: bigint, end: bigint): number {
  const range = { start: 0n, end: 0n };
  const reg = find_mem_range(hyp, start, range);
  if (!is_in_mem_range(BigInt.asUintN(64, end - 1n), range)) return -EINVAL;
  if (!reg) return -EPERM;
  return 0;
}

export function range_is_memory(hyp: Pkvm, start: bigint, end: bigint): boolean {
  const r = { start: 0n, end: 0n };
  if (!find_mem_range(hyp, start, r)) return false;
  return is_in_mem_range(BigInt.asUintN(64, end - 1n), r);
}

/** pfn_range_is_valid(): overflow-safe check that [pfn, pfn + nr) is within the PA range. */
export function pfn_range_is_valid(hyp: Pkvm, pfn: bigint, nr_pages: bigint): boolean {
  const limit = 1n << (BigInt(hyp.host_mmu.pgt.ia_bits) - PAGE_SHIFT);
  return pfn < limit && limit - pfn >= nr_pages;
}

export function host_stage2_force_pte_cb(hyp: Pkvm, addr: bigint, end: bigint, prot: bigint): boolean {
  /* Only RWX memory / RW MMIO identity maps can be rebuilt lazily, so only they may be blocks. */
  return range_is_memory(hyp, addr, end) ? prot !== PKVM_HOST_MEM_PROT : prot !== PKVM_HOST_MMIO_PROT;
}

function host_stage2_unmap_dev_all(hyp: Pkvm): number {
  const pgt = hyp.host_mmu.pgt;
  let addr = 0n;
  for (const reg of hyp.hyp_memory) {
    const ret = kvm_pgtable_stage2_unmap(pgt, addr, reg.base - addr);
    if (ret) return ret;
    addr = reg.base + reg.size;
  }
  return kvm_pgtable_stage2_unmap(pgt, addr, (1n << BigInt(pgt.ia_bits)) - addr);
}

/**
 * host_stage2_try(): on -ENOMEM, recycle the MMIO mappings' table pages and retry. `first`: the
 * result of a first attempt the caller already made (the hot callers try once without a closure).
 */
function host_stage2_try(hyp: Pkvm, fn: () => number, first?: number): number {
  let ret = first ?? fn();
  if (ret === -ENOMEM) {
    ret = host_stage2_unmap_dev_all(hyp);
    if (!ret) ret = fn();
  }
  return ret;
}

export function host_stage2_idmap_locked(hyp: Pkvm, addr: bigint, size: bigint, prot: bigint): number {
  /* The host idmap never changes permissions, so -EAGAIN (already mapped) is squashed. */
  /* host_stage2_try(): the closure is only made for the retry */
  const ret = kvm_pgtable_stage2_map(hyp.host_mmu.pgt, addr, size, addr, prot, hyp.host_s2_pool, KVM_PGTABLE_WALK_IGNORE_EAGAIN);
  if (ret !== -ENOMEM) return ret;
  return host_stage2_try(hyp, () =>
    kvm_pgtable_stage2_map(hyp.host_mmu.pgt, addr, size, addr, prot, hyp.host_s2_pool, KVM_PGTABLE_WALK_IGNORE_EAGAIN), ret);
}

export function __host_update_page_state(hyp: Pkvm, addr: bigint, size: bigint, state: number): void {
  /* (in Numbers: the range is memory, below 2^52) */
  const start = u64_to_n(addr), end = start + u64_to_n(size);
  for (let a = start; a < end; a += PAGE_SIZE_N) hyp.vmemmap.set_host_state(hyp.vmemmap.idx(a), state);
}

/* The shifts of the annotation's fields (FIELD_PREP/FIELD_FIT of these masks without the lookup). */
const EXTRA_SHIFT = 4n, GFN_SHIFT = 16n;
/* FIELD_FIT() of the annotation's fields as bounds: GENMASK(3, 1) holds 3 bits, GENMASK(59, 4) 56, GENMASK(55, 16) 40. */
const OWNER_LIMIT = 1 << 3, EXTRA_LIMIT = 1n << 56n, GFN_LIMIT = 1n << 40n;
/** FIELD_PREP(KVM_HOST_DONATION_PTE_OWNER_MASK, owner_id) by owner_id (made once). */
const OWNER_FIELD: readonly bigint[] = Array.from({ length: OWNER_LIMIT }, (_, id) => FIELD_PREP(KVM_HOST_DONATION_PTE_OWNER_MASK, BigInt(id)));

export function host_stage2_set_owner_metadata_locked(hyp: Pkvm, addr: bigint, size: bigint, owner_id: number, meta: bigint): number {
  if (owner_id === PKVM_ID_HOST) return -EINVAL;
  if (!range_is_memory(hyp, addr, BigInt.asUintN(64, addr + size))) return -EPERM;
  /* FIELD_FIT(KVM_HOST_DONATION_PTE_OWNER_MASK, owner_id), FIELD_FIT(KVM_HOST_DONATION_PTE_EXTRA_MASK, meta) */
  if (!(owner_id >= 0 && owner_id < OWNER_LIMIT)) return -EINVAL;
  if (meta < 0n || meta >= EXTRA_LIMIT) return -EINVAL;
  const annotation = BigInt.asUintN(64, OWNER_FIELD[owner_id]! | (meta << EXTRA_SHIFT));
  let ret = kvm_pgtable_stage2_annotate(hyp.host_mmu.pgt, addr, size, hyp.host_s2_pool, KVM_HOST_INVALID_PTE_TYPE_DONATION, annotation);
  if (ret === -ENOMEM) {
    ret = host_stage2_try(hyp, () =>
      kvm_pgtable_stage2_annotate(hyp.host_mmu.pgt, addr, size, hyp.host_s2_pool, KVM_HOST_INVALID_PTE_TYPE_DONATION, annotation), ret);
  }
  if (!ret) __host_update_page_state(hyp, addr, size, PKVM_NOPAGE);
  return ret;
}

export function host_stage2_set_owner_locked(hyp: Pkvm, addr: bigint, size: bigint, owner_id: number): number {
  switch (owner_id) {
    case PKVM_ID_HOST: {
      if (!range_is_memory(hyp, addr, addr + size)) return -EPERM;
      const ret = host_stage2_idmap_locked(hyp, addr, size, PKVM_HOST_MEM_PROT);
      if (!ret) __host_update_page_state(hyp, addr, size, PKVM_PAGE_OWNED);
      return ret;
    }
    case PKVM_ID_HYP:
      return host_stage2_set_owner_metadata_locked(hyp, addr, size, owner_id, 0n);
  }
  return -EINVAL;
}

/** host_stage2_encode_gfn_meta(): handle in meta[15:0], gfn in meta[55:16]. */
export function host_stage2_encode_gfn_meta(vm: PkvmHypVm, gfn: bigint): bigint {
  /* !FIELD_FIT(KVM_HOST_PTE_OWNER_GUEST_GFN_MASK, gfn) */
  WARN_ON(gfn < 0n || gfn >= GFN_LIMIT, 'gfn does not fit the annotation');
  /* FIELD_PREP(KVM_HOST_PTE_OWNER_GUEST_HANDLE_MASK, vm->kvm.arch.pkvm.handle) | FIELD_PREP(KVM_HOST_PTE_OWNER_GUEST_GFN_MASK, gfn) */
  return BigInt.asUintN(64, handle_field(vm.handle) | ((gfn << GFN_SHIFT) & KVM_HOST_PTE_OWNER_GUEST_GFN_MASK));
}
/** FIELD_PREP(KVM_HOST_PTE_OWNER_GUEST_HANDLE_MASK, handle), the last one kept (a VM's faults come in runs). */
let lastHandle = -1, lastHandleField = 0n;
function handle_field(handle: number): bigint {
  if (handle !== lastHandle) {
    lastHandleField = BigInt(handle & 0xffff);
    lastHandle = handle;
  }
  return lastHandleField;
}

export function host_stage2_decode_gfn_meta(hyp: Pkvm, pte: bigint): { ret: number; vm?: PkvmHypVm; gfn?: bigint } {
  if (WARN_ON(kvm_pte_valid(pte), 'decode_gfn_meta on a valid pte')) return { ret: -EINVAL };
  if (FIELD_GET(KVM_INVALID_PTE_TYPE_MASK, pte) !== KVM_HOST_INVALID_PTE_TYPE_DONATION) return { ret: -EINVAL };
  if (FIELD_GET(KVM_HOST_DONATION_PTE_OWNER_MASK, pte) !== BigInt(PKVM_ID_GUEST)) return { ret: -EPERM };
  const meta = FIELD_GET(KVM_HOST_DONATION_PTE_EXTRA_MASK, pte);
  const vm = hyp.get_vm_by_handle(Number(FIELD_GET(KVM_HOST_PTE_OWNER_GUEST_HANDLE_MASK, meta)));
  /* We probably raced with teardown; try again */
  if (!vm) return { ret: -EAGAIN };
  return { ret: 0, vm, gfn: FIELD_GET(KVM_HOST_PTE_OWNER_GUEST_GFN_MASK, meta) };
}

/** host_stage2_adjust_range(): the largest block around addr that is unmapped and within range. */
function host_stage2_adjust_range(hyp: Pkvm, addr: bigint, range: KvmMemRange): number {
  const { ret, pte, level: leafLevel } = kvm_pgtable_get_leaf(hyp.host_mmu.pgt, addr);
  if (ret) return ret;
  if (kvm_pte_valid(pte)) return -EEXIST;
  if (pte) {
    WARN_ON(addr_is_memory(hyp, addr) && hyp.vmemmap.get_host_state(hyp.vmemmap.idx(addr)) !== PKVM_NOPAGE,
      'annotated host pte for a page the host owns');
    return -EPERM;
  }
  for (let level = leafLevel; level <= KVM_PGTABLE_LAST_LEVEL; level++) {
    if (!kvm_level_supports_block_mapping(level)) continue;
    const granule = kvm_granule_size(level);
    const start = ALIGN_DOWN(addr, granule);
    const end = start + granule;
    if (!(range.start <= start && end <= range.end) && level < KVM_PGTABLE_LAST_LEVEL) continue;
    range.start = start;
    range.end = end;
    return 0;
  }
  WARN_ON(true, 'host_stage2_adjust_range');
  return -EINVAL;
}

/** host_stage2_idmap(): map the block around a faulting host address (memory RWX, MMIO RW). */
export function host_stage2_idmap(hyp: Pkvm, addr: bigint): number {
  const range = { start: 0n, end: 0n };
  const is_memory = find_mem_range(hyp, addr, range) !== null;
  const prot = is_memory ? PKVM_HOST_MEM_PROT : PKVM_HOST_MMIO_PROT;
  const ret = host_stage2_adjust_range(hyp, addr, range);
  if (ret) return ret;
  return host_stage2_idmap_locked(hyp, range.start, range.end - range.start, prot);
}

/**
 * handle_host_mem_abort(): the host took a stage-2 abort at IPA `addr`
 * (HPFAR_EL2.FIPA << 12 | FAR[11:0]). Returns 0 / -EEXIST when the access can
 * be retried and -EPERM when the abort must be injected back into the host
 * (host_inject_mem_abort(): ESR with S1PTW set). Anything else is hyp_panic().
 */
export function handle_host_mem_abort(hyp: Pkvm, addr: bigint): number {
  const ret = host_stage2_idmap(hyp, addr & ~(PAGE_SIZE - 1n));
  if (ret === -EPERM || ret === -EEXIST || ret === 0) return ret;
  throw new HypPanic(`handle_host_mem_abort: host_stage2_idmap() = ${ret}`);
}


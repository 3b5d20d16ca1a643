/**
 * pKVM components, page states and errnos, as upstream
 * (arch/arm64/kvm/hyp/include/nvhe/mem_protect.h and memory.h, Linux kvmarm
 * "kvm-arm64/pkvm-protected-guest", merged for v7.1).
 */

/* enum pkvm_component_id: also the page-table lock order. */
export const PKVM_ID_HOST = 0;
export const PKVM_ID_HYP = 1;
export const PKVM_ID_GUEST = 2;
export type PkvmComponentId = typeof PKVM_ID_HOST | typeof PKVM_ID_HYP | typeof PKVM_ID_GUEST;

/* enum pkvm_page_state */
export const PKVM_PAGE_OWNED = 0;
export const PKVM_PAGE_SHARED_OWNED = 1; /* BIT(0) */
export const PKVM_PAGE_SHARED_BORROWED = 2; /* BIT(1) */
export const PKVM_NOPAGE = 3; /* BIT(0) | BIT(1): meta-state, never in PTE SW bits */
export const PKVM_POISON = 4; /* BIT(2): guest-only meta-state (invalid PTE of type POISONED) */
export type PkvmPageState = 0 | 1 | 2 | 3 | 4;
export const PKVM_PAGE_STATE_MASK = 3; /* vmemmap encoding of host/hyp state */

export const PAGE_STATE_NAMES: Record<number, string> = {
  [PKVM_PAGE_OWNED]: 'OWNED',
  [PKVM_PAGE_SHARED_OWNED]: 'SHARED_OWNED',
  [PKVM_PAGE_SHARED_BORROWED]: 'SHARED_BORROWED',
  [PKVM_NOPAGE]: 'NOPAGE',
  [PKVM_POISON]: 'POISON',
};

/* Errnos (asm-generic/errno-base.h, errno.h); functions return them negated. */
export const EPERM = 1;
export const ENOENT = 2;
export const E2BIG = 7;
export const EAGAIN = 11;
export const ENOMEM = 12;
export const EFAULT = 14;
export const EBUSY = 16;
export const EEXIST = 17;
export const EINVAL = 22;
export const ERANGE = 34;
export const EHWPOISON = 133;

/**
 * At nVHE EL2, BUG_ON() and WARN_ON() both end in hyp_panic(): the host is
 * presumed compromised or the hypervisor broken. The model throws this.
 */
export class HypPanic extends Error {
  constructor(what: string) {
    super(`hyp_panic: ${what}`);
    this.name = 'HypPanic';
  }
}

/**
 * "All hyp bugs, including warnings, are fatal" (nvhe_hyp_panic_handler()).
 * Tests may set warnIsFatal = false to observe the code path after a WARN_ON,
 * as with a warn-and-continue kernel; warnings are then logged here.
 */
export const hypWarnConfig = { warnIsFatal: true, warnings: [] as string[] };

export function WARN_ON(cond: boolean | number, what = 'WARN_ON'): boolean {
  if (!cond) return false;
  if (hypWarnConfig.warnIsFatal) throw new HypPanic(`WARN_ON: ${what}`);
  hypWarnConfig.warnings.push(what);
  return true;
}

export function BUG_ON(cond: boolean | number, what = 'BUG_ON'): void {
  if (cond) throw new HypPanic(what);
}

// The hyp side of a protected guest's fault, alone (not part of `npm run bench`): one protected VM
// on a Pkvm over the core's RAM (CorePhysMem, as in the emulator), and N host hypercalls
// __pkvm_host_donate_guest through the real dispatcher (pkvm_refill_memcache(), the state checks,
// the host stage-2 annotation, the guest stage-2 map), the host topping the vCPU memcache up as
// handleMemFault() does. Prints the main thread's CPU time per donation, per repetition; NOOP=1 the loop
// and the dispatch alone (a hypercall that does nothing), DIRECT=1 the two hyp functions called directly.
// STEPS=1: the one-page donation's steps (mem-protect-page.ts) called directly, cumulatively (step 0 the
// loop alone, 1 + pkvm_refill_memcache(), 2 + the host state check, 3 + the guest entry's descent,
// 4 + the guest state check, 5 + the memcache check, 6 + the host stage-2 annotation, 7 + the guest
// map), the step counts taking turns run by run; medians of runs 2.. per step.
//   node --expose-gc --import tsx bench/donate-hyp.ts [pages] [reps]
import { readFileSync } from 'node:fs';
import { Core } from '../machine/core';
import { CorePhysMem } from '../hyp/core-phys-mem';
import { Pkvm } from '../hyp/index';
import { HostKvmView, HostVcpuView, PKVM_HYP_VCPU_SIZE, kvm_init_id_regs, pkvm_get_hyp_vm_size } from '../hyp/host-abi';
import { KVM_HOST_SMCCC_FUNC, type HostHcallName } from '../hyp/hypercalls';
import { PAGE_ALIGN, PAGE_SIZE } from '../hyp/pgtable-defs';
import { kvm_pgtable_stage2_pgd_size } from '../hyp/vtcr';
import { push_hyp_memcache } from '../hyp/memcache';
import { pkvm_refill_memcache } from '../hyp/hyp-main';
import { __pkvm_host_donate_guest } from '../hyp/mem-protect-guest';
import { __guest_check_page_state_page, __host_check_page_state_page, host_stage2_set_owner_guest_page } from '../hyp/mem-protect-page';
import { PGTABLE_PAGE_FALLBACK, kvm_pgtable_page_entry, stage2_map_page } from '../hyp/pgtable-page';
import { kvm_pgtable_stage2_map } from '../hyp/pgtable-stage2';
import { KVM_PGTABLE_PROT_RWX, pkvm_mkstate } from '../hyp/pgtable-defs';
import { kvm_mmu_cache_min_pages } from '../hyp/vtcr';
import { PKVM_NOPAGE, PKVM_PAGE_OWNED } from '../hyp/page-state';

const [pages = 16384, reps = 6] = process.argv.slice(2).map(Number);
const schedNs = (): number => Number(readFileSync('/proc/thread-self/schedstat', 'latin1').split(' ')[0]);
/* RAM: the pages donated, the memcache pages, the VM's structures and the 16 MiB carve-out at its top */
const RAM = Math.max(256 << 20, pages * 4096 + (64 << 20));
/** NOOP=1: the same loop with a hypercall that does nothing (__kvm_flush_cpu_context): the dispatch's and the loop's own cost. */
const NOOP = process.env.NOOP === '1';
/** DIRECT=1: pkvm_refill_memcache() and __pkvm_host_donate_guest() called directly, without the hypercall dispatch. */
const DIRECT = process.env.DIRECT === '1';
/** STEPS=1: the steps of the one-page donation, cumulatively (see above); `steps` is the current count. */
const STEPS = process.env.STEPS === '1';
let steps = 7;
const OWNED_PROT = pkvm_mkstate(KVM_PGTABLE_PROT_RWX, PKVM_PAGE_OWNED);

function run(): number {
  const core = new Core(RAM);
  const mem = new CorePhysMem(core);
  const base = mem.ramBase;
  const hyp = new Pkvm(mem, { base: base + BigInt(RAM) - (16n << 20n), size: 16n << 20n }, 4, 4, {});
  hyp.protected_mode_initialized = true;
  let next = base + (1n << 20n);
  const alloc = (n = 1, align = PAGE_SIZE): bigint => {
    const p = (next + align - 1n) & ~(align - 1n);
    next = p + BigInt(n) * PAGE_SIZE;
    return p;
  };
  const frame: bigint[] = [0n, 0n, 0n, 0n, 0n, 0n];
  const call = (name: HostHcallName, ...args: bigint[]): number => {
    frame[0] = KVM_HOST_SMCCC_FUNC(name);
    for (let i = 1; i < 6; i++) frame[i] = args[i - 1] ?? 0n;
    hyp.handleHostHcall(frame, 0);
    return Number(BigInt.asIntN(64, frame[1]!));
  };
  const ok = (r: number, what: string): void => { if (r !== 0) throw new Error(`${what}: ${r}`); };
  const handle = call('__pkvm_reserve_vm');
  const kvm = alloc();
  const k = new HostKvmView(mem, kvm);
  k.created_vcpus = 1; k.handle = handle; k.is_protected = true;
  kvm_init_id_regs(k, hyp.idRegs);
  ok(call('__pkvm_host_share_hyp', kvm >> 12n), 'share kvm');
  const pgdSize = kvm_pgtable_stage2_pgd_size(hyp.host_vtcr());
  const hypVm = alloc(Number(PAGE_ALIGN(pkvm_get_hyp_vm_size(1)) / PAGE_SIZE));
  const pgd = alloc(Number(pgdSize / PAGE_SIZE), pgdSize);
  ok(call('__pkvm_init_vm', kvm, hypVm, pgd), 'init_vm');
  const hv = alloc();
  const v = new HostVcpuView(mem, hv);
  v.vcpu_id = 0; v.vcpu_idx = 0;
  ok(call('__pkvm_host_share_hyp', hv >> 12n), 'share vcpu');
  ok(call('__pkvm_init_vcpu', BigInt(handle), hv, alloc(Number(PKVM_HYP_VCPU_SIZE / PAGE_SIZE))), 'init_vcpu');
  call('__pkvm_vcpu_load', BigInt(handle), 0n, 0n);
  if (!hyp.loaded_hyp_vcpu[0]) throw new Error('vcpu_load failed');
  const vcpu = hyp.loaded_hyp_vcpu[0]!;
  const mc = new HostVcpuView(mem, hv).pkvm_memcache;
  const first = alloc(pages);
  const firstPfn = Number(first >> 12n);
  let sink = 0;
  const c0 = schedNs();
  for (let i = 0; i < pages; i++) {
    while (mc.nr_pages < 3n) push_hyp_memcache(mem, mc, alloc()); /* topup_hyp_memcache(kvm_mmu_cache_min_pages) */
    if (STEPS) {
      /* __pkvm_host_donate_guest_page()'s steps, the first `steps` of them */
      const pfn = firstPfn + i, gfn = 0x80000 + i, ipa = gfn * 4096, vm = vcpu.vm;
      if (steps >= 1) sink += pkvm_refill_memcache(hyp, vcpu);
      if (steps >= 2) sink += __host_check_page_state_page(hyp, pfn, PKVM_PAGE_OWNED);
      const entry = steps >= 3 ? kvm_pgtable_page_entry(vm.pgt, ipa) : -1;
      if (steps >= 4) sink += __guest_check_page_state_page(vm, entry, ipa, PKVM_NOPAGE);
      if (steps >= 5) sink += vcpu.pkvm_memcache.nr_pages < kvm_mmu_cache_min_pages(vm.mmu.vtcr) ? 1 : 0;
      if (steps >= 6) sink += host_stage2_set_owner_guest_page(hyp, pfn, vm, gfn);
      if (steps >= 7) {
        let r = stage2_map_page(vm.pgt, entry, ipa, pfn, OWNED_PROT);
        if (r === PGTABLE_PAGE_FALLBACK) r = kvm_pgtable_stage2_map(vm.pgt, BigInt(ipa), PAGE_SIZE, BigInt(pfn) << 12n, OWNED_PROT, vcpu.pkvm_memcache, 0);
        sink += r;
      }
    } else if (NOOP) call('__kvm_flush_cpu_context', (first >> 12n) + BigInt(i), 0x80000n + BigInt(i));
    else if (DIRECT) ok(pkvm_refill_memcache(hyp, vcpu) || __pkvm_host_donate_guest(hyp, (first >> 12n) + BigInt(i), 0x80000n + BigInt(i), vcpu), 'donate');
    else ok(call('__pkvm_host_donate_guest', (first >> 12n) + BigInt(i), 0x80000n + BigInt(i)), 'donate');
  }
  if (sink) throw new Error(`a step failed (${sink})`);
  return (schedNs() - c0) / 1e3 / pages;
}

const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
if (STEPS) {
  const by: number[][] = Array.from({ length: 8 }, () => []);
  for (let r = 0; r < reps; r++) {
    for (steps = 0; steps <= 7; steps++) {
      gc();
      const us = run();
      if (r) by[steps]!.push(us);
    }
  }
  const med = (a: number[]): number => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
  by.forEach((a, k) => console.log(`steps 0..${k}: ${med(a).toFixed(3)} µs (best ${Math.min(...a).toFixed(3)}), this step ${(med(a) - (k ? med(by[k - 1]!) : 0)).toFixed(3)} µs`));
  process.exit(0);
}
const res: number[] = [];
for (let r = 0; r < reps; r++) {
  gc();
  const us = run();
  res.push(us);
  console.log(`${pages} donations: ${us.toFixed(2)} µs CPU each`);
}
const sorted = res.slice(1).sort((a, b) => a - b);
console.log(`median (runs 2..): ${sorted[Math.floor(sorted.length / 2)]!.toFixed(2)} µs, best ${sorted[0]!.toFixed(2)} µs`);

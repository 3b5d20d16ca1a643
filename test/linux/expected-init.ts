// /init's output on a correct 2-CPU machine with KVM (values computed independently on the build host:
// sha256sum/md5sum/awk of the same inputs), and the kernel-log lines the boots are compared on.
export const EXPECTED_INIT_2CPU = [
  'INIT: cpus online: 2 (0-1)',
  'INIT: /dev/kvm: present',
  'INIT: timer ticks on every cpu: yes',
  'INIT: awk pi: 3.141092654 3.141593',
  'INIT: awk sum: 1082.14',
  'INIT: awk e/sqrt: 2.718281828459 1.414213562373 inf',
  'INIT: sha256: 7a4dc8b77bbe69f4f7c60e572abd56b51fa07613a594ffc462c6046fb0d4e169',
  'INIT: md5: 53d025127ae99ab79e8502aae2d9bea6',
  'INIT: sort: 1 2 3 10',
  'INIT: shell arithmetic: 42 1099511627776',
  'INIT: vmm: hello',
  'INIT: vmm: hello exit status 0',
  'INIT: vmm: toucher 0x400 7 8',
  'INIT: vmm: toucher exit status 0',
  'INIT: checks done',
];

/** toucher's checksum from its specification (guest-images/toucher.c): xorshift64* values written,
 *  read back and folded into FNV-1a, computed here independently of any emulator. */
export function toucherChecksum(pages: number, seed: bigint, words: number): string {
  const M = (1n << 64n) - 1n;
  let s = seed, h = 0xcbf29ce484222325n;
  for (let i = 0; i < pages * words; i++) {
    let x = s; x ^= x >> 12n; x ^= (x << 25n) & M; x ^= x >> 27n; s = x;
    const v = (x * 0x2545f4914f6cdd1dn) & M;
    for (let b = 0n; b < 8n; b++) { h ^= (v >> (b * 8n)) & 0xffn; h = (h * 0x100000001b3n) & M; }
  }
  return h.toString(16).padStart(16, '0');
}

/** What the guests run by the project's VMM print under the booted kernel's KVM. */
export const EXPECTED_VMM_GUEST_LINES = [
  'Hello from pkvm-emu guest at EL1',
  'toucher: pages 400',
  `toucher: checksum ${toucherChecksum(0x400, 7n, 8)}`,
];

/** Kernel-log lines (timestamps stripped) both machines must print with kvm-arm.mode=protected. */
export const EXPECTED_KERNEL_LINES = [
  /^psci: PSCIv1\.1 detected in firmware\.$/,
  /^GICv3: CPU0: found redistributor 0 region 0:0x00000000080a0000$/,
  /^GICv3: CPU1: found redistributor 1 region 0:0x00000000080c0000$/,
  /^arch_timer: cp15 timer\(s\) running at 62\.50MHz \(phys\)\.$/,
  /^SMP: Total of 2 processors activated\.$/,
  /^kvm \[1\]: Protected nVHE mode initialized successfully$/,
];

/** The console's lines, trailing blanks (and the CR of CRLF) removed. */
export function consoleLines(log: string): string[] {
  return log.split(/\r?\n/).map((l) => l.trimEnd());
}
export function initLines(log: string): string[] {
  return log.split(/\r?\n/).filter((l) => l.startsWith('INIT: ')).map((l) => l.trimEnd());
}
export function kernelLines(log: string): string[] {
  return log.split(/\r?\n/).map((l) => l.replace(/^\[\s*\d+\.\d+\]\s/, '').trimEnd());
}

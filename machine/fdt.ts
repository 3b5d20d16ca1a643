/**
 * Flattened devicetree (DTB) writer and reader, per the Devicetree Specification v0.4 chapter 5,
 * and the DTB that describes this board the way QEMU's `virt` describes itself.
 *
 * Blob layout written: header (40 bytes) | memory reservation block (8-byte aligned, terminated by
 * a zero entry) | structure block | strings block (property names, deduplicated). Version 17,
 * last compatible version 16. All integers are big-endian.
 */
import { VIRTIO_MMIO_BASE, VIRTIO_MMIO_COUNT, VIRTIO_MMIO_FIRST_SPI, VIRTIO_MMIO_STRIDE } from './virtio-mmio';
import { UserError } from './errors';
import { virtCpuMpidr } from './psci';

export const FDT_MAGIC = 0xd00dfeed;
export const FDT_BEGIN_NODE = 1;
export const FDT_END_NODE = 2;
export const FDT_PROP = 3;
export const FDT_NOP = 4;
export const FDT_END = 9;
const HEADER_SIZE = 40;
const FDT_VERSION = 17;
const FDT_LAST_COMP_VERSION = 16;

const utf8 = new TextEncoder();

export class FdtBuilder {
  private struct: number[] = [];
  private strings: number[] = [];
  private stringOffsets = new Map<string, number>();
  private reserves: { address: bigint; size: bigint }[] = [];
  private depth = 0;
  private finished = false;

  /** boot_cpuid_phys in the header. */
  bootCpuidPhys = 0;

  /** Add a /memreserve/ entry. */
  addMemReserve(address: bigint, size: bigint): this {
    this.reserves.push({ address, size });
    return this;
  }

  /** Open a node; the root node's name is "". */
  beginNode(name: string): this {
    if (this.finished || (this.depth === 0 && this.struct.length > 0)) throw new Error('fdt: only one root node');
    if (name.includes('\0')) throw new Error(`fdt: node name ${JSON.stringify(name)} contains NUL`);
    this.u32(FDT_BEGIN_NODE);
    this.bytes(utf8.encode(name + '\0'));
    this.depth++;
    return this;
  }

  endNode(): this {
    if (this.depth === 0) throw new Error('fdt: endNode without beginNode');
    this.u32(FDT_END_NODE);
    this.depth--;
    return this;
  }

  /** A property with raw bytes as value (empty for a boolean property such as always-on). */
  propertyBytes(name: string, value: Uint8Array): this {
    if (this.depth === 0) throw new Error(`fdt: property ${name} outside a node`);
    this.u32(FDT_PROP);
    this.u32(value.length);
    this.u32(this.stringOffset(name));
    this.bytes(value);
    return this;
  }

  propertyEmpty(name: string): this {
    return this.propertyBytes(name, new Uint8Array(0));
  }

  /** One or more 32-bit cells. */
  propertyU32(name: string, ...values: number[]): this {
    const b = new Uint8Array(values.length * 4);
    const dv = new DataView(b.buffer);
    values.forEach((v, i) => dv.setUint32(i * 4, v >>> 0));
    return this.propertyBytes(name, b);
  }

  /** One or more 64-bit values, each as two cells (high, low). */
  propertyU64(name: string, ...values: bigint[]): this {
    const b = new Uint8Array(values.length * 8);
    const dv = new DataView(b.buffer);
    values.forEach((v, i) => dv.setBigUint64(i * 8, BigInt.asUintN(64, v)));
    return this.propertyBytes(name, b);
  }

  propertyString(name: string, value: string): this {
    return this.propertyStringList(name, [value]);
  }

  propertyStringList(name: string, values: string[]): this {
    for (const v of values) {
      if (v.includes('\0')) throw new UserError(`devicetree property ${name}: string contains a NUL character`);
    }
    return this.propertyBytes(name, utf8.encode(values.map((v) => v + '\0').join('')));
  }

  /** Close the structure block and return the blob. */
  finish(): Uint8Array {
    if (this.depth !== 0 || this.struct.length === 0) throw new Error('fdt: unbalanced or empty tree');
    if (!this.finished) this.u32(FDT_END);
    this.finished = true;
    const rsvOff = align(HEADER_SIZE, 8);
    const rsvSize = (this.reserves.length + 1) * 16;
    const structOff = rsvOff + rsvSize;
    const stringsOff = structOff + this.struct.length;
    const total = stringsOff + this.strings.length;
    const out = new Uint8Array(total);
    const dv = new DataView(out.buffer);
    const header = [
      FDT_MAGIC,
      total,
      structOff,
      stringsOff,
      rsvOff,
      FDT_VERSION,
      FDT_LAST_COMP_VERSION,
      this.bootCpuidPhys,
      this.strings.length,
      this.struct.length,
    ];
    header.forEach((v, i) => dv.setUint32(i * 4, v >>> 0));
    this.reserves.forEach((r, i) => {
      dv.setBigUint64(rsvOff + i * 16, r.address);
      dv.setBigUint64(rsvOff + i * 16 + 8, r.size);
    });
    out.set(this.struct, structOff);
    out.set(this.strings, stringsOff);
    return out;
  }

  private stringOffset(name: string): number {
    let off = this.stringOffsets.get(name);
    if (off === undefined) {
      off = this.strings.length;
      this.strings.push(...utf8.encode(name + '\0'));
      this.stringOffsets.set(name, off);
    }
    return off;
  }

  private u32(v: number): void {
    this.struct.push((v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
  }

  /** Append bytes padded with zeros to a 4-byte boundary. */
  private bytes(b: Uint8Array): void {
    for (const x of b) this.struct.push(x);
    while (this.struct.length % 4) this.struct.push(0);
  }
}

function align(v: number, a: number): number {
  return Math.ceil(v / a) * a;
}

export interface VirtDtbOptions {
  ramBase: bigint;
  ramSize: bigint;
  cpus: number;
  /** /chosen/bootargs (QEMU's -append); omitted when undefined. */
  bootargs?: string;
  /** /chosen/linux,initrd-start and -end (QEMU's -initrd: two 64-bit cells each); omitted when undefined. */
  initrd?: { start: bigint; end: bigint };
  /** PSCI conduit: QEMU uses "hvc" normally and "smc" when EL2 is enabled (virtualization=on). */
  psciMethod: 'hvc' | 'smc';
  uartBase: bigint;
  /** MPIDR cluster size: 8 for GICv2 (QEMU's default, at most 8 CPUs), 16 for GICv3 (up to 512). */
  clusterSize?: 8 | 16;
  /**
   * Describe the interrupt side of `-M virt,gic-version=3` (default true): the GICv3 node
   * (distributor, one redistributor region), interrupt-parent, the interrupts of the timer and the
   * PL011, and with `el2` the GIC maintenance interrupt.
   */
  gicV3?: boolean;
  /** EL2 enabled (virtualization=on): the GIC node gets the maintenance interrupt (PPI 9). */
  el2?: boolean;
}

/** GICv3 of QEMU virt: distributor and the redistributor region (room for 123 CPUs' frames). */
export const VIRT_GICD_BASE = 0x0800_0000n;
export const VIRT_GICD_SIZE = 0x1_0000n;
export const VIRT_GICR_BASE = 0x080a_0000n;
export const VIRT_GICR_SIZE = 0xf6_0000n;
const GIC_SPI = 0, GIC_PPI = 1, IRQ_LEVEL_HIGH = 4;

/** phandle of the fixed 24 MHz APB clock, as QEMU numbers it. */
export const VIRT_CLOCK_PHANDLE = 0x8000;

/**
 * The DTB of this board: the subset of QEMU `-M virt,gic-version=3`'s tree that the board has, with
 * QEMU's node names, compatibles, phandles, interrupts and cell sizes (test/machine/dtb-qemu.test.ts
 * compares them node by node and lists what is left out: PCIe, virtio-mmio, fw-cfg, flash, PL061
 * and gpio-keys, PL031, platform bus, the GIC ITS), and without QEMU's random
 * rng-seed/kaslr-seed so that runs stay deterministic.
 */
export function buildVirtDtb(o: VirtDtbOptions): Uint8Array {
  const clusterSize = o.clusterSize ?? 8;
  const maxCpus = clusterSize === 8 ? 8 : 512;
  if (!Number.isInteger(o.cpus) || o.cpus < 1 || o.cpus > maxCpus) {
    throw new UserError(`cpus must be an integer from 1 to ${maxCpus} (got ${o.cpus})`);
  }
  if (o.ramSize <= 0n) throw new UserError(`RAM size must be positive (got ${o.ramSize})`);
  const uartName = `pl011@${o.uartBase.toString(16)}`;
  const f = new FdtBuilder();
  f.beginNode('');
  f.propertyU32('#address-cells', 2);
  f.propertyU32('#size-cells', 2);
  f.propertyString('compatible', 'linux,dummy-virt');
  f.propertyString('model', 'linux,dummy-virt');
  if (o.gicV3 ?? true) f.propertyU32('interrupt-parent', VIRT_CLOCK_PHANDLE + o.cpus + 1);

  f.beginNode('psci');
  f.propertyStringList('compatible', ['arm,psci-1.0', 'arm,psci-0.2', 'arm,psci']);
  f.propertyString('method', o.psciMethod);
  // PSCI 0.1 binding ids, with the values QEMU puts here.
  f.propertyU32('cpu_suspend', 0xc4000001);
  f.propertyU32('cpu_off', 0x84000002);
  f.propertyU32('cpu_on', 0xc4000003);
  f.propertyU32('migrate', 0xc4000005);
  f.endNode();

  f.beginNode(`memory@${o.ramBase.toString(16)}`);
  f.propertyString('device_type', 'memory');
  f.propertyU64('reg', o.ramBase, o.ramSize);
  f.endNode();

  // phandles as QEMU allocates them: the clock, then the CPUs from the last to the first, then the GIC.
  const cpuPhandle = (i: number) => VIRT_CLOCK_PHANDLE + o.cpus - i;
  const gicPhandle = VIRT_CLOCK_PHANDLE + o.cpus + 1;
  const gic = o.gicV3 ?? true;
  f.beginNode('cpus');
  f.propertyU32('#address-cells', 1);
  f.propertyU32('#size-cells', 0);
  if (gic) {
    f.beginNode('cpu-map');
    f.beginNode('socket0');
    f.beginNode('cluster0');
    for (let i = 0; i < o.cpus; i++) {
      f.beginNode(`core${i}`);
      f.propertyU32('cpu', cpuPhandle(i));
      f.endNode();
    }
    f.endNode();
    f.endNode();
    f.endNode();
  }
  for (let i = 0; i < o.cpus; i++) {
    const mpidr = virtCpuMpidr(i, clusterSize);
    f.beginNode(`cpu@${i}`); // QEMU names CPU nodes by index (decimal); reg is the MPIDR affinity
    f.propertyString('device_type', 'cpu');
    f.propertyString('compatible', gic ? 'arm,cortex-a57' : 'arm,armv8'); // what QEMU's -cpu max says
    f.propertyU32('reg', Number(mpidr));
    // QEMU names an enable method only when there are CPUs to start (smp_cpus > 1).
    if (o.cpus > 1 || !gic) f.propertyString('enable-method', 'psci');
    if (gic) f.propertyU32('phandle', cpuPhandle(i));
    f.endNode();
  }
  f.endNode();

  f.beginNode('timer');
  f.propertyStringList('compatible', ['arm,armv8-timer', 'arm,armv7-timer']);
  f.propertyEmpty('always-on');
  // Secure and Non-secure EL1 physical, virtual, EL2 physical timers: PPIs 13, 14, 11, 10.
  if (gic) f.propertyU32('interrupts', ...[13, 14, 11, 10].flatMap((n) => [GIC_PPI, n, IRQ_LEVEL_HIGH]));
  f.endNode();

  if (gic) { // the PMU's overflow interrupt: PPI 7 (INTID 23), as QEMU's fdt_add_pmu_nodes (core-as/pmu/pmu-irq.ts)
    f.beginNode('pmu');
    f.propertyU32('interrupts', GIC_PPI, 7, IRQ_LEVEL_HIGH);
    f.propertyString('compatible', 'arm,armv8-pmuv3');
    f.endNode();
  }

  f.beginNode('apb-pclk');
  f.propertyString('compatible', 'fixed-clock');
  f.propertyU32('#clock-cells', 0);
  f.propertyU32('clock-frequency', 24_000_000);
  f.propertyString('clock-output-names', 'clk24mhz');
  f.propertyU32('phandle', VIRT_CLOCK_PHANDLE);
  f.endNode();

  if (gic) {
    f.beginNode(`intc@${VIRT_GICD_BASE.toString(16)}`);
    f.propertyU32('phandle', gicPhandle);
    if (o.el2) f.propertyU32('interrupts', GIC_PPI, 9, IRQ_LEVEL_HIGH); // maintenance interrupt (INTID 25)
    f.propertyU64('reg', VIRT_GICD_BASE, VIRT_GICD_SIZE, VIRT_GICR_BASE, VIRT_GICR_SIZE);
    f.propertyU32('#redistributor-regions', 1);
    f.propertyString('compatible', 'arm,gic-v3');
    f.propertyEmpty('ranges');
    f.propertyU32('#size-cells', 2);
    f.propertyU32('#address-cells', 2);
    f.propertyEmpty('interrupt-controller');
    f.propertyU32('#interrupt-cells', 3);
    f.endNode();
  }

  if (gic) { // the empty virtio-mmio transports (machine/virtio-mmio.ts), edge-rising SPIs as QEMU's
    for (let n = VIRTIO_MMIO_COUNT - 1; n >= 0; n--) {
      const base = VIRTIO_MMIO_BASE + VIRTIO_MMIO_STRIDE * BigInt(n);
      f.beginNode(`virtio_mmio@${base.toString(16)}`);
      f.propertyEmpty('dma-coherent');
      f.propertyU32('interrupts', GIC_SPI, VIRTIO_MMIO_FIRST_SPI + n, 1);
      f.propertyU64('reg', base, VIRTIO_MMIO_STRIDE);
      f.propertyString('compatible', 'virtio,mmio');
      f.endNode();
    }
  }

  f.beginNode(uartName);
  f.propertyStringList('compatible', ['arm,pl011', 'arm,primecell']);
  f.propertyU64('reg', o.uartBase, 0x1000n);
  if (gic) f.propertyU32('interrupts', GIC_SPI, 1, IRQ_LEVEL_HIGH); // SPI 1 = INTID 33
  f.propertyU32('clocks', VIRT_CLOCK_PHANDLE, VIRT_CLOCK_PHANDLE);
  f.propertyStringList('clock-names', ['uartclk', 'apb_pclk']);
  f.endNode();

  f.beginNode('chosen');
  if (o.bootargs !== undefined) f.propertyString('bootargs', o.bootargs);
  f.propertyString('stdout-path', `/${uartName}`);
  if (o.initrd) {
    f.propertyU64('linux,initrd-start', o.initrd.start);
    f.propertyU64('linux,initrd-end', o.initrd.end);
  }
  f.endNode();

  f.endNode();
  return f.finish();
}

// ---- reader -------------------------------------------------------------------------------------

export interface FdtNode {
  name: string;
  props: Map<string, Uint8Array>;
  children: FdtNode[];
}

export interface Fdt {
  version: number;
  lastCompVersion: number;
  bootCpuidPhys: number;
  memReserve: { address: bigint; size: bigint }[];
  root: FdtNode;
}

const utf8Decode = new TextDecoder('utf-8', { fatal: false });

/** Parse a DTB (version 16 or 17 layout). Malformed input throws a one-line UserError. */
export function parseFdt(buf: Uint8Array, name = 'devicetree'): Fdt {
  const fail = (why: string): never => {
    throw new UserError(`${name}: ${why}`);
  };
  if (buf.length < HEADER_SIZE) fail(`truncated header (${buf.length} bytes)`);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const h = (i: number): number => dv.getUint32(i * 4);
  if (h(0) !== FDT_MAGIC) fail(`bad magic 0x${h(0).toString(16)} (want 0xd00dfeed)`);
  const [total, structOff, stringsOff, rsvOff, version, lastComp, bootCpu, stringsSize] = [1, 2, 3, 4, 5, 6, 7, 8].map(h);
  const structSize = version >= 17 ? h(9) : total - structOff;
  if (total > buf.length) fail(`totalsize ${total} exceeds buffer (${buf.length} bytes)`);
  if (lastComp > 17) fail(`unsupported last_comp_version ${lastComp}`);
  if (structOff + structSize > total || stringsOff + stringsSize > total || rsvOff % 8 !== 0 || rsvOff + 16 > total) {
    fail('block offsets out of range');
  }

  const memReserve: { address: bigint; size: bigint }[] = [];
  for (let p = rsvOff; ; p += 16) {
    if (p + 16 > total) fail('unterminated memory reservation block');
    const address = dv.getBigUint64(p);
    const size = dv.getBigUint64(p + 8);
    if (address === 0n && size === 0n) break;
    memReserve.push({ address, size });
  }

  /** The NUL-terminated string at start (which must end before end) and the offset of its NUL. */
  const cstr = (start: number, end: number): [string, number] => {
    const nul = buf.indexOf(0, start);
    if (nul < 0 || nul >= end) fail(`unterminated string at offset ${start}`);
    return [utf8Decode.decode(buf.subarray(start, nul)), nul];
  };

  let p = structOff;
  const structEnd = structOff + structSize;
  const token = (): number => {
    if (p + 4 > structEnd) fail('structure block ends without FDT_END');
    const t = dv.getUint32(p);
    p += 4;
    return t;
  };
  const stack: FdtNode[] = [];
  let root: FdtNode | undefined;
  for (;;) {
    const t = token();
    if (t === FDT_BEGIN_NODE) {
      const [nodeName, nul] = cstr(p, structEnd);
      p = align(nul + 1, 4);
      const node: FdtNode = { name: nodeName, props: new Map(), children: [] };
      if (stack.length === 0) {
        if (root) fail('more than one root node');
        root = node;
      } else stack[stack.length - 1].children.push(node);
      stack.push(node);
    } else if (t === FDT_END_NODE) {
      if (stack.pop() === undefined) fail('FDT_END_NODE without a node');
    } else if (t === FDT_PROP) {
      const len = token();
      const nameOff = token();
      if (stack.length === 0) fail('property outside a node');
      if (p + len > structEnd) fail('property value past the structure block');
      if (nameOff >= stringsSize) fail(`property name offset ${nameOff} out of range`);
      const [propName] = cstr(stringsOff + nameOff, stringsOff + stringsSize);
      stack[stack.length - 1].props.set(propName, buf.slice(p, p + len));
      p = align(p + len, 4);
    } else if (t === FDT_NOP) {
      continue;
    } else if (t === FDT_END) {
      break;
    } else {
      fail(`bad token 0x${t.toString(16)} at offset ${p - 4}`);
    }
  }
  if (!root || stack.length !== 0) fail('unbalanced nodes');
  return { version, lastCompVersion: lastComp, bootCpuidPhys: bootCpu, memReserve, root: root! };
}

/** Find a node by absolute path ("/", "/cpus/cpu@0"); undefined if absent. */
export function fdtFind(root: FdtNode, path: string): FdtNode | undefined {
  let node: FdtNode | undefined = root;
  for (const part of path.split('/').filter((s) => s.length > 0)) {
    node = node.children.find((c: FdtNode) => c.name === part);
    if (!node) return undefined;
  }
  return node;
}

/** A property as a list of strings (NUL-separated). */
export function fdtStrings(value: Uint8Array): string[] {
  const s = utf8Decode.decode(value);
  return (s.endsWith('\0') ? s.slice(0, -1) : s).split('\0');
}

/** A property as a list of 32-bit cells. */
export function fdtCells(value: Uint8Array): number[] {
  const dv = new DataView(value.buffer, value.byteOffset, value.byteLength);
  return Array.from({ length: Math.floor(value.length / 4) }, (_, i) => dv.getUint32(i * 4));
}

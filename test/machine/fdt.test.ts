import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FdtBuilder, FDT_MAGIC, buildVirtDtb, fdtCells, fdtFind, fdtStrings, parseFdt } from '../../machine/fdt';
import { UserError } from '../../machine/errors';

const be32 = (b: Uint8Array, off: number) => new DataView(b.buffer, b.byteOffset).getUint32(off);

const virt = (extra: Partial<Parameters<typeof buildVirtDtb>[0]> = {}) =>
  buildVirtDtb({
    ramBase: 0x4000_0000n,
    ramSize: 0x800_0000n,
    cpus: 1,
    psciMethod: 'hvc',
    uartBase: 0x0900_0000n,
    ...extra,
  });

function hasTool(name: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('FdtBuilder', () => {
  it('writes a valid header and aligned blocks', () => {
    const f = new FdtBuilder();
    f.addMemReserve(0x1000n, 0x2000n);
    f.beginNode('').propertyU32('a', 1).beginNode('child@1').propertyString('s', 'x').endNode().endNode();
    const b = f.finish();
    expect(be32(b, 0)).toBe(FDT_MAGIC);
    expect(be32(b, 4)).toBe(b.length); // totalsize
    const structOff = be32(b, 8);
    const stringsOff = be32(b, 12);
    const rsvOff = be32(b, 16);
    expect(be32(b, 20)).toBe(17);
    expect(be32(b, 24)).toBe(16);
    expect(rsvOff % 8).toBe(0);
    expect(structOff % 4).toBe(0);
    expect(structOff + be32(b, 36)).toBe(stringsOff);
    expect(stringsOff + be32(b, 32)).toBe(b.length);
    const fdt = parseFdt(b);
    expect(fdt.memReserve).toEqual([{ address: 0x1000n, size: 0x2000n }]);
    expect(fdt.root.name).toBe('');
    expect(fdt.root.children[0].name).toBe('child@1');
  });

  it('deduplicates property names in the strings block', () => {
    const f = new FdtBuilder();
    f.beginNode('');
    for (let i = 0; i < 5; i++) f.beginNode(`n${i}`).propertyString('compatible', 'x').propertyU32('reg', i).endNode();
    const b = f.endNode().finish();
    const strings = new TextDecoder().decode(b.subarray(be32(b, 12), be32(b, 12) + be32(b, 32)));
    expect(strings).toBe('compatible\0reg\0');
  });

  it('round-trips every property kind', () => {
    const f = new FdtBuilder();
    f.beginNode('')
      .propertyU32('one', 0xdeadbeef)
      .propertyU32('cells', 1, 2, 3)
      .propertyU64('big', 0x1_2345_6789n)
      .propertyString('str', 'hello')
      .propertyStringList('list', ['a', 'bc', ''])
      .propertyBytes('raw', new Uint8Array([9, 8, 7]))
      .propertyEmpty('flag')
      .endNode();
    const root = parseFdt(f.finish()).root;
    expect(fdtCells(root.props.get('one')!)).toEqual([0xdeadbeef]);
    expect(fdtCells(root.props.get('cells')!)).toEqual([1, 2, 3]);
    expect(fdtCells(root.props.get('big')!)).toEqual([1, 0x23456789]);
    expect(fdtStrings(root.props.get('str')!)).toEqual(['hello']);
    expect(fdtStrings(root.props.get('list')!)).toEqual(['a', 'bc', '']);
    expect(Array.from(root.props.get('raw')!)).toEqual([9, 8, 7]);
    expect(root.props.get('flag')!.length).toBe(0);
  });

  it('rejects unbalanced trees and a second root', () => {
    expect(() => new FdtBuilder().beginNode('').finish()).toThrow(/unbalanced/);
    expect(() => new FdtBuilder().endNode()).toThrow();
    expect(() => new FdtBuilder().beginNode('').endNode().beginNode('')).toThrow(/one root/);
    expect(() => new FdtBuilder().propertyU32('x', 1)).toThrow(/outside a node/);
  });

  it('parseFdt reports malformed blobs as one-line UserErrors', () => {
    const good = virt();
    const bad: Uint8Array[] = [new Uint8Array(10), good.slice(), good.subarray(0, 100)];
    bad[1][0] = 0;
    for (const b of bad) {
      expect(() => parseFdt(b, 'x.dtb')).toThrow(UserError);
    }
    expect(() => parseFdt(bad[1], 'x.dtb')).toThrow(/^x\.dtb: bad magic/);
  });
});

describe('buildVirtDtb', () => {
  it('describes the board like QEMU virt', () => {
    const fdt = parseFdt(virt({ cpus: 2, bootargs: 'console=ttyAMA0 hello' }));
    const root = fdt.root;
    expect(fdtCells(root.props.get('#address-cells')!)).toEqual([2]);
    expect(fdtCells(root.props.get('#size-cells')!)).toEqual([2]);
    expect(fdtStrings(root.props.get('compatible')!)).toEqual(['linux,dummy-virt']);

    const mem = fdtFind(root, '/memory@40000000')!;
    expect(fdtStrings(mem.props.get('device_type')!)).toEqual(['memory']);
    expect(fdtCells(mem.props.get('reg')!)).toEqual([0, 0x4000_0000, 0, 0x800_0000]);

    const cpus = fdtFind(root, '/cpus')!;
    expect(fdtCells(cpus.props.get('#address-cells')!)).toEqual([1]);
    expect(fdtCells(cpus.props.get('#size-cells')!)).toEqual([0]);
    expect(cpus.children.map((c) => c.name)).toEqual(['cpu-map', 'cpu@0', 'cpu@1']);
    // QEMU's phandles: the clock 0x8000, CPUs from the last (0x8001) to the first, then the GIC.
    expect(fdtCells(fdtFind(root, '/cpus/cpu-map/socket0/cluster0/core0')!.props.get('cpu')!)).toEqual([0x8002]);
    expect(fdtCells(fdtFind(root, '/cpus/cpu@0')!.props.get('phandle')!)).toEqual([0x8002]);
    expect(fdtCells(root.props.get('interrupt-parent')!)).toEqual([0x8003]);
    const gic = fdtFind(root, '/intc@8000000')!;
    expect(fdtStrings(gic.props.get('compatible')!)).toEqual(['arm,gic-v3']);
    expect(fdtCells(gic.props.get('phandle')!)).toEqual([0x8003]);
    expect(fdtCells(gic.props.get('reg')!)).toEqual([0, 0x0800_0000, 0, 0x1_0000, 0, 0x080a_0000, 0, 0xf6_0000]);
    expect(fdtCells(gic.props.get('#redistributor-regions')!)).toEqual([1]);
    expect(gic.props.get('interrupts')).toBeUndefined(); // the maintenance interrupt only with EL2
    const cpu1 = fdtFind(root, '/cpus/cpu@1')!;
    expect(fdtCells(cpu1.props.get('reg')!)).toEqual([1]);
    expect(fdtStrings(cpu1.props.get('device_type')!)).toEqual(['cpu']);
    expect(fdtStrings(cpu1.props.get('enable-method')!)).toEqual(['psci']);
    expect(fdtStrings(cpu1.props.get('compatible')!)).toEqual(['arm,cortex-a57']); // as QEMU's -cpu max says

    const psci = fdtFind(root, '/psci')!;
    expect(fdtStrings(psci.props.get('compatible')!)).toEqual(['arm,psci-1.0', 'arm,psci-0.2', 'arm,psci']);
    expect(fdtStrings(psci.props.get('method')!)).toEqual(['hvc']);
    expect(fdtCells(psci.props.get('cpu_on')!)).toEqual([0xc4000003]);

    const uart = fdtFind(root, '/pl011@9000000')!;
    expect(fdtStrings(uart.props.get('compatible')!)).toEqual(['arm,pl011', 'arm,primecell']);
    expect(fdtCells(uart.props.get('reg')!)).toEqual([0, 0x0900_0000, 0, 0x1000]);
    const clk = fdtFind(root, '/apb-pclk')!;
    const phandle = fdtCells(clk.props.get('phandle')!)[0];
    expect(fdtCells(uart.props.get('clocks')!)).toEqual([phandle, phandle]);
    expect(fdtCells(clk.props.get('clock-frequency')!)).toEqual([24_000_000]);

    const timer = fdtFind(root, '/timer')!;
    expect(fdtStrings(timer.props.get('compatible')!)[0]).toBe('arm,armv8-timer');
    expect(timer.props.get('always-on')!.length).toBe(0);
    // GIC_PPI 13, 14, 11, 10 (secure, non-secure physical, virtual, hyp timers), level high
    expect(fdtCells(timer.props.get('interrupts')!)).toEqual([1, 13, 4, 1, 14, 4, 1, 11, 4, 1, 10, 4]);
    expect(fdtCells(uart.props.get('interrupts')!)).toEqual([0, 1, 4]); // SPI 1 = INTID 33

    const chosen = fdtFind(root, '/chosen')!;
    expect(fdtStrings(chosen.props.get('bootargs')!)).toEqual(['console=ttyAMA0 hello']);
    expect(fdtStrings(chosen.props.get('stdout-path')!)).toEqual(['/pl011@9000000']);
  });

  it('omits bootargs when not given, uses smc on request, and is deterministic', () => {
    const a = virt({ psciMethod: 'smc' });
    expect(Array.from(a)).toEqual(Array.from(virt({ psciMethod: 'smc' })));
    const root = parseFdt(a).root;
    expect(fdtFind(root, '/chosen')!.props.has('bootargs')).toBe(false);
    expect(fdtStrings(fdtFind(root, '/psci')!.props.get('method')!)).toEqual(['smc']);
  });

  it('numbers CPUs past a cluster as QEMU does (Aff1 = index / cluster size)', () => {
    const root = parseFdt(virt({ cpus: 18, clusterSize: 16 })).root;
    expect(fdtCells(fdtFind(root, '/cpus/cpu@17')!.props.get('reg')!)).toEqual([0x101]);
  });

  it('rejects bad CPU counts and NUL in bootargs with UserError', () => {
    expect(() => virt({ cpus: 0 })).toThrow(UserError);
    expect(() => virt({ cpus: 9 })).toThrow(/cpus must be an integer from 1 to 8/);
    expect(() => virt({ bootargs: 'a\0b' })).toThrow(UserError);
  });

  it.skipIf(!hasTool('dtc'))('decodes with dtc', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fdt-'));
    const file = join(dir, 'virt.dtb');
    writeFileSync(file, virt({ cpus: 2, bootargs: 'x=1' }));
    const dts = execFileSync('dtc', ['-I', 'dtb', '-O', 'dts', file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(dts).toContain('compatible = "arm,pl011\\0arm,primecell";');
    expect(dts).toContain('bootargs = "x=1";');
    expect(dts).toContain('reg = <0x00 0x40000000 0x00 0x8000000>;');
  });
});

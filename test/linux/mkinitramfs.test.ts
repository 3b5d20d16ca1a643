// linux/mkinitramfs.mjs: the initramfs is a valid cpio "newc" archive (parsed here independently),
// gzip-compressed, with the entries the boot needs, byte-for-byte reproducible, and bad input gives
// one line and a non-zero status.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

const tool = join(__dirname, '../../linux/mkinitramfs.mjs');

interface CpioEntry { name: string; mode: number; uid: number; gid: number; mtime: number; rdevmajor: number; rdevminor: number; data: Buffer }

/** Parses a newc archive (header "070701", 13 hex fields, name and data padded to 4 bytes). */
function parseNewc(buf: Buffer): CpioEntry[] {
  const out: CpioEntry[] = [];
  let off = 0;
  for (;;) {
    expect(buf.subarray(off, off + 6).toString()).toBe('070701');
    const f = (i: number) => parseInt(buf.subarray(off + 6 + i * 8, off + 14 + i * 8).toString(), 16);
    const [mode, uid, gid, mtime, size, rdevmajor, rdevminor, namesize] = [f(1), f(2), f(3), f(5), f(6), f(9), f(10), f(11)];
    const nameStart = off + 110;
    const name = buf.subarray(nameStart, nameStart + namesize - 1).toString();
    expect(buf[nameStart + namesize - 1]).toBe(0);
    let dataStart = nameStart + namesize;
    dataStart += (4 - (dataStart % 4)) % 4;
    const data = buf.subarray(dataStart, dataStart + size);
    off = dataStart + size;
    off += (4 - (off % 4)) % 4;
    if (name === 'TRAILER!!!') break;
    out.push({ name, mode, uid, gid, mtime, rdevmajor, rdevminor, data });
  }
  expect(off).toBe(buf.length);
  return out;
}

function fixture() {
  const dir = mkdtempSync(join(tmpdir(), 'initramfs-'));
  writeFileSync(join(dir, 'busybox'), Buffer.from('\x7fELF fake busybox'));
  writeFileSync(join(dir, 'init'), '#!/bin/sh\necho hi\n');
  writeFileSync(join(dir, 'vmm'), 'vmm');
  chmodSync(join(dir, 'vmm'), 0o755);
  writeFileSync(join(dir, 'guest.bin'), Buffer.from([1, 2, 3, 4, 5]));
  return dir;
}

function build(dir: string, out: string, extra: string[] = []) {
  return spawnSync(process.execPath, [tool, '--busybox', join(dir, 'busybox'), '--init', join(dir, 'init'), '--out', out, ...extra], { encoding: 'utf8' });
}

describe('mkinitramfs', () => {
  it('writes a gzip-compressed newc archive with busybox, /init, /dev/console and the added files', () => {
    const dir = fixture();
    const out = join(dir, 'a.cpio.gz');
    const r = build(dir, out, ['--add', `${join(dir, 'vmm')}:/bin/pkvm-vmm`, '--add', `${join(dir, 'guest.bin')}:/guests/hello.bin`]);
    expect(r.status, r.stderr).toBe(0);
    const gz = readFileSync(out);
    expect([gz[0], gz[1]]).toEqual([0x1f, 0x8b]);
    const entries = parseNewc(gunzipSync(gz));
    const byName = new Map(entries.map((e) => [e.name, e]));
    expect(entries.map((e) => e.name)).toEqual([...entries.map((e) => e.name)].sort());
    expect(byName.get('init')!.data.toString()).toBe('#!/bin/sh\necho hi\n');
    expect(byName.get('init')!.mode).toBe(0o100755);
    expect(byName.get('bin/busybox')!.data.toString()).toBe('\x7fELF fake busybox');
    expect(byName.get('bin/sh')!.mode & 0o170000).toBe(0o120000);
    expect(byName.get('bin/sh')!.data.toString()).toBe('busybox');
    const con = byName.get('dev/console')!;
    expect([con.mode, con.rdevmajor, con.rdevminor]).toEqual([0o020600, 5, 1]);
    expect(byName.get('bin/pkvm-vmm')!.mode).toBe(0o100755);
    expect([...byName.get('guests/hello.bin')!.data]).toEqual([1, 2, 3, 4, 5]);
    for (const d of ['proc', 'sys', 'dev', 'tmp', 'guests']) expect(byName.get(d)!.mode).toBe(0o040755);
    // every entry's parent directory comes before it (the kernel's unpacker creates none)
    for (const e of entries) if (e.name.includes('/')) expect(entries.findIndex((p) => p.name === e.name.slice(0, e.name.lastIndexOf('/')))).toBeLessThan(entries.indexOf(e));
    for (const e of entries) expect([e.uid, e.gid, e.mtime]).toEqual([0, 0, 0]);
  });

  it('is reproducible: the same inputs give the same bytes', () => {
    const dir = fixture();
    expect(build(dir, join(dir, 'a.gz')).status).toBe(0);
    expect(build(dir, join(dir, 'b.gz')).status).toBe(0);
    expect(readFileSync(join(dir, 'a.gz')).equals(readFileSync(join(dir, 'b.gz')))).toBe(true);
  });

  it('bad input: one line on stderr and status 1', () => {
    const dir = fixture();
    for (const [args, re] of [
      [['--busybox', join(dir, 'nope'), '--init', join(dir, 'init'), '--out', join(dir, 'x')], /nope: no such file/],
      [['--init', join(dir, 'init'), '--out', join(dir, 'x')], /--busybox is required/],
      [['--busybox', join(dir, 'busybox'), '--init', join(dir, 'init'), '--out', join(dir, 'x'), '--add', 'nocolon'], /--add needs SRC:DEST/],
      [['--busybox', join(dir, 'busybox'), '--init', join(dir, 'init'), '--out', join(dir, 'no/such/dir/x')], /cannot write/],
    ] as [string[], RegExp][]) {
      const r = spawnSync(process.execPath, [tool, ...args], { encoding: 'utf8' });
      expect(r.status).toBe(1);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(re);
    }
  });
});

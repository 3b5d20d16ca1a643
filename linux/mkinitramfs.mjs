#!/usr/bin/env node
// Builds the initramfs for the Linux boot: a cpio archive in the "newc" format, gzip-compressed,
// byte-for-byte reproducible (sorted entries, fixed inode numbers, owner root, mtime 0, gzip with no
// name or time). Contents: busybox (static, arm64) as /bin/busybox with /bin/sh, the project's /init,
// /dev/console (the kernel opens it before /init runs), the usual empty mount points, and any
// --add SRC:DEST files (e.g. the project's VMM and guest images).
//   node linux/mkinitramfs.mjs --busybox FILE --init FILE --out FILE.cpio.gz [--add SRC:DEST ...]
import { readFileSync, writeFileSync, statSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

function fail(msg) { process.stderr.write(`mkinitramfs: ${msg}\n`); process.exit(1); }

const args = process.argv.slice(2);
const opt = { add: [] };
for (let i = 0; i < args.length; i++) {
  const a = args[i], v = args[i + 1];
  if (a === '--busybox' || a === '--init' || a === '--out') { if (v === undefined) fail(`${a} needs a value`); opt[a.slice(2)] = v; i++; }
  else if (a === '--add') { if (v === undefined || !v.includes(':')) fail('--add needs SRC:DEST'); opt.add.push(v); i++; }
  else fail(`unknown argument ${a}`);
}
for (const k of ['busybox', 'init', 'out']) if (!opt[k]) fail(`--${k} is required`);

const S_IFDIR = 0o040000, S_IFREG = 0o100000, S_IFLNK = 0o120000, S_IFCHR = 0o020000;
function read(path) { try { return readFileSync(path); } catch (e) { fail(`${path}: ${e.code === 'ENOENT' ? 'no such file' : e.code}`); } }
function isExec(path) { try { return (statSync(path).mode & 0o111) !== 0; } catch { return false; } }

/** @type {{name: string, mode: number, data?: Buffer, rdev?: [number, number]}[]} */
const entries = [];
for (const d of ['bin', 'dev', 'etc', 'proc', 'root', 'sbin', 'sys', 'tmp', 'usr', 'usr/bin', 'usr/sbin', 'var', 'opt']) entries.push({ name: d, mode: S_IFDIR | 0o755 });
entries.push({ name: 'dev/console', mode: S_IFCHR | 0o600, rdev: [5, 1] });
entries.push({ name: 'bin/busybox', mode: S_IFREG | 0o755, data: read(opt.busybox) });
entries.push({ name: 'bin/sh', mode: S_IFLNK | 0o777, data: Buffer.from('busybox') });
entries.push({ name: 'init', mode: S_IFREG | 0o755, data: read(opt.init) });
for (const spec of opt.add) {
  const i = spec.lastIndexOf(':');
  const src = spec.slice(0, i), dest = spec.slice(i + 1).replace(/^\/+/, '');
  if (!dest) fail(`--add ${spec}: empty destination`);
  entries.push({ name: dest, mode: S_IFREG | (isExec(src) ? 0o755 : 0o644), data: read(src) });
  // The kernel's unpacker creates no parent directories: every one must be an entry of its own.
  for (let d = dest.lastIndexOf('/'); d > 0; d = dest.lastIndexOf('/', d - 1)) {
    const dir = dest.slice(0, d);
    if (!entries.some((e) => e.name === dir)) entries.push({ name: dir, mode: S_IFDIR | 0o755 });
  }
}
entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
for (let i = 1; i < entries.length; i++) if (entries[i].name === entries[i - 1].name) fail(`${entries[i].name} added twice`);

const parts = [];
const hex = (n) => n.toString(16).padStart(8, '0');
const pad4 = (n) => (4 - (n % 4)) % 4;
function put(name, mode, data, ino, rdev = [0, 0]) {
  const nameBuf = Buffer.from(name + '\0');
  const fields = [ino, mode, 0, 0, (mode & S_IFDIR) === S_IFDIR ? 2 : 1, 0, data.length, 0, 0, rdev[0], rdev[1], nameBuf.length, 0];
  const hdr = Buffer.from('070701' + fields.map(hex).join(''));
  parts.push(hdr, nameBuf, Buffer.alloc(pad4(hdr.length + nameBuf.length)), data, Buffer.alloc(pad4(data.length)));
}
let ino = 1;
for (const e of entries) put(e.name, e.mode, e.data ?? Buffer.alloc(0), ino++, e.rdev);
put('TRAILER!!!', 0, Buffer.alloc(0), 0);
const cpio = Buffer.concat(parts);
const gz = gzipSync(cpio, { level: 9 });
gz[9] = 3; // OS = Unix, whatever platform zlib was built for
try { writeFileSync(opt.out, gz); } catch (e) { fail(`${opt.out}: cannot write (${e.code})`); }

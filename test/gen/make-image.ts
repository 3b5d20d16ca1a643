// Write a random differential-test image, optionally run it on QEMU.
//   npx tsx test/gen/make-image.ts --seed 1 --count 10000 --out /tmp/r1.elf [--el2] [--strict-align]
//                                  [--classes dpimm,dpreg,...] [--run] [--words]
// --words prints the random block as "address: word" lines (feed to a disassembler when debugging).
import { writeFileSync } from 'node:fs';
import { runQemu } from '../diff/qemu';
import { generateRandomImage } from './random-a64';

function main(argv: string[]): number {
  const opt = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const flag = (name: string) => argv.includes(name);
  const seed = Number(opt('--seed') ?? 1);
  const count = Number(opt('--count') ?? 2000);
  const out = opt('--out') ?? `/tmp/random-a64-${seed}.elf`;
  if (!Number.isInteger(seed) || !Number.isInteger(count) || count < 1) {
    console.error('make-image: --seed and --count must be integers (count >= 1)');
    return 2;
  }
  const el2 = flag('--el2');
  const classes = opt('--classes')?.split(',');
  let img;
  try {
    img = generateRandomImage(seed, count, classes, { el2, strictAlign: flag('--strict-align') });
  } catch (e) {
    console.error(`make-image: ${(e as Error).message}`);
    return 2;
  }
  writeFileSync(out, img.elf);
  console.error(`make-image: wrote ${out} (${img.words.length} block words at 0x${img.blockAddr.toString(16)})`);
  if (flag('--words')) {
    img.words.forEach((w, i) => console.log(`${(img.blockAddr + 4 * i).toString(16)}: ${w.toString(16).padStart(8, '0')}`));
  }
  if (flag('--run')) {
    const r = runQemu(out, { el2 });
    process.stdout.write(r.stdout);
    console.error(`make-image: qemu status ${r.status}${r.timedOut ? ' (timed out)' : ''}, ${r.ms.toFixed(0)} ms`);
    return r.status === 0 ? 0 : 1;
  }
  return 0;
}

process.exitCode = main(process.argv.slice(2));

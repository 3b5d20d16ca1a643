// Write a random FP/SIMD differential-test image and optionally run it on QEMU and pkvm-emu, printing
// the differences:  npx tsx test/gen/fpsimd/make-fp-image.ts --seed 1 --count 2000 [--el2] [--run] [--classes a,b]
import { writeFileSync } from 'node:fs';
import { runQemu } from '../../diff/qemu';
import { compareDumps } from '../../diff/compare';
import { Machine } from '../../../machine/machine';
import { FP_CLASSES } from './fp-encodings';
import { generateFpSimdImage } from './random-fpsimd';

const argv = process.argv.slice(2);
const opt = (n: string) => { const i = argv.indexOf(n); return i >= 0 ? argv[i + 1] : undefined; };
const seed = Number(opt('--seed') ?? 1), count = Number(opt('--count') ?? 2000), el2 = argv.includes('--el2');
const names = opt('--classes')?.split(',');
const classes = names ? FP_CLASSES.filter((c) => names.includes(c.name)) : FP_CLASSES;
const img = generateFpSimdImage(seed, count, classes, { el2 });
const out = opt('--out') ?? `/tmp/fp-${seed}.elf`;
writeFileSync(out, img.elf);
console.error(`wrote ${out}, block at 0x${img.blockAddr.toString(16)}`);
if (argv.includes('--run')) {
  const q = runQemu(out, { el2 }).stdout.toString('latin1');
  const m = new Machine({ el2 });
  m.load(img.elf, 'fp.elf');
  m.run(50_000_000n);
  const ours = m.uartText();
  const d = compareDumps(q, ours);
  console.log(d.length ? d.join('\n') : 'identical');
  if (argv.includes('--show')) console.log(q);
}

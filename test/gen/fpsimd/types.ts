// The interface between the random FP/SIMD image generator (./random-fpsimd.ts) and the lists of
// encoding generators (./fp-encodings.ts, ./simd-encodings.ts).
//
// gen(rng) returns one valid (never UNDEFINED, never CONSTRAINED UNPREDICTABLE) instruction word.
// Register conventions for the words it may produce:
//   V0..V31   any (inputs are seeded with special values; FPCR is random).
//   X0..X27   any as sources or destinations; XZR (31) where the encoding allows it.
//   X28       base of a 4 KiB scratch area (random bytes, checksummed in the dump): a load/store may
//             use [x28, #imm] with 0 <= address offset < 4096 but must never write x28.
//   X29, X30, SP: never used (the harness owns them).
import { Rng } from '../prng';

export type Prng = Rng;

export interface EncodingClass {
  name: string;
  gen(rng: Prng): number;
}

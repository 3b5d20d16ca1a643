import type { Rng as Prng } from '../prng';
export interface EncodingClass { name: string; gen(rng: Prng): number }

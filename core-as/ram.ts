// Guest RAM: physical [RAM_BASE_PA, RAM_BASE_PA + ramSize) lives at RAM_HOST in linear memory.
import { RAM_BASE_PA, RAM_HOST } from './layout';

export let ramSize: u64 = 0;

export function setRamSize(bytes: u64): void { ramSize = bytes; }

@inline export function isRam(pa: u64): bool {
  return pa - RAM_BASE_PA < ramSize; // unsigned: below the base wraps to a huge value
}

@inline export function ramHostAddr(pa: u64): u32 {
  return RAM_HOST + <u32>(pa - RAM_BASE_PA);
}

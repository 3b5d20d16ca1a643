/**
 * The files a run can write besides its report on stdout (--trace FILE, --report FILE): their paths
 * are checked before the run starts (one clear line and no run at all if one cannot be written),
 * and they are written all or nothing when it ends (writeFileAtomic).
 */
import { accessSync, constants, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { UserError } from '../../machine/errors';
import { writeFileAtomic } from './chrome-trace';

/** Throws a UserError naming `flag` if `path` cannot be created or replaced. */
export function checkOutputPath(path: string, flag: string): void {
  if (!path) throw new UserError(`${flag}: needs a file name`);
  const full = resolve(path);
  let st;
  try { st = statSync(full); } catch { st = null; }
  if (st?.isDirectory()) throw new UserError(`${flag} ${path}: is a directory`);
  const dir = dirname(full);
  let d;
  try { d = statSync(dir); } catch { throw new UserError(`${flag} ${path}: no such directory ${dirname(path)}`); }
  if (!d.isDirectory()) throw new UserError(`${flag} ${path}: ${dirname(path)} is not a directory`);
  try {
    accessSync(dir, constants.W_OK);
    if (st) accessSync(full, constants.W_OK);
  } catch {
    throw new UserError(`${flag} ${path}: cannot write (permission denied)`);
  }
}

/** Writes an output file; a failure is returned as one line (the run itself has completed). */
export function writeOutput(path: string, flag: string, text: string): string | null {
  try {
    writeFileAtomic(path, text);
    return null;
  } catch (e) {
    return `${flag} ${path}: cannot write (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`;
  }
}

// Whether qemu-system-aarch64 is on the PATH: the benchmarks that compare with it skip QEMU's side
// (one row saying so) without it.
import { spawnSync } from 'node:child_process';

export function qemuAvailable(): boolean {
  return spawnSync('sh', ['-c', 'command -v qemu-system-aarch64'], { stdio: 'ignore' }).status === 0;
}

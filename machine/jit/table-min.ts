// The minimum size the core module declares for the function table it imports (env.table): the
// table machine/core.ts creates must be at least that large. Read from the module's import section
// (WebAssembly binary format, sections 5.5.2 and 5.5.5), since WebAssembly.Module.imports() does
// not report limits.
export function importedTableMin(wasm: Uint8Array): number {
  let p = 8;
  const u = (): number => {
    let v = 0, shift = 0, b: number;
    do { b = wasm[p++]; v += (b & 0x7f) * 2 ** shift; shift += 7; } while (b & 0x80);
    return v;
  };
  const name = (): string => { const n = u(); const s = new TextDecoder().decode(wasm.subarray(p, p + n)); p += n; return s; };
  while (p < wasm.length) {
    const id = wasm[p++];
    const size = u();
    if (id !== 2) { p += size; continue; }
    const count = u();
    for (let i = 0; i < count; i++) {
      const mod = name(), field = name();
      const kind = wasm[p++];
      if (kind === 0) u(); // func: type index
      else if (kind === 1) { // table: reftype, limits
        p++;
        const flags = u();
        const min = u();
        if (flags & 1) u();
        if (mod === 'env' && field === 'table') return min;
      } else if (kind === 2) { const flags = u(); u(); if (flags & 1) u(); } // memory
      else if (kind === 3) { p += 2; } // global: valtype, mut
      else throw new Error(`core.wasm: unknown import kind ${kind}`);
    }
    return 0;
  }
  return 0;
}

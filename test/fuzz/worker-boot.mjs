// The entry of a fuzz worker thread (parallel.ts): TypeScript through tsx's loader, then worker.ts.
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');

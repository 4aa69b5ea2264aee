import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Deterministic shuffle (mulberry32) so splits are reproducible. */
export function shuffled<T>(items: T[], seed = 42): T[] {
  const out = [...items];
  let a = seed >>> 0;
  const rand = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** Splits a label-first CSV into shuffled train/validation files; returns their paths and the validation rows. */
export async function splitCsv(source: string, dir: string, validationShare = 0.2) {
  const lines = shuffled(readFileSync(source, 'utf8').trim().split('\n'));
  const cut = Math.round(lines.length * (1 - validationShare));
  const train = join(dir, 'train.csv');
  const validation = join(dir, 'validation.csv');
  await writeFile(train, lines.slice(0, cut).join('\n') + '\n');
  await writeFile(validation, lines.slice(cut).join('\n') + '\n');
  const rows = lines.slice(cut).map((l) => l.split(',').map(Number));
  return { train, validation, validationRows: rows };
}

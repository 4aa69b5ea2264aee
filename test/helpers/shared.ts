import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The shared folder beside the repository (bundled datasets, anchors): `STRATUS_SHARED`, else
 * `../shared` next to this checkout, else `/work/shared` (a clone made elsewhere, as CI does).
 */
export const SHARED = process.env.STRATUS_SHARED ?? [fileURLToPath(new URL('../../../shared', import.meta.url)), '/work/shared'].find((p) => existsSync(p)) ?? '/work/shared';
export const DATASETS = process.env.STRATUS_DATASETS ?? join(SHARED, 'datasets');

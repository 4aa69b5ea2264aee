import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadLinearModel, saveLinearModel, type LinearModel } from './model.js';

const model: LinearModel = {
  predictorType: 'multiclass_classifier',
  numClasses: 3,
  featureCount: 2,
  featureNames: ['a', 'b'],
  threshold: null,
  weights: Float64Array.from([1, 2, 3, 4, 5, 6.5]),
  bias: Float64Array.from([-1, 0, 1]),
  featureMeans: Float64Array.from([0.25, -0.5]),
};

describe('linear-learner model files', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'll-model-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const editManifest = async (edit: (m: Record<string, unknown>) => void) => {
    const m = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as Record<string, unknown>;
    edit(m);
    await writeFile(join(dir, 'manifest.json'), JSON.stringify(m));
  };

  it('round-trips through manifest.json and a little-endian float64 blob', async () => {
    await saveLinearModel(dir, model, { hyperparameters: { epochs: '15' } });
    expect(await loadLinearModel(dir)).toEqual(model);
    const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as Record<string, unknown>;
    expect(manifest).toMatchObject({ format: 'stratus.linear-learner', formatVersion: 1, featureCount: 2, hyperparameters: { epochs: '15' } });
    expect(manifest.tensors).toEqual([
      { name: 'weights', dtype: 'float64', shape: [3, 2], file: 'model.bin', offset: 0 },
      { name: 'bias', dtype: 'float64', shape: [3], file: 'model.bin', offset: 48 },
      { name: 'feature_means', dtype: 'float64', shape: [2], file: 'model.bin', offset: 72 },
    ]);
    const blob = await readFile(join(dir, 'model.bin'));
    expect(blob.readDoubleLE(40)).toBe(6.5);
  });

  it('rejects an unknown format or version with a clear ModelError', async () => {
    await saveLinearModel(dir, model);
    await editManifest((m) => (m.format = 'other'));
    await expect(loadLinearModel(dir)).rejects.toMatchObject({ code: 'ModelError', message: expect.stringContaining("unknown format 'other'") });
    await editManifest((m) => ((m.format = 'stratus.linear-learner'), (m.formatVersion = 2)));
    await expect(loadLinearModel(dir)).rejects.toThrow(/unsupported formatVersion 2; this version of Stratus reads formatVersion 1/);
  });

  it('rejects blob paths outside the folder, short blobs and wrong shapes', async () => {
    await saveLinearModel(dir, model);
    await editManifest((m) => ((m.tensors as { file: string }[])[0].file = '../model.bin'));
    await expect(loadLinearModel(dir)).rejects.toThrow(/invalid file/);
    await saveLinearModel(dir, model);
    await writeFile(join(dir, 'model.bin'), Buffer.alloc(16));
    await expect(loadLinearModel(dir)).rejects.toThrow(/does not fit/);
    await saveLinearModel(dir, model);
    await editManifest((m) => ((m.tensors as { shape: number[] }[])[1].shape = [2]));
    await expect(loadLinearModel(dir)).rejects.toThrow(/shape \[2\], expected \[3\]/);
  });

  it('rejects inconsistent headers and a missing manifest', async () => {
    await expect(loadLinearModel(dir)).rejects.toMatchObject({ code: 'ModelError' });
    await saveLinearModel(dir, model);
    await editManifest((m) => (m.threshold = 0.5));
    await expect(loadLinearModel(dir)).rejects.toThrow(/threshold must be null/);
    await editManifest((m) => ((m.threshold = null), (m.featureNames = ['a'])));
    await expect(loadLinearModel(dir)).rejects.toThrow(/featureNames/);
  });
});

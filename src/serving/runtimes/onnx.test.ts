import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { toOnnx } from '../../algorithms/xgboost/onnx.js';
import { handBuiltModel } from '../../algorithms/xgboost/testdata/hand-built.js';
import { findOnnxFile, loadOnnxHandler } from './onnx.js';

const dirs: string[] = [];
function dirWith(files: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'onnx-'));
  dirs.push(dir);
  for (const f of files) writeFileSync(join(dir, f), toOnnx(handBuiltModel('reg:squarederror')));
  return dir;
}
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('findOnnxFile', () => {
  it('takes model.onnx, else the only .onnx, and says what is wrong otherwise', async () => {
    expect(await findOnnxFile(dirWith(['a.onnx', 'model.onnx']))).toMatch(/model\.onnx$/);
    expect(await findOnnxFile(dirWith(['net.onnx']))).toMatch(/net\.onnx$/);
    await expect(findOnnxFile(dirWith([]))).rejects.toMatchObject({ code: 'ModelError', message: expect.stringContaining('holds no .onnx file') });
    await expect(findOnnxFile(dirWith(['a.onnx', 'b.onnx']))).rejects.toThrow(/several .onnx files \(a.onnx, b.onnx\); name the one to serve model.onnx/);
  });
});

describe('loadOnnxHandler', () => {
  it('answers rows with each output by name, and refuses rows of the wrong length', async () => {
    const handler = await loadOnnxHandler(dirWith(['model.onnx']));
    const out = await handler.answer('0,0,0\n1,2,3', 'text/csv', 'application/json');
    const { predictions } = JSON.parse(out.body) as { predictions: Array<{ variable: number[] }> };
    expect(predictions).toHaveLength(2);
    expect(predictions[0].variable).toHaveLength(1);
    await expect(async () => handler.answer('1,2', 'text/csv', undefined)).rejects.toThrow(
      "model expects 3 values per row (input 'input' float32 [N,3]); row 1 has 2 values, expected 3",
    );
  });
});

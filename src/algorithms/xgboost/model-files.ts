import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { validationError } from '../../core/errors.js';
import type { BoosterModel } from './model.js';
import { fromXGBoostJson } from './xgboost-json.js';

/** The model file's name inside model.tar.gz, as SageMaker's built-in XGBoost writes it. */
export const MODEL_FILE = 'xgboost-model';

/**
 * Loads the booster from a model folder: `xgboost-model`, or else the folder's only file (a
 * model saved by python-xgboost under another name), in XGBoost's JSON format.
 * @throws ValidationError when there is no model file or it is not XGBoost JSON.
 */
export async function loadBoosterFromFolder(dir: string): Promise<BoosterModel> {
  const files = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isFile()).map((e) => e.name);
  const name = files.includes(MODEL_FILE) ? MODEL_FILE : files.length === 1 ? files[0] : undefined;
  if (!name) {
    throw validationError(`no XGBoost model in the artifact: expected a file named '${MODEL_FILE}' (XGBoost JSON, as saved by Booster.save_model('xgboost-model.json')); found ${files.join(', ') || 'no files'}`, { files });
  }
  const text = await readFile(join(dir, name), 'utf8');
  if (!text.trimStart().startsWith('{')) {
    throw validationError(
      `'${name}' is not an XGBoost JSON model (XGBoost writes its binary format when the file name does not end in .json, as SageMaker's container does); ` +
        `load it in python-xgboost and re-save it with Booster.save_model('xgboost-model.json'); the binary and UBJSON formats are not read`,
      { file: name },
    );
  }
  return fromXGBoostJson(text);
}

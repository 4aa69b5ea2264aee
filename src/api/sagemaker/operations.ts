import type { Operation } from './context.js';
import { endpointOperations } from './endpoints.js';
import { modelPackageOperations } from './model-packages.js';
import { modelOperations } from './models.js';
import { tagOperations } from './tags.js';
import { trainingJobOperations } from './training-jobs.js';
import { transformJobOperations } from './transform-jobs.js';

/** Every SageMaker operation Stratus answers, by name (docs/sagemaker-compatibility.md). */
export const OPERATIONS: Readonly<Record<string, Operation>> = Object.freeze({
  ...modelOperations,
  ...endpointOperations,
  ...trainingJobOperations,
  ...transformJobOperations,
  ...tagOperations,
  ...modelPackageOperations,
});

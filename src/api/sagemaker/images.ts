import { validationException } from './errors.js';

/**
 * SageMaker built-in algorithm images → Stratus built-in algorithms. The repository name (the
 * last path segment before `:tag` or `@digest`) identifies the algorithm; registry and tag may be
 * anything (reference §10).
 */
const REPOSITORIES: Readonly<Record<string, string>> = {
  'linear-learner': 'linear-learner',
  'sagemaker-xgboost': 'xgboost',
  xgboost: 'xgboost',
};

/**
 * SageMaker framework images that run your script (script mode, with `sagemaker_program`), by
 * repository name: scikit-learn, PyTorch, TensorFlow, MXNet, XGBoost, Hugging Face, Chainer.
 * Stratus runs the script with its configured Python, so the framework must be installed there.
 */
const FRAMEWORK_REPOSITORIES: ReadonlySet<string> = new Set([
  'sagemaker-scikit-learn',
  'pytorch-training', 'sagemaker-pytorch',
  'tensorflow-training', 'sagemaker-tensorflow', 'sagemaker-tensorflow-scriptmode',
  'mxnet-training', 'sagemaker-mxnet',
  'sagemaker-xgboost', 'xgboost',
  'huggingface-pytorch-training', 'huggingface-tensorflow-training',
  'sagemaker-chainer',
]);

/** Whether an image is a framework image that can run a script (any registry and tag). */
export const isFrameworkImage = (image: string) => FRAMEWORK_REPOSITORIES.has(repositoryOf(image));

/** The image Stratus names for an algorithm in its answers (when the user gave none). */
export const imageOf = (algorithm: string | undefined) => `stratus/${algorithm === 'xgboost' ? 'sagemaker-xgboost' : (algorithm ?? 'model')}:latest`;

export function repositoryOf(image: string): string {
  const last = image.slice(image.lastIndexOf('/') + 1);
  return last.split('@')[0]?.split(':')[0] ?? last;
}

/** @throws ValidationException for an image that is not a supported built-in algorithm. */
export function algorithmOfImage(image: string, path: string): string {
  const repo = repositoryOf(image);
  const algorithm = Object.hasOwn(REPOSITORIES, repo) ? REPOSITORIES[repo] : undefined;
  if (!algorithm) {
    throw validationException(
      `'${path}' names image "${image}" (repository '${repo}'), which is not a built-in algorithm Stratus serves. Supported: linear-learner (e.g. 382416733822.dkr.ecr.us-east-1.amazonaws.com/linear-learner:1) and XGBoost (e.g. 683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1)${path.endsWith('trainingImage') ? `; for your own script, a framework image (${[...FRAMEWORK_REPOSITORIES].join(', ')}) with the sagemaker_program and sagemaker_submit_directory hyperparameters` : ''}. Your own containers are not supported.`,
    );
  }
  return algorithm;
}

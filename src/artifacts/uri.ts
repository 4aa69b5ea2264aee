import { fileURLToPath } from 'node:url';
import { validationError } from '../core/errors.js';
import type { ArtifactStore } from './artifact-store.js';
import { LocalArtifactStore } from './local/local-artifact-store.js';
import { S3ArtifactStore, type S3ArtifactStoreTuning, type S3ConnectionOptions } from './s3/s3-artifact-store.js';

/** Settings of the store implementations that a URL does not carry (plain JSON). */
export interface ArtifactStoreOptions {
  /** How `s3://` stores reach their service. */
  s3?: S3ConnectionOptions & S3ArtifactStoreTuning;
}

/** Builds the ArtifactStore for a parsed root URL of its scheme. */
export type ArtifactStoreFactory = (url: URL, options: ArtifactStoreOptions) => ArtifactStore;

/**
 * The artifact store implementations, keyed by URL scheme (with its colon, as `URL.protocol`
 * gives it). Listed here rather than registered by import side effects.
 */
export const artifactStoreSchemes: Readonly<Record<string, ArtifactStoreFactory>> = Object.freeze({
  'file:': openLocal,
  's3:': (url, options) => S3ArtifactStore.fromUrl(url, options.s3),
});

/**
 * Opens the artifact store rooted at `url` (`file:///var/lib/stratus/artifacts`,
 * `s3://bucket/prefix`).
 *
 * @param options settings the URL does not carry (S3 endpoint, region, credentials).
 * @param schemes the registry to pick from; tests and the composition root may pass their own.
 * @throws PlatformError ValidationError for a malformed URL or a scheme with no implementation.
 */
export function openArtifactStore(
  url: string,
  options: ArtifactStoreOptions = {},
  schemes: Readonly<Record<string, ArtifactStoreFactory>> = artifactStoreSchemes,
): ArtifactStore {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // The URL is left out of messages: a mistyped one may carry credentials.
    throw validationError('artifact store URL is not a valid URL; expected e.g. file:///path/to/folder');
  }
  const factory = Object.hasOwn(schemes, parsed.protocol) ? schemes[parsed.protocol] : undefined;
  if (!factory) {
    const known = Object.keys(schemes).join(', ');
    throw validationError(`artifact store URL has unsupported scheme '${parsed.protocol}'; supported: ${known}`);
  }
  return factory(parsed, options);
}

function openLocal(url: URL): ArtifactStore {
  let root: string;
  try {
    root = fileURLToPath(url);
  } catch (e) {
    throw validationError(`artifact store URL '${url.href}' is not a local file URL: ${(e as Error).message}`, { url: url.href });
  }
  return new LocalArtifactStore(root);
}

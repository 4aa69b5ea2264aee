import { fileURLToPath } from 'node:url';
import { validationError } from '../core/errors.js';
import type { ArtifactStore } from './artifact-store.js';
import { LocalArtifactStore } from './local/local-artifact-store.js';

/** Builds the ArtifactStore for a parsed root URL of its scheme. */
export type ArtifactStoreFactory = (url: URL) => ArtifactStore;

/**
 * The artifact store implementations, keyed by URL scheme (with its colon, as `URL.protocol`
 * gives it). Listed here rather than registered by import side effects.
 */
export const artifactStoreSchemes: Readonly<Record<string, ArtifactStoreFactory>> = Object.freeze({
  'file:': openLocal,
  's3:': () => {
    throw validationError('S3 artifact store is not available yet; use a file:// URL');
  },
});

/**
 * Opens the artifact store rooted at `url` (`file:///var/lib/stratus/artifacts`, later `s3://…`).
 *
 * @param schemes the registry to pick from; tests and the composition root may pass their own.
 * @throws PlatformError ValidationError for a malformed URL or a scheme with no implementation.
 */
export function openArtifactStore(url: string, schemes: Readonly<Record<string, ArtifactStoreFactory>> = artifactStoreSchemes): ArtifactStore {
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
  return factory(parsed);
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

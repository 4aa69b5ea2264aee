import type { Command } from 'commander';
import { resolve } from 'node:path';
import type { Artifact, ArtifactList } from '../../sdk/index.js';
import type { CliContext, ContextOf } from '../context.js';
import { formatBytes, formatTime, listTable } from '../format.js';
import { uploadSourceOf, type UploadSource } from '../pack.js';
import { positiveInt } from '../parse.js';
import { ProgressBar } from '../progress.js';

const UPLOADS = 'uploads/';

/** `stratus artifacts upload|ls|download|rm`. */
export function registerArtifacts(program: Command, ctxOf: ContextOf): void {
  const artifacts = program.command('artifacts').description('files in the artifact store: upload models and source bundles, fetch job outputs');

  artifacts
    .command('upload <local-file-or-folder>')
    .description('upload a file, or a folder packed as .tar.gz, to uploads/<path>; prints its URI (progress on stderr)')
    .option('--as <path>', 'the path under uploads/ (default: the file name, or <folder>.tar.gz)')
    .action(async (local: string, flags: { as?: string }, cmd: Command) => {
      const ctx = ctxOf(cmd);
      const source = await uploadSourceOf(resolve(ctx.io.cwd, local));
      try {
        if (source.packed) ctx.info(`packed ${local} into ${source.name}`);
        const artifact = await uploadWithProgress(ctx, source, stripUploads(flags.as ?? source.name));
        ctx.output(artifact, (a) => a.uri);
      } finally {
        await source.cleanup();
      }
    });

  artifacts
    .command('ls [prefix]')
    .description('list artifacts whose key starts with prefix (all of them without one)')
    .option('--limit <n>', 'at most this many', positiveInt)
    .action(async (prefix: string | undefined, flags: { limit?: number }, cmd: Command) => {
      const ctx = ctxOf(cmd);
      const items: Artifact[] = [];
      for await (const a of ctx.client.artifacts.listAll({ prefix })) {
        if (flags.limit !== undefined && items.length >= flags.limit) break;
        items.push(a);
      }
      ctx.output<ArtifactList>({ items }, renderList);
    });

  artifacts
    .command('download <key> <file>')
    .description('download an artifact (e.g. training-jobs/<job>/output/model.tar.gz) to a local file')
    .action(async (key: string, file: string, _flags: object, cmd: Command) => {
      const ctx = ctxOf(cmd);
      const target = resolve(ctx.io.cwd, file);
      await ctx.client.artifacts.download(key, target);
      ctx.info(`downloaded ${key} to ${target}`);
    });

  artifacts
    .command('rm <path>')
    .description('delete uploads/<path> (the uploads/ prefix is optional); other artifacts are read-only')
    .action(async (path: string, _flags: object, cmd: Command) => {
      const ctx = ctxOf(cmd);
      await ctx.client.artifacts.delete(stripUploads(path));
      ctx.info(`deleted ${UPLOADS}${stripUploads(path)}`);
    });
}

/** Uploads a prepared file to uploads/<path> with a progress bar on stderr. */
export async function uploadWithProgress(ctx: CliContext, source: UploadSource, path: string): Promise<Artifact> {
  const bar = new ProgressBar(ctx.io.stderr);
  const artifact = await ctx.client.artifacts.upload(path, source.file, { onProgress: (s, t) => bar.update(s, t) });
  bar.done('uploaded');
  return artifact;
}

/** A path under uploads/, given with or without that prefix. */
const stripUploads = (path: string) => (path.startsWith(UPLOADS) ? path.slice(UPLOADS.length) : path);

function renderList(list: ArtifactList): string {
  return listTable('artifacts', ['key', 'size', 'modified'], list.items.map((a) => [a.key, formatBytes(a.sizeBytes), formatTime(a.modifiedAt)]));
}

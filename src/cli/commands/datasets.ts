import { Option, type Command } from 'commander';
import type { Dataset, DatasetColumn, DatasetList, DatasetVersion } from '../../sdk/index.js';
import type { ContextOf } from '../context.js';
import { fields, formatBytes, formatTime, listTable, section, table } from '../format.js';
import { positiveInt } from '../parse.js';
import { ProgressBar } from '../progress.js';

interface UploadFlags {
  format?: 'csv' | 'parquet' | 'jsonl';
  header?: boolean;
}

/** `stratus datasets upload|list|describe|delete`. */
export function registerDatasets(program: Command, ctxOf: ContextOf): void {
  const datasets = program.command('datasets').description('upload and inspect versioned datasets');

  datasets
    .command('upload <name> <file>')
    .description('upload a file as a new version of a dataset (streamed; shows progress on stderr)')
    .addOption(new Option('--format <format>', 'file format (default: from the extension)').choices(['csv', 'parquet', 'jsonl']))
    .option('--header', 'the first CSV row names the columns')
    .option('--no-header', 'the CSV has no header row (label in the first column)')
    .action(async (name: string, file: string, flags: UploadFlags, cmd: Command) => {
      const ctx = ctxOf(cmd);
      const bar = new ProgressBar(ctx.io.stderr);
      // With both --header and --no-header defined, commander leaves `header` undefined unless one is given.
      const version = await ctx.client.datasets.upload(name, file, { format: flags.format, header: flags.header, onProgress: (s, t) => bar.update(s, t) });
      bar.done('uploaded');
      ctx.output(version, (v) => `${v.dataset} version ${v.version}: ${v.rows} rows, ${v.columns.length} columns (${v.format})`);
    });

  datasets
    .command('list')
    .description('list datasets')
    .option('--limit <n>', 'at most this many', positiveInt)
    .option('--name-contains <text>', 'only names containing this')
    .action(async (flags: { limit?: number; nameContains?: string }, cmd: Command) => {
      const ctx = ctxOf(cmd);
      ctx.output(await ctx.client.datasets.list(flags), renderList);
    });

  datasets
    .command('describe <name>')
    .description('show a dataset version: rows, columns and their statistics')
    .option('--version <n>', 'this version instead of the latest', positiveInt)
    .action(async (name: string, flags: { version?: number }, cmd: Command) => {
      const ctx = ctxOf(cmd);
      if (flags.version !== undefined) ctx.output(await ctx.client.datasets.getVersion(name, flags.version), renderVersion);
      else ctx.output(await ctx.client.datasets.get(name), renderDataset);
    });

  datasets
    .command('delete <name>')
    .description('delete a dataset and all its versions')
    .action(async (name: string, _flags: object, cmd: Command) => {
      const ctx = ctxOf(cmd);
      await ctx.client.datasets.delete(name);
      ctx.info(`deleted dataset ${name}`);
    });
}

function renderList(list: DatasetList): string {
  return listTable(
    'datasets',
    ['name', 'latest version', 'updated'],
    list.items.map((d) => [d.name, d.latestVersion, formatTime(d.updatedAt)]),
  );
}

function renderDataset(d: Dataset): string {
  const versions = (d.versions ?? []).map((v) => [v.version, v.rows, formatBytes(v.sizeBytes), v.format, formatTime(v.createdAt)]);
  const latest = d.latest ? `\n${renderVersion(d.latest)}` : '';
  return `${fields([['Name', d.name], ['ARN', d.arn], ['Latest version', d.latestVersion]])}${latest}${
    versions.length > 1 ? section('Versions', table(['version', 'rows', 'size', 'format', 'created'], versions)) : ''
  }`;
}

function renderVersion(v: DatasetVersion): string {
  const summary = fields([
    ['Dataset', v.dataset],
    ['Version', v.version],
    ['Format', `${v.format}${v.format === 'csv' ? (v.header ? ' (with header)' : ' (no header)') : ''}`],
    ['Rows', v.rows],
    ['Size', formatBytes(v.sizeBytes)],
    ['S3 URI', v.s3Uri],
    ['Created', formatTime(v.createdAt)],
  ]);
  return `${summary}${section('Columns', renderColumns(v.columns))}`;
}

function renderColumns(columns: DatasetColumn[]): string {
  return table(
    ['column', 'type', 'nulls', 'distinct', 'min', 'max', 'mean', 'std'],
    columns.map((c) => [c.name, c.type, c.nullCount, c.distinctCount, c.min, c.max, c.mean, c.std]),
  );
}

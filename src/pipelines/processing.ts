import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type { ArtifactStore } from '../artifacts/artifact-store.js';
import type { DatasetFormat, DatasetVersion } from '../contracts/dataset.js';
import { PlatformError, validationError } from '../core/errors.js';
import type { DatasetService } from '../data/dataset-service.js';

export interface ProcessingInput {
  dataset: string;
  version: number;
}

export interface ProcessingRequest {
  inputs: Record<string, ProcessingInput>;
  sql: string;
  output: { dataset: string; format?: DatasetFormat; header?: boolean };
}

const sqlString = (s: string) => `'${s.replace(/'/g, "''")}'`;
const ident = (s: string) => `"${s.replace(/"/g, '""')}"`;

/** The same reader options as data/statistics.ts: SageMaker's CSV dialect, types sniffed over the whole file. */
function reader(file: string, format: string, header: boolean): string {
  const p = sqlString(file);
  if (format === 'csv') return `read_csv(${p}, header=${header}, delim=',', quote='"', escape='"', comment='', skip=0, auto_detect=true, sample_size=-1)`;
  if (format === 'parquet') return `read_parquet(${p})`;
  return `read_json(${p}, format='newline_delimited', sample_size=-1)`;
}

/**
 * A processing step's SQL: each input dataset version becomes a table named by its alias, the
 * query runs in an in-process DuckDB, and its result is uploaded as the next version of the output
 * dataset (through DatasetService, so it is described and announced like any upload).
 *
 * The user's SQL runs with DuckDB's `enable_external_access` off and the configuration locked, so
 * it can read only the input tables (no `read_csv('/etc/passwd')`, no `COPY … TO`); a second
 * connection on the same database file then writes the result out.
 */
export async function runProcessing(req: ProcessingRequest, deps: { datasets: DatasetService; artifacts: ArtifactStore }, signal: AbortSignal): Promise<DatasetVersion> {
  const dir = await mkdtemp(join(tmpdir(), 'stratus-processing-'));
  const dbFile = join(dir, 'work.duckdb');
  const format = req.output.format ?? 'csv';
  let header = req.output.header;
  try {
    const sandbox = await DuckDBInstance.create(dbFile, { temp_directory: join(dir, 'spill') });
    try {
      const conn = await sandbox.connect();
      try {
        for (const [alias, input] of Object.entries(req.inputs)) {
          const v = await deps.datasets.getVersion(input.dataset, input.version);
          const local = join(dir, `${alias}.${v.format}`);
          await deps.artifacts.download(deps.artifacts.keyOf(v.uri), local);
          header ??= v.header;
          await conn.run(`CREATE TABLE ${ident(alias)} AS SELECT * FROM ${reader(local, v.format, v.header)}`);
        }
        if (signal.aborted) throw signal.reason;
        await conn.run('SET enable_external_access = false');
        await conn.run('SET lock_configuration = true');
        try {
          await conn.run(`CREATE TABLE "__stratus_result" AS ${req.sql.trim().replace(/;\s*$/, '')}`);
        } catch (e) {
          throw validationError(`the processing SQL failed: ${firstLine(e)}`, { sql: req.sql });
        }
      } finally {
        conn.closeSync();
      }
    } finally {
      sandbox.closeSync();
    }
    if (signal.aborted) throw signal.reason;
    const out = join(dir, `result.${format}`);
    const writer = await DuckDBInstance.create(dbFile);
    try {
      const conn = await writer.connect();
      try {
        const options = format === 'csv' ? `(FORMAT csv, HEADER ${header ? 'true' : 'false'})` : format === 'parquet' ? '(FORMAT parquet)' : '(FORMAT json)';
        await conn.run(`COPY "__stratus_result" TO ${sqlString(out)} ${options}`);
      } finally {
        conn.closeSync();
      }
    } finally {
      writer.closeSync();
    }
    return await deps.datasets.upload(req.output.dataset, createReadStream(out), { format, header: format === 'csv' ? Boolean(header) : true, signal });
  } catch (e) {
    if (e instanceof PlatformError) throw e;
    if (signal.aborted) throw e;
    throw new PlatformError('ValidationError', `processing failed: ${firstLine(e)}`, undefined, { cause: e });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const firstLine = (e: unknown) => (e instanceof Error ? e.message : String(e)).split('\n')[0].slice(0, 1000);

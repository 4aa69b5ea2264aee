import type { StatusTransition } from '../metadata-store.js';
import { compact, orUndefined, toDate, toMillis, toOptionalDate } from './codec.js';
import type { Db, TransitionTable } from './schema.js';

/** Status history tables; both have the TransitionTable shape, keyed by (owner_name, seq). */
export type TransitionTableName = 'training_job_transitions' | 'endpoint_transitions' | 'transform_job_transitions' | 'evaluation_job_transitions';

export interface NextTransition {
  status: string;
  at: Date;
  message?: string;
}

/**
 * Closes the owner's open transition (endTime = at) and appends the next one. Callers lock the
 * owner row first (by updating it in the same transaction), so `seq` cannot race.
 */
export async function advanceTransition(db: Db, table: TransitionTableName, owner: string, next: NextTransition) {
  const at = toMillis(next.at);
  await db
    .updateTable(table)
    .set({ end_time: at })
    .where('owner_name', '=', owner)
    .where('end_time', 'is', null)
    .execute();
  const { last } = await db
    .selectFrom(table)
    .select((eb) => eb.fn.max('seq').as('last'))
    .where('owner_name', '=', owner)
    .executeTakeFirstOrThrow();
  await db
    .insertInto(table)
    .values({ owner_name: owner, seq: Number(last ?? 0) + 1, status: next.status, start_time: at, message: next.message ?? null })
    .execute();
}

function toTransition(row: TransitionTable): StatusTransition {
  return compact({
    status: row.status,
    startTime: toDate(row.start_time),
    endTime: toOptionalDate(row.end_time),
    message: orUndefined(row.message),
  });
}

/** Histories of the given owners, oldest first; owners without rows map to []. */
export async function loadTransitions(
  db: Db,
  table: TransitionTableName,
  owners: string[],
): Promise<Map<string, StatusTransition[]>> {
  const byOwner = new Map(owners.map((o): [string, StatusTransition[]] => [o, []]));
  if (owners.length === 0) return byOwner;
  const rows = await db
    .selectFrom(table)
    .selectAll()
    .where('owner_name', 'in', owners)
    .orderBy('owner_name')
    .orderBy('seq')
    .execute();
  for (const row of rows) byOwner.get(row.owner_name)?.push(toTransition(row));
  return byOwner;
}

export async function deleteTransitions(db: Db, table: TransitionTableName, owner: string): Promise<void> {
  await db.deleteFrom(table).where('owner_name', '=', owner).execute();
}

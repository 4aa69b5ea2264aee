import type { ResourceDocumentRepository, ResourceRef, ResourceTagRepository } from '../metadata-store.js';
import { fromJson, toJson, toMillis } from './codec.js';
import { inTransaction, type Db } from './schema.js';

/*
 * Rows keyed by (kind, name) and stamped with the resource's created_at. A row whose stamp is not
 * the current resource's belongs to a deleted one of the same name: it is ignored on read and
 * replaced on write, so nothing needs cleaning up when a resource is deleted by any route.
 */

/** Tags changed after creation (AddTags / DeleteTags). */
export class SqlResourceTagRepository implements ResourceTagRepository {
  constructor(private readonly db: Db) {}

  async changes(ref: ResourceRef): Promise<Record<string, string | null>> {
    const rows = await this.db
      .selectFrom('resource_tags')
      .select(['key', 'value'])
      .where('resource_kind', '=', ref.kind)
      .where('resource_name', '=', ref.name)
      .where('resource_created_at', '=', toMillis(ref.createdAt))
      .orderBy('key')
      .execute();
    return Object.fromEntries(rows.map((r) => [r.key, r.value]));
  }

  async record(ref: ResourceRef, changes: Record<string, string | null>): Promise<void> {
    const stamp = toMillis(ref.createdAt);
    await inTransaction(this.db, async (tx) => {
      const where = tx.deleteFrom('resource_tags').where('resource_kind', '=', ref.kind).where('resource_name', '=', ref.name);
      await where.where('resource_created_at', '<>', stamp).execute();
      const keys = Object.keys(changes);
      if (keys.length === 0) return;
      await tx.deleteFrom('resource_tags').where('resource_kind', '=', ref.kind).where('resource_name', '=', ref.name).where('key', 'in', keys).execute();
      await tx
        .insertInto('resource_tags')
        .values(keys.map((key) => ({ resource_kind: ref.kind, resource_name: ref.name, resource_created_at: stamp, key, value: changes[key] })))
        .execute();
    });
  }
}

/** The SageMaker request a resource was created from, echoed by Describe*. */
export class SqlResourceDocumentRepository implements ResourceDocumentRepository {
  constructor(private readonly db: Db) {}

  async put(ref: ResourceRef, document: Record<string, unknown>): Promise<void> {
    await inTransaction(this.db, async (tx) => {
      await tx.deleteFrom('resource_documents').where('resource_kind', '=', ref.kind).where('resource_name', '=', ref.name).execute();
      await tx
        .insertInto('resource_documents')
        .values({ resource_kind: ref.kind, resource_name: ref.name, resource_created_at: toMillis(ref.createdAt), document: toJson(document) })
        .execute();
    });
  }

  async putIf(ref: ResourceRef, document: Record<string, unknown>, expected: Record<string, unknown> | undefined): Promise<boolean> {
    const stamp = toMillis(ref.createdAt);
    const values = { resource_kind: ref.kind, resource_name: ref.name, resource_created_at: stamp, document: toJson(document) };
    if (expected !== undefined) {
      // `expected` came from find(), so it serializes to the stored text exactly
      const r = await this.db
        .updateTable('resource_documents')
        .set({ document: values.document })
        .where('resource_kind', '=', ref.kind)
        .where('resource_name', '=', ref.name)
        .where('resource_created_at', '=', stamp)
        .where('document', '=', toJson(expected))
        .executeTakeFirst();
      return r.numUpdatedRows > 0n;
    }
    return inTransaction(this.db, async (tx) => {
      // a row of a deleted incarnation counts as none; the primary key lets one insert win
      await tx.deleteFrom('resource_documents').where('resource_kind', '=', ref.kind).where('resource_name', '=', ref.name).where('resource_created_at', '<>', stamp).execute();
      const r = await tx.insertInto('resource_documents').values(values).onConflict((oc) => oc.columns(['resource_kind', 'resource_name']).doNothing()).executeTakeFirst();
      return (r.numInsertedOrUpdatedRows ?? 0n) > 0n;
    });
  }

  async find(ref: ResourceRef): Promise<Record<string, unknown> | undefined> {
    const row = await this.db
      .selectFrom('resource_documents')
      .select('document')
      .where('resource_kind', '=', ref.kind)
      .where('resource_name', '=', ref.name)
      .where('resource_created_at', '=', toMillis(ref.createdAt))
      .executeTakeFirst();
    return row && fromJson<Record<string, unknown>>(row.document);
  }
}

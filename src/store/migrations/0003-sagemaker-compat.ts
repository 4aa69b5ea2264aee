import type { Kysely, Migration } from 'kysely';

/*
 * What the SageMaker-compatible API needs beyond the native resources (see
 * docs/sagemaker-compatibility.md): access keys for SigV4, tags that can change after a resource
 * is created, and the SageMaker request as given (to echo it in Describe*). Tags and documents
 * belong to one incarnation of a resource: `resource_created_at` is the resource's created_at, so
 * rows left by a deleted resource never attach to a new one of the same name.
 */
export const sagemakerCompat: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('access_keys')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('secret', 'text', (c) => c.notNull())
      .addColumn('role', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('resource_tags')
      .addColumn('resource_kind', 'text', (c) => c.notNull())
      .addColumn('resource_name', 'text', (c) => c.notNull())
      .addColumn('resource_created_at', 'bigint', (c) => c.notNull())
      .addColumn('key', 'text', (c) => c.notNull())
      // NULL: the key was deleted (it may still be in the resource's own creation-time tags).
      .addColumn('value', 'text')
      .addPrimaryKeyConstraint('resource_tags_pk', ['resource_kind', 'resource_name', 'key'])
      .execute();
    await db.schema
      .createTable('resource_documents')
      .addColumn('resource_kind', 'text', (c) => c.notNull())
      .addColumn('resource_name', 'text', (c) => c.notNull())
      .addColumn('resource_created_at', 'bigint', (c) => c.notNull())
      .addColumn('document', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('resource_documents_pk', ['resource_kind', 'resource_name'])
      .execute();
  },
  async down(db: Kysely<unknown>) {
    for (const table of ['resource_documents', 'resource_tags', 'access_keys']) await db.schema.dropTable(table).execute();
  },
};

import type { Kysely, Migration } from 'kysely';

/*
 * Several API nodes follow one rollout (issue 9, item 4): the state of an endpoint's update under
 * way (new config, policy, traffic steps, current step, driving node) as JSON on the endpoint
 * row, null when no update runs. Every node's router applies the stored step; the leader resumes
 * a rollout whose driving node died.
 */
export const endpointRollouts: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('endpoints').addColumn('rollout', 'text').execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.alterTable('endpoints').dropColumn('rollout').execute();
  },
};

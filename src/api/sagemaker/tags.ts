import type { ResourceRef } from '../../store/metadata-store.js';
import { parseArn, tagList, tagMap, type OpContext, type Operation } from './context.js';
import { AwsError, validationException } from './errors.js';
import { list, req, str, struct, tags } from './shape.js';

const ARN = str({ max: 256, pattern: '^arn:aws[a-z-]*:sagemaker:[a-z0-9-]*:[0-9]{12}:.+$' });
const MAX_TAGS = 50;

/** A resource's current incarnation and the tags it was created with (kept in its spec). */
async function resolve(ctx: OpContext, arn: string): Promise<{ ref: ResourceRef; initial: Record<string, string> }> {
  const { kind, name } = parseArn(arn);
  const { store } = ctx.platform;
  const found =
    kind === 'model' ? await store.models.find(name)
    : kind === 'endpoint-config' ? await store.endpointConfigs.find(name)
    : kind === 'endpoint' ? await store.endpoints.find(name)
    : kind === 'training-job' ? await store.trainingJobs.find(name)
    : kind === 'transform-job' ? await store.transformJobs.find(name)
    : undefined;
  if (!found) throw validationException(`Could not find resource "${arn}".`);
  const spec = 'spec' in found ? (found.spec as { tags?: Record<string, string> }) : {};
  return { ref: { kind, name, createdAt: found.createdAt }, initial: spec.tags ?? {} };
}

async function effectiveTags(ctx: OpContext, ref: ResourceRef, initial: Record<string, string>): Promise<Record<string, string>> {
  const merged: Record<string, string | null> = { ...initial, ...(await ctx.platform.store.resourceTags.changes(ref)) };
  return Object.fromEntries(Object.entries(merged).filter((e): e is [string, string] => e[1] !== null));
}

/** Tags given to a Create* operation (resources created through this API keep them here, not in their spec). */
export async function recordCreationTags(ctx: OpContext, ref: ResourceRef, given: Array<{ Key: string; Value: string }> | undefined) {
  if (given?.length) await ctx.platform.store.resourceTags.record(ref, tagMap(given));
}

export const tagOperations: Record<string, Operation> = {
  AddTags: {
    readOnly: false,
    input: struct({ ResourceArn: req(ARN), Tags: req(tags) }),
    async run(input, ctx) {
      const { ref, initial } = await resolve(ctx, input.ResourceArn);
      const added = tagMap(input.Tags);
      const after = { ...(await effectiveTags(ctx, ref, initial)), ...added };
      if (Object.keys(after).length > MAX_TAGS) throw new AwsError('ResourceLimitExceeded', `A resource can have at most ${MAX_TAGS} tags; this request would give it ${Object.keys(after).length}.`);
      await ctx.platform.store.resourceTags.record(ref, added);
      return { Tags: tagList(added) };
    },
  },

  ListTags: {
    readOnly: true,
    input: struct({ ResourceArn: req(ARN), NextToken: str({ max: 8192 }), MaxResults: { t: 'int', min: 50 } }),
    async run(input, ctx) {
      const { ref, initial } = await resolve(ctx, input.ResourceArn);
      // At most 50 tags per resource: one page always holds them all.
      return { Tags: tagList(await effectiveTags(ctx, ref, initial)) };
    },
  },

  DeleteTags: {
    readOnly: false,
    input: struct({ ResourceArn: req(ARN), TagKeys: req(list(str({ min: 1, max: 128 }), { min: 1, max: 50 })) }),
    async run(input, ctx) {
      const { ref } = await resolve(ctx, input.ResourceArn);
      await ctx.platform.store.resourceTags.record(ref, Object.fromEntries((input.TagKeys as string[]).map((k) => [k, null])));
      return {};
    },
  },
};

import type { Command } from 'commander';
import type { AccessKeyList } from '../../sdk/resources/access-keys.js';
import type { ContextOf } from '../context.js';
import { formatTime, listTable } from '../format.js';

/** `stratus access-keys create|list|revoke`: SigV4 keys for the AWS SDKs and boto3. */
export function registerAccessKeys(program: Command, ctxOf: ContextOf): void {
  const keys = program.command('access-keys').description('access keys for the SageMaker-compatible API (AWS SDKs, boto3)');

  keys
    .command('create')
    .description("create an access key pair with your token's role; the secret is shown once")
    .action(async (_flags: object, cmd: Command) => {
      const ctx = ctxOf(cmd);
      const key = await ctx.client.accessKeys.create();
      ctx.output(key, (k) =>
        [
          `access key id:     ${k.accessKeyId}`,
          `secret access key: ${k.secretAccessKey}   (shown once)`,
          `role:              ${k.role}`,
          '',
          `export AWS_ACCESS_KEY_ID=${k.accessKeyId} AWS_SECRET_ACCESS_KEY=${k.secretAccessKey} AWS_ENDPOINT_URL_SAGEMAKER=${ctx.client.url} AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME=${ctx.client.url}`,
        ].join('\n'),
      );
    });

  keys
    .command('list')
    .description('list access keys (never their secrets)')
    .action(async (_flags: object, cmd: Command) => {
      const ctx = ctxOf(cmd);
      ctx.output(await ctx.client.accessKeys.list(), (list: AccessKeyList) =>
        listTable('access keys', ['access key id', 'role', 'created'], list.items.map((k) => [k.accessKeyId, k.role, formatTime(k.createdAt)])),
      );
    });

  keys
    .command('revoke <access-key-id>')
    .description('revoke an access key: requests signed with it are refused from now on')
    .action(async (id: string, _flags: object, cmd: Command) => {
      const ctx = ctxOf(cmd);
      await ctx.client.accessKeys.revoke(id);
      ctx.info(`revoked access key ${id}`);
    });
}

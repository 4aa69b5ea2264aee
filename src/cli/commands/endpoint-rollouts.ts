import { InvalidArgumentError, type Command } from 'commander';
import { parseAlarmSpec, type DeploymentConfig, type RollbackAlarm, type ScalingEventList, type ScalingPolicy } from '../../sdk/index.js';
import type { ContextOf } from '../context.js';
import { UsageError } from '../errors.js';
import { fields, formatTime, listTable } from '../format.js';
import { positiveInt } from '../parse.js';

/** Flags of `stratus endpoints update` that make a deployment policy. */
export interface DeploymentFlags {
  canary?: number;
  linear?: number;
  waitInterval?: number;
  alarm?: RollbackAlarm[];
  maxTime?: number;
  terminationWait?: number;
}

/** `errors:errorRate>0.05/10s` → a rollback alarm (name, metric, threshold, window in seconds; `m` for minutes). */
export function rollbackAlarm(text: string): RollbackAlarm {
  const alarm = parseAlarmSpec(text);
  if (alarm) return alarm;
  const metric = /^[^:]+:(\w+)>/.exec(text.trim())?.[1];
  if (metric && !['errorRate', '5xxRate', 'p99LatencyMs'].includes(metric)) throw new InvalidArgumentError(`unknown metric '${metric}'; use errorRate, 5xxRate, p99LatencyMs.`);
  throw new InvalidArgumentError(`expected name:metric>threshold/window, e.g. errors:errorRate>0.05/10s, got '${text}'.`);
}

export const collectAlarm = (value: string, previous: RollbackAlarm[] = []) => [...previous, rollbackAlarm(value)];

const nonNegativeInt = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a whole number of at least 0.');
  return n;
};

const percent = (value: string) => {
  const n = positiveInt(value);
  if (n > 100) throw new InvalidArgumentError('expected a percentage from 1 to 100.');
  return n;
};

/** Adds the deployment-policy options to `stratus endpoints update`. */
export function deploymentOptions(cmd: Command): Command {
  return cmd
    .option('--canary <percent>', 'shift this share of the traffic first, bake, then the rest', percent)
    .option('--linear <percent>', 'shift the traffic in steps of this share, baking after each', percent)
    .option('--wait-interval <seconds>', 'bake time after each step while the alarms watch the new fleet (default 0)', nonNegativeInt)
    .option('--alarm <spec>', 'roll back when this breaches on the new fleet, e.g. errors:errorRate>0.05/10s (metrics: errorRate, 5xxRate, p99LatencyMs; repeatable)', collectAlarm)
    .option('--max-time <seconds>', 'roll back unless the shift completes within this', positiveInt)
    .option('--termination-wait <seconds>', 'keep the old fleet this long after the shift', nonNegativeInt);
}

/** The deployment policy the flags ask for; undefined when none was asked for (all at once). */
export function deploymentFrom(flags: DeploymentFlags): DeploymentConfig | undefined {
  if (flags.canary !== undefined && flags.linear !== undefined) throw new UsageError('give --canary or --linear, not both');
  const asked = [flags.canary, flags.linear, flags.waitInterval, flags.alarm, flags.maxTime, flags.terminationWait].some((f) => f !== undefined);
  if (!asked) return undefined;
  const waitIntervalSeconds = flags.waitInterval ?? 0;
  const trafficRouting: DeploymentConfig['trafficRouting'] =
    flags.canary !== undefined
      ? { type: 'CANARY', waitIntervalSeconds, canarySize: { type: 'CAPACITY_PERCENT', value: flags.canary } }
      : flags.linear !== undefined
        ? { type: 'LINEAR', waitIntervalSeconds, linearStepSize: { type: 'CAPACITY_PERCENT', value: flags.linear } }
        : { type: 'ALL_AT_ONCE', waitIntervalSeconds };
  return {
    trafficRouting,
    ...(flags.maxTime !== undefined ? { maximumExecutionTimeoutSeconds: flags.maxTime } : {}),
    ...(flags.terminationWait !== undefined ? { terminationWaitSeconds: flags.terminationWait } : {}),
    ...(flags.alarm ? { rollback: { alarms: flags.alarm } } : {}),
  };
}

interface AutoscaleFlags {
  variant: string;
  min?: number;
  max?: number;
  target?: number;
  cpu?: number;
  scaleOutCooldown?: number;
  scaleInCooldown?: number;
  window?: number;
  off?: boolean;
}

/** `stratus endpoints autoscale|events`. */
export function registerEndpointScaling(endpoints: Command, ctxOf: ContextOf): void {
  endpoints
    .command('autoscale <name>')
    .description("set a variant's autoscaling policy: target invocations per instance per minute, min/max instances, cooldowns")
    .requiredOption('--variant <variant>', 'the production variant to scale')
    .option('--min <n>', 'fewest instances', positiveInt)
    .option('--max <n>', 'most instances', positiveInt)
    .option('--target <invocations>', 'target invocations per instance per minute', positiveInt)
    .option('--cpu <percent>', 'also keep the replicas this busy, in percent', percent)
    .option('--scale-out-cooldown <seconds>', 'after a scale-out, wait this long before scaling again (default 300)', nonNegativeInt)
    .option('--scale-in-cooldown <seconds>', 'after a scale-in, wait this long before scaling in again (default 300)', nonNegativeInt)
    .option('--window <seconds>', 'measure the invocation rate over this window (default 60)', positiveInt)
    .option('--off', 'remove the policy (the instance count stays where it is)')
    .action(async (name: string, flags: AutoscaleFlags, cmd: Command) => {
      const ctx = ctxOf(cmd);
      if (flags.off) {
        await ctx.client.endpoints.deleteScaling(name, flags.variant);
        ctx.info(`autoscaling of ${name}/${flags.variant} removed`);
        return;
      }
      if (flags.min === undefined || flags.max === undefined || flags.target === undefined) throw new UsageError('give --min, --max and --target (or --off)');
      const policy = await ctx.client.endpoints.setScaling(name, flags.variant, {
        minInstances: flags.min,
        maxInstances: flags.max,
        targetInvocationsPerInstancePerMinute: flags.target,
        ...(flags.cpu !== undefined ? { targetCpuPercent: flags.cpu } : {}),
        ...(flags.scaleOutCooldown !== undefined ? { scaleOutCooldownSeconds: flags.scaleOutCooldown } : {}),
        ...(flags.scaleInCooldown !== undefined ? { scaleInCooldownSeconds: flags.scaleInCooldown } : {}),
        ...(flags.window !== undefined ? { metricWindowSeconds: flags.window } : {}),
      });
      ctx.output(policy, renderPolicy);
    });

  endpoints
    .command('events <name>')
    .description('autoscaling decisions of an endpoint, newest first')
    .option('--variant <variant>', 'only this variant')
    .option('--limit <n>', 'at most this many', positiveInt)
    .action(async (name: string, flags: { variant?: string; limit?: number }, cmd: Command) => {
      const ctx = ctxOf(cmd);
      ctx.output(await ctx.client.endpoints.scalingEvents(name, flags), renderEvents);
    });
}

function renderPolicy(p: ScalingPolicy): string {
  return fields([
    ['Endpoint', p.endpoint],
    ['Variant', p.variant],
    ['Instances', `${p.minInstances}..${p.maxInstances}`],
    ['Target', `${p.targetInvocationsPerInstancePerMinute} invocations/instance/min over ${p.metricWindowSeconds} s`],
    ['CPU target', p.targetCpuPercent === undefined ? undefined : `${p.targetCpuPercent}%`],
    ['Cooldowns', `out ${p.scaleOutCooldownSeconds} s, in ${p.scaleInCooldownSeconds} s`],
  ]);
}

function renderEvents(list: ScalingEventList): string {
  return listTable(
    'scaling events',
    ['time', 'variant', 'action', 'instances', 'reason'],
    list.items.map((e) => [formatTime(e.at), e.variant, e.action, `${e.fromInstances} → ${e.toInstances}`, e.reason]),
  );
}

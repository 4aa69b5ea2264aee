import type { DeploymentConfig } from '../contracts/deployment.js';
import type { EndpointVariantState } from '../contracts/endpoint.js';
import type { EndpointRecord } from '../store/metadata-store.js';

/**
 * An update under way as the endpoint row keeps it (migration 0010), so that every API node
 * routes by the same step and the leader can resume an update whose driving node died. Written
 * by the driving node at the start, at each step and when rolling back; cleared at the end.
 */
export interface StoredRollout {
  /** The new (green) config and its variants. */
  config: string;
  variants: EndpointVariantState[];
  deployment: DeploymentConfig;
  /** Green's share after each step, ascending and ending with 1 (rollout.ts, planDeployment). */
  steps: number[];
  /** The 1-based step under way; 0 while green starts. */
  step: number;
  /** ISO time the update began (the base of maximumExecutionTimeoutSeconds). */
  startedAt: string;
  /** The cluster node that drives it: shifts traffic, evaluates the alarms, writes the status. */
  driver: string;
}

export const storedRollout = (r: EndpointRecord): StoredRollout | undefined => r.rollout as StoredRollout | undefined;

/** Green's share of the traffic at the stored step. */
export const greenShareOf = (s: StoredRollout): number => (s.step === 0 ? 0 : s.steps[s.step - 1]);

/** What GET /endpoints/{name} shows while an update shifts traffic. */
export const pendingDeploymentOf = (s: StoredRollout) => ({
  config: s.config,
  trafficPercent: Number((greenShareOf(s) * 100).toFixed(1)),
  step: s.step,
  steps: s.steps.length,
  startedAt: s.startedAt,
});

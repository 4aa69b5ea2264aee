export { describeStats, reduceInto, singleHost, statsSince } from './collective.js';
export type { Collective, CollectiveStats, ReduceOp, ReducibleArray } from './collective.js';
export { connectCollective } from './tcp-collective.js';
export type { CollectiveOptions } from './tcp-collective.js';

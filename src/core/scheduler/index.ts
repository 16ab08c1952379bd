/** The scheduler's public surface. */
export { schedule } from './schedule.ts';
export type { Changes, ScheduleInput, ScheduleResult, Unplaced } from './types.ts';
export { FILTERS, type Filter, type FilterName } from './filters.ts';
export { constraintHolds, describeConstraint } from './constraints.ts';
export { formatUnavailable } from './message.ts';
export { schedulingOrder } from './order.ts';
export { mulberry32, type Rng } from './prng.ts';

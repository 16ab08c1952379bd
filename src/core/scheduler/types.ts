/** The scheduler's input and output (plain data; see README.md for the semantics). */
import type { AppSpec, Placement, SchedNode, Strategy } from '../model.ts';

export interface ScheduleInput {
  apps: AppSpec[];
  nodes: SchedNode[];
  /** Current placements (persisted by the manager): the scheduler's memory. */
  existing: Placement[];
  /** Cluster default; `AppSpec.strategy` overrides it per app. */
  strategy: Strategy;
  seed: number;
}

export interface Unplaced {
  app: string;
  slot: number;
  /** Rejection reason -> number of nodes rejected for it (each node counted once). */
  reasons: Record<string, number>;
  /** `0/3 nodes available: 2 insufficient memory, 1 node down` */
  message: string;
}

export interface Changes {
  /** Existing placements retained as they were. */
  kept: number;
  /** Slots that had no placement and got one. */
  placed: number;
  /** Slots whose placement was not kept and that got a new one, or that the rebalance moved. */
  moved: number;
  /** Existing placements gone without replacement: scale down, app removed, duplicate, or unplaceable. */
  dropped: number;
}

export interface ScheduleResult {
  /** The complete new set, for all apps, sorted by (app, slot). */
  placements: Placement[];
  /** Sorted by (app, slot). */
  unplaced: Unplaced[];
  changes: Changes;
}

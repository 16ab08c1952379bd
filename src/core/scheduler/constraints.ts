/** Constraint evaluation (parsing is the spec's job: constraints arrive parsed). */
import type { Constraint } from '../model.ts';

/**
 * Key `node` is the node name, any other key a node label. A missing label fails `==` and
 * passes `!=`.
 */
export function constraintHolds(c: Constraint, nodeName: string, labels: Record<string, string>): boolean {
  const value = c.key === 'node' ? nodeName : Object.hasOwn(labels, c.key) ? labels[c.key] : undefined;
  return c.op === '==' ? value === c.value : value !== c.value;
}

export function describeConstraint(c: Constraint): string {
  return `${c.key}${c.op}${c.value}`;
}

/** Stable signature of a constraint set: apps with the same one share a feasible-node list. */
export function constraintSignature(cs: readonly Constraint[]): string {
  return cs.map(describeConstraint).sort().join('\u0000');
}

import { describe, expect, it } from 'vitest';
import type { Constraint } from '../model.ts';
import { constraintHolds, constraintSignature, describeConstraint } from './constraints.ts';

const c = (key: string, op: '==' | '!=', value: string): Constraint => ({ key, op, value });

describe('constraint evaluation', () => {
  const labels = { zone: 'a', disk: 'ssd' };

  it('== on a label', () => {
    expect(constraintHolds(c('zone', '==', 'a'), 'node1', labels)).toBe(true);
    expect(constraintHolds(c('zone', '==', 'b'), 'node1', labels)).toBe(false);
  });

  it('!= on a label', () => {
    expect(constraintHolds(c('disk', '!=', 'hdd'), 'node1', labels)).toBe(true);
    expect(constraintHolds(c('disk', '!=', 'ssd'), 'node1', labels)).toBe(false);
  });

  it('a missing label fails == and passes !=', () => {
    expect(constraintHolds(c('gpu', '==', 'yes'), 'node1', labels)).toBe(false);
    expect(constraintHolds(c('gpu', '!=', 'yes'), 'node1', labels)).toBe(true);
  });

  it('key `node` is the node name, even if a label is called node', () => {
    expect(constraintHolds(c('node', '==', 'node1'), 'node1', { node: 'x' })).toBe(true);
    expect(constraintHolds(c('node', '!=', 'node1'), 'node1', {})).toBe(false);
    expect(constraintHolds(c('node', '!=', 'node2'), 'node1', {})).toBe(true);
  });

  it('inherited object keys are not labels', () => {
    expect(constraintHolds(c('toString', '==', 'x'), 'node1', {})).toBe(false);
    expect(constraintHolds(c('constructor', '!=', 'x'), 'node1', {})).toBe(true);
  });

  it('describes and signs constraint sets independent of order', () => {
    expect(describeConstraint(c('zone', '==', 'a'))).toBe('zone==a');
    expect(constraintSignature([c('zone', '==', 'a'), c('disk', '!=', 'hdd')])).toBe(constraintSignature([c('disk', '!=', 'hdd'), c('zone', '==', 'a')]));
    expect(constraintSignature([])).toBe('');
  });
});

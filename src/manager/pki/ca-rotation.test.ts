import { describe, expect, it } from 'vitest';
import { MatrixError } from '../../core/errors.ts';
import { nextRotationStep, parseRotationState, type RotationState } from './ca-rotation.ts';

const state = (o: Partial<RotationState>): RotationState => ({
  phase: 'trust-both',
  started: '2026-11-27T00:00:00.000Z',
  done: [],
  managerOnNewCa: false,
  ...o,
});

describe('nextRotationStep', () => {
  it('begins when no rotation is under way', () => {
    expect(nextRotationStep(null, ['node1'])).toEqual({ kind: 'begin' });
    expect(nextRotationStep(null, [])).toEqual({ kind: 'begin' });
  });

  it('takes the nodes one at a time, in name order, skipping those done in the phase', () => {
    expect(nextRotationStep(state({}), ['node2', 'node1'])).toEqual({ kind: 'node', phase: 'trust-both', node: 'node1' });
    expect(nextRotationStep(state({ done: ['node1'] }), ['node2', 'node1'])).toEqual({ kind: 'node', phase: 'trust-both', node: 'node2' });
    expect(nextRotationStep(state({ phase: 'issue-new', managerOnNewCa: true, done: ['node1'] }), ['node1', 'web1'])).toEqual({
      kind: 'node',
      phase: 'issue-new',
      node: 'web1',
    });
  });

  it('a node added during the phase is done too; one removed is not waited for', () => {
    expect(nextRotationStep(state({ done: ['node1', 'gone'] }), ['node1', 'node3'])).toEqual({ kind: 'node', phase: 'trust-both', node: 'node3' });
    expect(nextRotationStep(state({ done: ['node1', 'gone'] }), ['node1'])).toEqual({ kind: 'switch' });
  });

  it('switches after the first round, restarts the manager before any node of the second, and finishes after it', () => {
    expect(nextRotationStep(state({ done: ['node1'] }), ['node1'])).toEqual({ kind: 'switch' });
    expect(nextRotationStep(state({ phase: 'issue-new' }), ['node1'])).toEqual({ kind: 'restart-manager' });
    // even with every node done (a rotation stopped right after the switch)
    expect(nextRotationStep(state({ phase: 'issue-new', done: ['node1'] }), ['node1'])).toEqual({ kind: 'restart-manager' });
    expect(nextRotationStep(state({ phase: 'issue-new', managerOnNewCa: true, done: ['node1'] }), ['node1'])).toEqual({ kind: 'finish' });
  });

  it('with no node at all, goes straight through its steps', () => {
    expect(nextRotationStep(state({}), [])).toEqual({ kind: 'switch' });
    expect(nextRotationStep(state({ phase: 'issue-new', managerOnNewCa: true }), [])).toEqual({ kind: 'finish' });
  });
});

describe('parseRotationState', () => {
  it('reads what Pki writes', () => {
    const s = state({ done: ['node1'] });
    expect(parseRotationState(JSON.stringify(s), 'state.json')).toEqual(s);
  });

  it.each([
    ['not JSON', '{', /state\.json: not JSON/],
    ['null', 'null', /not a CA rotation state/],
    ['an unknown phase', JSON.stringify({ ...state({}), phase: 'done' }), /not a CA rotation state/],
    ['done not a list of names', JSON.stringify({ ...state({}), done: [1] }), /not a CA rotation state/],
    ['no managerOnNewCa', JSON.stringify({ phase: 'trust-both', started: 'x', done: [] }), /not a CA rotation state/],
  ])('refuses %s with E_PKI naming the file', (_what, text, message) => {
    let err: unknown;
    try {
      parseRotationState(text, 'state.json');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(MatrixError);
    expect((err as MatrixError).code).toBe('E_PKI');
    expect((err as MatrixError).message).toMatch(message);
  });
});

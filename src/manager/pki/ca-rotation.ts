/**
 * `matrix ca rotate` as a pure plan. A rotation runs in two rounds so that the manager and
 * every engine always trust each other, one node restarted at a time:
 *
 *   trust-both  each engine is restarted trusting the old and the new CA (its certificate
 *               still from the old one); the manager still uses the old CA's client cert
 *   switch      the new CA issues from now on; the manager restarts with a new client
 *               certificate (every engine accepts it) and trusts both CAs (a step of its
 *               own, so that a rotation stopped between the two does not skip it)
 *   issue-new   each engine is restarted with a certificate from the new CA, trusting only it
 *   finish      the old CA is forgotten; the manager restarts trusting only the new one
 *
 * The state is on disk (pki/rotation/state.json): a rotation stopped halfway (a node that
 * went down, a closed terminal) goes on where it stopped when run again.
 */
import { MatrixError } from '../../core/errors.ts';

export type RotationPhase = 'trust-both' | 'issue-new';

export interface RotationState {
  phase: RotationPhase;
  /** ISO time the rotation began. */
  started: string;
  /** Nodes done in this phase. */
  done: string[];
  /** issue-new: the manager has restarted since the switch, with the new client certificate and trusting both CAs. */
  managerOnNewCa: boolean;
}

export type RotationStep =
  { kind: 'begin' } | { kind: 'node'; phase: RotationPhase; node: string } | { kind: 'switch' } | { kind: 'restart-manager' } | { kind: 'finish' };

/** Pure: the next step of a rotation, given its state and the cluster's nodes now (a node added meanwhile is done too). */
export function nextRotationStep(state: RotationState | null, nodes: readonly string[]): RotationStep {
  if (state === null) return { kind: 'begin' };
  // an engine with a certificate from the new CA is one a manager trusting only the old cannot verify
  if (state.phase === 'issue-new' && !state.managerOnNewCa) return { kind: 'restart-manager' };
  const node = [...nodes].sort().find((n) => !state.done.includes(n));
  if (node !== undefined) return { kind: 'node', phase: state.phase, node };
  return state.phase === 'trust-both' ? { kind: 'switch' } : { kind: 'finish' };
}

/** Pure: reads state.json, refusing anything it did not write. */
export function parseRotationState(text: string, file: string): RotationState {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new MatrixError('E_PKI', `${file}: not JSON (${(e as Error).message}); it records a CA rotation under way`);
  }
  const o = v as Partial<RotationState> | null;
  if (
    o === null ||
    typeof o !== 'object' ||
    (o.phase !== 'trust-both' && o.phase !== 'issue-new') ||
    typeof o.started !== 'string' ||
    !Array.isArray(o.done) ||
    !o.done.every((d) => typeof d === 'string') ||
    typeof o.managerOnNewCa !== 'boolean'
  ) {
    throw new MatrixError(
      'E_PKI',
      `${file}: not a CA rotation state ({"phase": "trust-both"|"issue-new", "started": ..., "done": [...], "managerOnNewCa": ...})`,
    );
  }
  return { phase: o.phase, started: o.started, done: [...o.done], managerOnNewCa: o.managerOnNewCa };
}

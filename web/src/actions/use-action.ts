/** One action's progress: idle, working (with what it does), done (with the answer) or failed (with the API's error). */
import { useState } from 'preact/hooks';
import { ApiError } from '../api.ts';

export type ActionState<T> = { phase: 'idle' } | { phase: 'working'; what: string } | { phase: 'done'; result: T } | { phase: 'failed'; error: ApiError };

export function asApiError(e: unknown): ApiError {
  return e instanceof ApiError ? e : new ApiError(0, { code: 'E_INTERNAL', message: e instanceof Error ? e.message : String(e) });
}

export function useAction<T>(): [ActionState<T>, (what: string, fn: () => Promise<T>) => Promise<T | null>, () => void] {
  const [state, setState] = useState<ActionState<T>>({ phase: 'idle' });
  const run = async (what: string, fn: () => Promise<T>): Promise<T | null> => {
    setState({ phase: 'working', what });
    try {
      const result = await fn();
      setState({ phase: 'done', result });
      return result;
    } catch (e) {
      setState({ phase: 'failed', error: asApiError(e) });
      return null;
    }
  };
  return [state, run, () => setState({ phase: 'idle' })];
}

/** What the first of these actions under way does, or null when none is. */
export function workingOn(...states: ActionState<unknown>[]): string | null {
  for (const s of states) if (s.phase === 'working') return s.what;
  return null;
}

/** The app's newest log lines (GET /v1/apps/:name/logs?tail=N), or a quiet note when the manager has no logs for it. */
import type { AppLogs } from '../api.ts';
import { clock } from '../format.ts';

export function LogsPanel({ logs }: { logs: AppLogs | 'unavailable' | null }) {
  if (logs === null) return <p class="empty">Reading logs…</p>;
  if (logs === 'unavailable' || !Array.isArray(logs.lines))
    return <p class="empty">Logs unavailable: this token may not read them (that needs a deployer token), or this manager has no logs route.</p>;
  return (
    <>
      {logs.lines.length ? (
        <div class="logs" role="region" aria-label="Log lines" tabIndex={0}>
          {logs.lines.map((l, i) => (
            <div key={i} class={`log log-${l.stream}`}>
              <span class="log-at">{clock(l.at)}</span> <span class="log-src">{l.replica}</span> {l.text}
            </div>
          ))}
        </div>
      ) : (
        <p class="empty">No log lines yet.</p>
      )}
      {(logs.errors ?? []).map((e) => (
        <p key={e.replica} class="note">
          The logs of {e.replica} on {e.node} could not be read: {e.message}
        </p>
      ))}
    </>
  );
}

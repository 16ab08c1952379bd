/** Whether the ingress serves, as the CLI tells a user who would otherwise see only silence at :6081. */
import type { ApiClient } from './api-client.ts';

/** Why the ingress is not serving (its process down, or its updates failing), or null. */
export async function ingressTrouble(api: ApiClient): Promise<string | null> {
  const s = await api.status();
  const down = s.components?.find((c) => c.name === 'ingress' && c.state === 'down');
  if (down) return `varnishd is down${down.lastError ? `: ${down.lastError}` : ''}`;
  const failing = s.consumers.find((c) => c.name === 'ingress' && c.state === 'failing');
  return failing ? `its updates fail: ${failing.lastError ?? 'unknown error'}` : null;
}

/** A warning on stderr above a listing, when the ingress is not serving what it lists. */
export async function printIngressBanner(api: ApiClient): Promise<void> {
  const trouble = await ingressTrouble(api);
  if (trouble) console.error(`warning: the ingress is not serving (${trouble}); apps may not answer until it is back (\`matrix status\`)\n`);
}

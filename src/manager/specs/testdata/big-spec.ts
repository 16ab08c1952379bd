/** For the spec-parser test and bench/spec-parse: a valid matrix.yaml near the 1 MiB limit, under the line and key limits. */
import { SPEC_LIMITS } from '../../../core/appspec/limits.ts';

/** One app per line with long env values: 660 apps, about 1,016 KiB. */
export function bigValidSpec(): string {
  const lines = ['apps:'];
  let size = 0;
  for (let i = 0; size < SPEC_LIMITS.bytes - 8192; i++) {
    const env = Array.from({ length: 5 }, (_, k) => `K${k}: ${`v${i}-${k}-`.padEnd(300, 'x')}`).join(', ');
    const line = `  app${i}: { image: cloud/web, port: 8080, env: { ${env} } }`;
    lines.push(line);
    size += line.length + 1;
  }
  return `${lines.join('\n')}\n`;
}

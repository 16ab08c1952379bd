/**
 * The lab tests drive `bin/matrix`, which runs the compiled dist/: build it from the sources
 * under test first, so a test never runs yesterday's code.
 */
import { execFileSync } from 'node:child_process';
import { ROOT } from './lab-harness.ts';

export default function setup(): void {
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'inherit' });
}

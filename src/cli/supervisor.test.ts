import { describe, expect, it } from 'vitest';
import { backoffMs } from '../util/backoff.ts';
import { failuresAfter, managerCommand, RESTART, systemdUnit } from './supervisor.ts';

describe('the manager supervisor', () => {
  it('doubles the pause between restarts up to the cap, and resets after a stable run', () => {
    const pauses: number[] = [];
    let failures = 0;
    for (let i = 0; i < 8; i++) pauses.push(backoffMs((failures = failuresAfter(failures, 100)), RESTART));
    expect(pauses).toEqual([250, 500, 1000, 2000, 4000, 8000, 10_000, 10_000]);
    expect(backoffMs(failuresAfter(failures, RESTART.stableMs), RESTART)).toBe(250);
  });

  it('writes a systemd unit that restarts the manager always, with a private umask', () => {
    const unit = systemdUnit({ matrixBin: '/opt/cloudmatrix/bin/matrix', home: '/var/lib/cloudmatrix' });
    // node itself runs the CLI, with the manager's V8 flags (not all of them are allowed in NODE_OPTIONS)
    expect(unit).toMatch(/^ExecStart=\S+ (\S+ )*--max-semi-space-size=1 --optimize-for-size \/opt\/cloudmatrix\/bin\/matrix manager start --foreground$/m);
    expect(unit.match(/^ExecStart=(\S+)/m)?.[1]).toBe(process.execPath);
    expect(unit).toContain('Environment=MATRIX_HOME=/var/lib/cloudmatrix\n');
    expect(unit).toMatch(/^Restart=always$/m);
    expect(unit).toMatch(/^UMask=0077$/m);
    expect(unit).toMatch(/^KillMode=process$/m); // Varnish outlives a manager restart
    expect(unit).toMatch(/^WantedBy=multi-user.target$/m);
    // the manager's malloc settings, as under `matrix manager start`
    expect(unit).toContain('Environment=MALLOC_ARENA_MAX=2\n');
    expect(unit).toContain('Environment=MALLOC_MMAP_THRESHOLD_=131072\n');
  });

  it('runs the manager with a small young generation, the CLI entry and its foreground start', () => {
    const { cmd, args, env } = managerCommand('/opt/cloudmatrix/bin/matrix');
    expect(cmd).toBe(process.execPath);
    expect(env).toEqual({ MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: '131072' });
    expect(args.slice(-4)).toEqual(['/opt/cloudmatrix/bin/matrix', 'manager', 'start', '--foreground']);
    expect(args).toContain('--max-semi-space-size=1');
    expect(args.indexOf('--max-semi-space-size=1')).toBeLessThan(args.indexOf('/opt/cloudmatrix/bin/matrix'));
  });
});

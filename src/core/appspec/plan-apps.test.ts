import { describe, expect, it } from 'vitest';
import { planToApps } from './plan-apps.ts';
import { parsePlan } from './plan.ts';

const SEED = `#app name     node      ext. port   int. port
simplewebapp2 node25    5051        8081
simplewebapp1 node25    5050        8080
simplewebapp1 node108   5050        8080
simplewebapp1 node7     6000        9000
`;

describe('planToApps', () => {
  it('makes one pinned app per name, pins in line order, sorted by name', () => {
    expect(planToApps(parsePlan(SEED))).toEqual([
      {
        name: 'simplewebapp1',
        image: 'cloud/simplewebapp1',
        replicas: 3,
        port: 8080,
        resources: { cpus: 0, memoryMb: 0 },
        constraints: [],
        affinity: [],
        antiAffinity: [],
        dependsOn: [],
        env: {},
        restart: 'unless-stopped',
        pins: [
          { node: 'node25', hostPort: 5050, containerPort: 8080 },
          { node: 'node108', hostPort: 5050, containerPort: 8080 },
          { node: 'node7', hostPort: 6000, containerPort: 9000 },
        ],
        source: 'applications.plan:3',
      },
      {
        name: 'simplewebapp2',
        image: 'cloud/simplewebapp2',
        replicas: 1,
        port: 8081,
        resources: { cpus: 0, memoryMb: 0 },
        constraints: [],
        affinity: [],
        antiAffinity: [],
        dependsOn: [],
        env: {},
        restart: 'unless-stopped',
        pins: [{ node: 'node25', hostPort: 5051, containerPort: 8081 }],
        source: 'applications.plan:2',
      },
    ]);
  });

  it('has no publish (pins carry the ports) and uses the given file name', () => {
    const [app] = planToApps(parsePlan('web node1 80 8080\n', 'x.plan'), 'x.plan');
    expect(app).not.toHaveProperty('publish');
    expect(app?.source).toBe('x.plan:1');
    expect(app?.replicas).toBe(app?.pins?.length);
  });

  it('an empty plan is no apps', () => {
    expect(planToApps([])).toEqual([]);
  });
});

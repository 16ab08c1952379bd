import { describe, expect, it } from 'vitest';
import { allows, requiredRole } from './roles.ts';

describe('roles', () => {
  it('reading needs a viewer, changing apps a deployer, nodes and tokens an admin', () => {
    expect(requiredRole('GET', '/v1/apps')).toBe('viewer');
    expect(requiredRole('GET', '/v1/nodes')).toBe('viewer');
    expect(requiredRole('POST', '/v1/deploy')).toBe('deployer');
    expect(requiredRole('POST', '/v1/apps/:name/scale')).toBe('deployer');
    expect(requiredRole('PUT', '/v1/nodes/:name')).toBe('admin');
    expect(requiredRole('DELETE', '/v1/nodes/:name')).toBe('admin');
    expect(requiredRole('GET', '/v1/tokens')).toBe('admin');
    expect(requiredRole('POST', '/v1/tokens')).toBe('admin');
    expect(requiredRole('POST', '/v1/nodesx')).toBe('deployer'); // a prefix is not the route
  });

  it("reading an app's logs needs a deployer: what apps print is not for every viewer", () => {
    expect(requiredRole('GET', '/v1/apps/:name/logs')).toBe('deployer');
    expect(requiredRole('GET', '/v1/apps/:name')).toBe('viewer');
  });

  it('each role includes the ones below it', () => {
    expect(allows('admin', 'viewer')).toBe(true);
    expect(allows('deployer', 'deployer')).toBe(true);
    expect(allows('deployer', 'admin')).toBe(false);
    expect(allows('viewer', 'deployer')).toBe(false);
  });
});

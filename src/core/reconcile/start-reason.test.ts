import { describe, expect, it } from 'vitest';
import type { DesiredReplica, ObservedReplica } from '../model.ts';
import { startReason, type NodeFacts } from './start-reason.ts';

const r: DesiredReplica = { app: 'web', node: 'node3', image: 'reg/web', hostPort: null, containerPort: 8080, id: 'web.2', revision: 'b'.repeat(16) };
const seen = (o: Partial<ObservedReplica>): ObservedReplica => ({
  containerId: 'c',
  node: 'node3',
  app: 'web',
  id: 'web.2',
  revision: r.revision,
  state: 'running',
  hostPort: 1,
  containerPort: 8080,
  ...o,
});
const up: NodeFacts = { state: 'up', availability: 'active' };
const nodes = (o: Record<string, NodeFacts>) => new Map(Object.entries(o));
const T = Date.parse('2026-11-27T10:41:07Z');

describe('why a replica is started where it is', () => {
  it('moved from another node: down (since when), drained, gone, or rebalanced', () => {
    expect(startReason(r, 'node2', [], nodes({ node2: { state: 'down', availability: 'active', since: T }, node3: up }))).toBe(
      'moved from node2: node2 down since 10:41:07',
    );
    expect(startReason(r, 'node2', [], nodes({ node2: { state: 'down', availability: 'active' } }))).toBe('moved from node2: node2 down');
    expect(startReason(r, 'node2', [], nodes({ node2: { state: 'up', availability: 'drain' } }))).toBe('moved from node2: node2 drained');
    expect(startReason(r, 'node2', [], nodes({}))).toBe('moved from node2: node2 left the cluster');
    expect(startReason(r, 'node2', [], nodes({ node2: up }))).toBe('moved from node2: rebalanced');
    // the move was planned in an earlier pass (the placement says node3 already): its running container tells where from
    expect(startReason(r, 'node3', [seen({ node: 'node1' })], nodes({ node1: up, node3: up }))).toBe('moved from node1: rebalanced');
    expect(startReason(r, 'node3', [seen({ node: 'node1' })], nodes({ node1: { state: 'up', availability: 'drain' } }))).toBe(
      'moved from node1: node1 drained',
    );
    // a stopped container elsewhere is no move
    expect(startReason(r, 'node3', [seen({ node: 'node1', state: 'exited' })], nodes({ node1: up }))).toBe('its container was gone');
  });

  it('on its own node: an update, a container that stopped or vanished, or a new slot', () => {
    expect(startReason(r, 'node3', [seen({ revision: 'a'.repeat(16) })], nodes({ node3: up }))).toBe('replaces revision aaaaaaaaaaaa (update)');
    expect(startReason(r, 'node3', [seen({ state: 'exited' })], nodes({ node3: up }))).toBe('its container was exited');
    expect(startReason(r, 'node3', [], nodes({ node3: up }))).toBe('its container was gone');
    expect(startReason(r, undefined, [], nodes({ node3: up }))).toBe('new replica');
    // another replica's or another node's containers say nothing about this one
    expect(startReason(r, undefined, [seen({ id: 'web.1', revision: 'x' }), seen({ node: 'node1', state: 'exited' })], nodes({ node3: up }))).toBe(
      'new replica',
    );
  });
});

import { describe, expect, it } from 'vitest';
import { labShell } from './lab-driver.ts';

describe('lab driver', () => {
  it("runs a command, or an interactive shell, in the node's network namespace", () => {
    expect(labShell('mx-node1', ['ip', '-br', 'addr'])).toEqual(['nsenter', '--net=/var/run/netns/mx-node1', '--', 'ip', '-br', 'addr']);
    expect(labShell('mx-node1', [], '/bin/bash')).toEqual(['nsenter', '--net=/var/run/netns/mx-node1', '--', '/bin/bash']);
  });
});

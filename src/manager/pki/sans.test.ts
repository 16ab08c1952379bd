import { describe, expect, it } from 'vitest';
import { MatrixError } from '../../core/errors.ts';
import { apiSans, nodeSans, normalizeSans, parseSubjectAltName, registrySans, sameSans } from './sans.ts';

describe('nodeSans', () => {
  it('names the node short, in the cluster domain, and by IP', () => {
    expect(nodeSans({ name: 'node1', address: '10.210.0.11' })).toEqual({
      dns: ['node1', 'node1.matrix'],
      ips: ['10.210.0.11'],
    });
  });
  it('takes another domain', () => {
    expect(nodeSans({ name: 'n2', address: '10.0.0.2' }, 'lab.example').dns).toEqual(['n2', 'n2.lab.example']);
  });
  it('rejects a bad IP with a MatrixError and a path', () => {
    const err = (() => {
      try {
        nodeSans({ name: 'node1', address: '10.210.0.300' });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(MatrixError);
    expect(err).toMatchObject({ code: 'E_BAD_REQUEST', path: 'node.address' });
  });
  it('rejects a bad name', () => {
    expect(() => nodeSans({ name: 'no de', address: '10.0.0.1' })).toThrow(MatrixError);
    expect(() => nodeSans({ name: '../x', address: '10.0.0.1' })).toThrow(/host name/);
  });
});

describe('registrySans', () => {
  it('covers the manager address, loopback and the registry name', () => {
    expect(registrySans('10.210.0.1')).toEqual({ dns: ['localhost', 'registry.matrix'], ips: ['10.210.0.1', '127.0.0.1'] });
  });
  it('does not repeat loopback', () => {
    expect(registrySans('127.0.0.1').ips).toEqual(['127.0.0.1']);
  });
  it('rejects a bad IP', () => {
    expect(() => registrySans('registry')).toThrow(MatrixError);
  });
});

describe('comparing SANs', () => {
  it('ignores order, case and IPv6 spelling', () => {
    expect(sameSans({ dns: ['A', 'b'], ips: ['fd00::1'] }, { dns: ['b', 'a'], ips: ['FD00:0:0:0:0:0:0:1'] })).toBe(true);
    expect(sameSans({ dns: ['a'], ips: [] }, { dns: ['a'], ips: ['10.0.0.1'] })).toBe(false);
  });
  it('parses what node:crypto prints', () => {
    expect(parseSubjectAltName('DNS:node1, DNS:node1.matrix, IP Address:10.210.0.11')).toEqual({
      dns: ['node1', 'node1.matrix'],
      ips: ['10.210.0.11'],
    });
    expect(parseSubjectAltName(undefined)).toEqual({ dns: [], ips: [] });
  });
  it('normalizes duplicates away', () => {
    expect(normalizeSans({ dns: ['a', 'A'], ips: ['::1', '0:0:0:0:0:0:0:1'] })).toEqual({ dns: ['a'], ips: ['::1'] });
  });
});

describe('apiSans', () => {
  it('covers loopback, the manager name and the address the API listens on', () => {
    expect(apiSans('10.0.0.5', ['192.168.1.2'])).toEqual({ dns: ['localhost', 'manager.matrix'], ips: ['127.0.0.1', '::1', '10.0.0.5'] });
    expect(apiSans('manager.example.com', [], 'apps')).toEqual({ dns: ['localhost', 'manager.apps', 'manager.example.com'], ips: ['127.0.0.1', '::1'] });
  });
  it("bound to every address, covers each of the host's addresses and its name", () => {
    for (const any of ['0.0.0.0', '', '[::]']) {
      expect(apiSans(any, ['10.0.0.5', 'fe80::1', 'not-an-ip'], 'matrix', 'box1')).toEqual({
        dns: ['localhost', 'manager.matrix', 'box1'],
        ips: ['127.0.0.1', '::1', '10.0.0.5', 'fe80::1'],
      });
    }
  });
  it('leaves out a host name that is not a valid DNS name', () => {
    expect(apiSans('127.0.0.1', [], 'matrix', 'bad_name').dns).toEqual(['localhost', 'manager.matrix']);
  });
});

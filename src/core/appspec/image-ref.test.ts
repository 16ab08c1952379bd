import { describe, expect, it } from 'vitest';
import { MatrixError } from '../errors.ts';
import { checkImage, parseImageRef, resolveImage, splitImage } from './image-ref.ts';

const REG = '10.210.0.1:5000';
const DIGEST = `sha256:${'a'.repeat(64)}`;

describe('resolveImage', () => {
  it.each([
    ['cloud/simplewebapp1', `${REG}/cloud/simplewebapp1:latest`],
    ['cloud/simplewebapp1:v2', `${REG}/cloud/simplewebapp1:v2`],
    ['nginx', `${REG}/nginx:latest`],
    ['a/b/c:1.0-rc_1', `${REG}/a/b/c:1.0-rc_1`],
    ['my-app__x/web.v1', `${REG}/my-app__x/web.v1:latest`],
    ['my.host/web', 'my.host/web:latest'], // a first component with a dot is a registry host
    ['registry.local:5000/cloud/x:v3', 'registry.local:5000/cloud/x:v3'],
    ['10.0.0.5:5000/cloud/x', '10.0.0.5:5000/cloud/x:latest'],
    ['localhost/x:1', 'localhost/x:1'],
    ['[::1]:5000/x:1', '[::1]:5000/x:1'],
    [`cloud/x@${DIGEST}`, `${REG}/cloud/x@${DIGEST}`],
    [`cloud/x:v1@${DIGEST}`, `${REG}/cloud/x:v1@${DIGEST}`],
    [`${REG}/cloud/x:v1`, `${REG}/cloud/x:v1`],
  ])('%s -> %s', (image, full) => {
    expect(resolveImage(image, REG)).toBe(full);
  });

  it.each([
    ['', 'it is empty'],
    ['Cloud/x', 'repository names must be lowercase'],
    ['cloud/X', 'repository names must be lowercase'],
    ['cloud/x:', 'bad tag ""'],
    ['cloud/x:-v', 'bad tag "-v"'],
    [`cloud/x:${'a'.repeat(129)}`, 'bad tag'],
    ['cloud//x', 'empty path component'],
    ['cloud/x/', 'empty path component'],
    ['/x', 'empty path component'],
    ['cloud/-x', 'bad path component "-x"'],
    ['cloud/x.', 'bad path component "x."'],
    ['cloud/x y', 'whitespace'],
    ['cloud/x@sha256:abc', 'bad digest'],
    ['bad_host.:5000/x', 'bad registry host'],
    [':v1', 'repository name is missing'],
    [`${'a'.repeat(256)}`, 'longer than 255'],
  ])('refuses %j (%s)', (image, why) => {
    let err: unknown;
    try {
      resolveImage(image, REG);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(MatrixError);
    const m = err as MatrixError;
    expect(m.code).toBe('E_SPEC_INVALID');
    expect(m.message).toContain(`invalid image reference "${image}": `);
    expect(m.message).toContain(why);
    expect(checkImage(image)).toBe(m.message);
  });
});

describe('parseImageRef', () => {
  it('splits domain, repo, tag and digest', () => {
    expect(parseImageRef(`h.io:5000/a/b:t@${DIGEST}`)).toEqual({ ok: true, ref: { domain: 'h.io:5000', repo: 'a/b', tag: 't', digest: DIGEST } });
    expect(parseImageRef('a/b')).toEqual({ ok: true, ref: { repo: 'a/b' } });
    expect(checkImage('cloud/x')).toBeUndefined();
  });
});

describe('splitImage', () => {
  it('splits a full reference for the registry API', () => {
    expect(splitImage(`${REG}/cloud/x:v2`, REG)).toEqual({ registry: REG, repo: 'cloud/x', tag: 'v2' });
    expect(splitImage(`${REG}/cloud/x`, REG)).toEqual({ registry: REG, repo: 'cloud/x', tag: 'latest' });
    expect(splitImage('cloud/x', REG)).toEqual({ registry: REG, repo: 'cloud/x', tag: 'latest' });
    expect(splitImage(`cloud/x:v1@${DIGEST}`, REG)).toEqual({ registry: REG, repo: 'cloud/x', tag: DIGEST });
    expect(splitImage('other.io/x:1', REG)).toEqual({ registry: 'other.io', repo: 'x', tag: '1' });
  });

  it('round-trips with resolveImage', () => {
    for (const img of ['cloud/a', 'cloud/a:v9', 'x/y/z:1']) {
      const { repo, tag } = splitImage(resolveImage(img, REG), REG);
      expect(`${REG}/${repo}:${tag}`).toBe(resolveImage(img, REG));
    }
  });

  it('throws E_SPEC_INVALID for a bad reference', () => {
    expect(() => splitImage('Bad/Ref', REG)).toThrow(MatrixError);
  });
});

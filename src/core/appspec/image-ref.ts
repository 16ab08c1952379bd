/**
 * Image references, after the grammar of the CNCF distribution project (`reference.go`):
 *
 *     reference := name [ ":" tag ] [ "@" digest ]
 *     name      := [ domain "/" ] path-component ( "/" path-component )*
 *     domain    := host [ ":" port ]          (the first component, when it has "." or ":" or is localhost)
 *     path-component := [a-z0-9]+ ( ( "." | "_" | "__" | "-"+ ) [a-z0-9]+ )*
 *     tag       := [A-Za-z0-9_] [A-Za-z0-9_.-]{0,127}
 *     digest    := algorithm ":" hex{32,}
 *
 * A spec names images in the cluster registry by repository (`cloud/simplewebapp1[:tag]`);
 * a reference with its own domain (`10.210.0.1:5000/cloud/x:v2`) is kept as written.
 */
import { MatrixError } from '../errors.ts';

export interface ImageRef {
  /** `host[:port]` when the reference names its registry, else undefined (= the cluster registry). */
  domain?: string;
  repo: string;
  tag?: string;
  digest?: string;
}

const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = new RegExp(`^(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?$`);
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;
const MAX_NAME = 255;

type Result = { ok: true; ref: ImageRef } | { ok: false; message: string };

/** Splits and validates a reference; the message says what is wrong, for a spec path. */
export function parseImageRef(image: string): Result {
  const fail = (why: string): Result => ({ ok: false, message: `invalid image reference "${image}": ${why}` });
  if (image === '') return fail('it is empty');
  if (/\s/.test(image)) return fail('it contains whitespace');

  let rest = image;
  let digest: string | undefined;
  const atSign = rest.indexOf('@');
  if (atSign >= 0) {
    digest = rest.slice(atSign + 1);
    rest = rest.slice(0, atSign);
    if (!DIGEST.test(digest)) return fail(`bad digest "${digest}" (expected algorithm:hex, e.g. sha256:<64 hex>)`);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) return fail(`bad tag "${tag}" (letters, digits, "_", "." and "-", starting with a letter, digit or "_", at most 128)`);
  }
  if (rest === '') return fail('the repository name is missing');

  const slash = rest.indexOf('/');
  let domain: string | undefined;
  let repo = rest;
  if (slash >= 0) {
    const first = rest.slice(0, slash);
    if (first.includes('.') || first.includes(':') || first === 'localhost') {
      domain = first;
      repo = rest.slice(slash + 1);
      if (!DOMAIN.test(domain)) return fail(`bad registry host "${domain}"`);
    }
  }
  if (rest.length > MAX_NAME) return fail(`the name is longer than ${MAX_NAME} characters`);
  for (const part of repo.split('/')) {
    if (part === '') return fail('the repository name has an empty path component');
    if (part !== part.toLowerCase()) return fail('repository names must be lowercase');
    if (!PATH_COMPONENT.test(part)) return fail(`bad path component "${part}" (lowercase letters and digits, separated by ".", "_", "__" or "-")`);
  }
  return {
    ok: true,
    ref: { ...(domain !== undefined ? { domain } : {}), repo, ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) },
  };
}

/** The problem with an image reference, or undefined when it is valid. */
export function checkImage(image: string): string | undefined {
  const r = parseImageRef(image);
  return r.ok ? undefined : r.message;
}

function parseOrThrow(image: string): ImageRef {
  const r = parseImageRef(image);
  if (!r.ok) throw new MatrixError('E_SPEC_INVALID', r.message);
  return r.ref;
}

/**
 * The full reference nodes pull: `cloud/x` -> `<registry>/cloud/x:latest`,
 * `cloud/x:v2` -> `<registry>/cloud/x:v2`, `host:port/repo:tag` kept (`:latest` added when it
 * has neither tag nor digest, so one image has one name). Throws E_SPEC_INVALID when invalid.
 */
export function resolveImage(image: string, registry: string): string {
  const ref = parseOrThrow(image);
  const name = `${ref.domain ?? registry}/${ref.repo}`;
  if (ref.digest !== undefined) return `${name}${ref.tag !== undefined ? `:${ref.tag}` : ''}@${ref.digest}`;
  return `${name}:${ref.tag ?? 'latest'}`;
}

/**
 * `<registry>/cloud/x:v2` -> `{ registry, repo: 'cloud/x', tag: 'v2' }`, as the registry API wants
 * them. `tag` is the digest when the reference has one (the manifests API takes either), else
 * the tag, else `latest`. `registry` is the reference's own domain, or `registry` when it has none.
 */
export function splitImage(ref: string, registry: string): { registry: string; repo: string; tag: string } {
  const r = parseOrThrow(ref);
  return { registry: r.domain ?? registry, repo: r.repo, tag: r.digest ?? r.tag ?? 'latest' };
}

/**
 * One entry point for the three spec formats: tells which one a file is, parses it, and
 * returns apps (the common desired state) plus warnings about what was ignored.
 *
 * Detection, first match wins:
 *  1. a name ending in `.plan`                        -> plan
 *  2. a line starting with `apps:` / `services:`      -> matrix / compose (so YAML syntax
 *     errors in such a file are reported as YAML errors, not as plan lines)
 *  3. YAML (or JSON) whose top level is a mapping with `apps` / `services` -> matrix / compose
 *  4. a name ending in `.yaml`, `.yml` or `.json`     -> error: neither key is there
 *  5. anything else                                   -> plan (the seed's format)
 */
import { parseDocument } from 'yaml';
import { checkSpecText } from './limits.ts';
import type { AppSpec, Strategy } from '../model.ts';
import { parseCompose } from './compose.ts';
import { Collector, isMap, readYaml, type SpecWarning } from './fields.ts';
import { parseMatrixYaml } from './matrix-yaml.ts';
import { parsePlan, type PlanLine } from './plan.ts';
import { planToApps } from './plan-apps.ts';

export type { SpecWarning } from './fields.ts';

export type SpecKind = 'plan' | 'matrix' | 'compose';

export interface LoadedSpec {
  kind: SpecKind;
  /** The project the file names (`name:`); plan files have none. */
  name?: string;
  apps: AppSpec[];
  /** The strategy a matrix.yaml asks for: it applies to the apps of this file that name none. */
  strategy?: Strategy;
  /** What was ignored (compose keys cloudmatrix does not use); empty for plan and matrix. */
  warnings: SpecWarning[];
  /** The plan's lines, for checks that need line numbers (unknown nodes); plan only. */
  lines?: PlanLine[];
}

export function detectKind(text: string, file: string): SpecKind {
  if (file.endsWith('.plan')) return 'plan';
  const top = /^(apps|services)[ \t]*:/m.exec(text);
  if (top) return top[1] === 'apps' ? 'matrix' : 'compose';
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: false });
  if (doc.errors.length === 0) {
    let root: unknown;
    try {
      root = doc.toJS({ maxAliasCount: 1000 });
    } catch {
      root = undefined; // an unresolved alias or an alias bomb: readYaml below reports it with the file
    }
    if (isMap(root) && root.apps !== undefined) return 'matrix';
    if (isMap(root) && root.services !== undefined) return 'compose';
  }
  if (/\.(ya?ml|json)$/i.test(file)) {
    readYaml(text, file); // throws the syntax errors, if that is what is wrong
    const c = new Collector(file);
    c.error(file, 'a YAML spec needs a top-level `apps:` mapping (matrix.yaml) or `services:` mapping (compose file)');
    c.throwIfAny();
  }
  return 'plan';
}

/** Detects the format and parses; throws one E_SPEC_INVALID / E_PLAN_SYNTAX... error listing every problem. */
export function loadSpec(text: string, file: string): LoadedSpec {
  checkSpecText(text, file);
  const kind = detectKind(text, file);
  if (kind === 'plan') {
    const lines = parsePlan(text, file);
    return { kind, apps: planToApps(lines, file), warnings: [], lines };
  }
  if (kind === 'matrix') {
    const spec = parseMatrixYaml(text, file);
    return {
      kind,
      apps: spec.apps,
      ...(spec.strategy !== undefined ? { strategy: spec.strategy } : {}),
      ...(spec.name !== undefined ? { name: spec.name } : {}),
      warnings: [],
    };
  }
  const spec = parseCompose(text, file);
  return { kind, apps: spec.apps, warnings: spec.warnings, ...(spec.name !== undefined ? { name: spec.name } : {}) };
}

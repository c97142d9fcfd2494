/**
 * The folder layout is the architecture: lower layers (pipeline, runtime, styles) never import the layers that
 * use them (live, photo, http, signaling). This reads every import of every server module, so a new upward import
 * fails here rather than in a reviewer's head.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SERVER_SRC = resolve(import.meta.dirname, '../../server/src');
const LOWER = ['pipeline', 'runtime', 'styles'];
const HIGHER = ['live', 'photo', 'http', 'signaling', 'cli', 'tools'];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.(ts|mts|mjs|js)$/.test(name) ? [path] : [];
  });
}

/** Relative specifiers of static imports, re-exports, dynamic imports and `new URL(..., import.meta.url)`. */
export function relativeImports(source: string): string[] {
  const specifiers: string[] = [];
  const patterns = [
    /\b(?:import|export)\s[^'"]*?\bfrom\s*['"]([^'"]+)['"]/g,
    /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
    /\bimport\s*['"]([^'"]+)['"]/g,
    /new URL\(\s*['"]([^'"]+)['"]\s*,\s*import\.meta\.url\s*\)/g,
  ];
  for (const pattern of patterns) for (const match of source.matchAll(pattern)) specifiers.push(match[1]!);
  return specifiers.filter((s) => s.startsWith('.'));
}

function layerOf(path: string): string | undefined {
  const top = relative(SERVER_SRC, path).split(/[\\/]/)[0];
  return top;
}

describe('server layering', () => {
  it('finds imports the way the check below reads them', () => {
    const sample = `import { a } from '../live/x.ts';\nexport type { B } from "./b.ts";\nconst m = await import('../http/y.ts');\nnew URL('../photo/w.mjs', import.meta.url);`;
    expect(relativeImports(sample)).toEqual(expect.arrayContaining(['../live/x.ts', './b.ts', '../http/y.ts', '../photo/w.mjs']));
  });

  it('no module of pipeline/, runtime/ or styles/ imports from live/, photo/, http/, signaling/, cli/ or tools/', () => {
    const violations: string[] = [];
    let checked = 0;
    for (const layer of LOWER) {
      for (const file of sourceFiles(join(SERVER_SRC, layer))) {
        checked++;
        for (const specifier of relativeImports(readFileSync(file, 'utf8'))) {
          const target = layerOf(resolve(dirname(file), specifier));
          if (target && HIGHER.includes(target)) violations.push(`${relative(SERVER_SRC, file)} -> ${specifier}`);
        }
      }
    }
    expect(checked).toBeGreaterThan(10);
    expect(violations).toEqual([]);
  });

  it('core/ (errors, worker threads) imports no other server folder: every layer may use it', () => {
    const files = sourceFiles(join(SERVER_SRC, 'core'));
    const violations = files.flatMap((file) =>
      relativeImports(readFileSync(file, 'utf8'))
        .filter((specifier) => layerOf(resolve(dirname(file), specifier)) !== 'core')
        .map((specifier) => `${relative(SERVER_SRC, file)} -> ${specifier}`),
    );
    expect(files.length).toBeGreaterThan(0);
    expect(violations).toEqual([]);
  });
});

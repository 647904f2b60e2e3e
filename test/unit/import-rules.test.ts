// The import rules of .dependency-cruiser.cjs hold for all of src/, checked by dependency-cruiser.
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { cruise, type ICruiseResult, type IConfiguration } from 'dependency-cruiser';
import { beforeAll, describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');
const config = createRequire(import.meta.url)(path.join(root, '.dependency-cruiser.cjs')) as IConfiguration;

let result: ICruiseResult;

beforeAll(async () => {
  const cwd = process.cwd();
  process.chdir(root);
  try {
    const out = await cruise(['src'], { ...config.options, ruleSet: { forbidden: config.forbidden }, validate: true }, { extensions: ['.ts', '.js'] }, { tsConfig: { fileName: 'tsconfig.json' } } as never);
    result = out.output as ICruiseResult;
  } finally {
    process.chdir(cwd);
  }
}, 120_000);

const edges = () => result.modules.flatMap((m) => m.dependencies.map((d) => `${m.source} → ${d.resolved}`));

describe('import rules', () => {
  it('resolves the .js specifiers of the TypeScript sources (so the rules below see real edges)', () => {
    expect(edges()).toContain('src/report/json.ts → src/model/summary.ts');
    expect(edges()).toContain('src/pipeline/plan.ts → src/pipeline/cluster-target.ts');
  });

  it('has every rule the architecture names', () => {
    expect(config.forbidden!.map((r) => r.name)).toEqual(
      expect.arrayContaining([
        'cluster-only-talks-http',
        'diff-and-report-do-no-io',
        'report-sees-only-model',
        'nothing-imports-cli',
        'render-is-not-cluster-or-pipeline',
        'sources-are-below-the-pipeline',
        'pipeline-does-not-print',
      ]),
    );
  });

  it('the rules of sources/ and pipeline/ see their real edges', () => {
    expect(edges().some((e) => e.startsWith('src/sources/') && e.includes(' → src/cluster/'))).toBe(true);
    expect(edges().some((e) => e.startsWith('src/pipeline/') && e.includes(' → src/sources/'))).toBe(true);
  });

  it('no module breaks one', () => {
    const violations = result.summary.violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`);
    expect(violations).toEqual([]);
  });
});

/**
 * Only cli/ reads the environment: it reads it once into RunOptions (BuildSettings.env, ConnectionSettings.env,
 * the binaries found on its PATH) and everything below is handed what it needs. The files listed here still
 * fall back to process.env when a caller passes no environment (git, sops and tar children); the list may
 * only shrink.
 */
const STILL_DEFAULTING = ['src/process/child.ts', 'src/process/executable.ts', 'src/process/git-env.ts'];

describe('the environment', () => {
  const sources = (readdirSync(path.join(root, 'src'), { recursive: true }) as string[])
    .filter((f) => f.endsWith('.ts'))
    .map((f) => `src/${f.split(path.sep).join('/')}`);

  it('is read (process.env) only in src/cli/, and in the files still listed above', () => {
    const readers = sources.filter((f) => !f.startsWith('src/cli/') && /\bprocess\.env\b/.test(readFileSync(path.join(root, f), 'utf8')));
    expect(readers.sort()).toEqual(STILL_DEFAULTING);
  });

  it('sees the files it checks (cli/ reads the environment)', () => {
    expect(sources).toContain('src/cli/main.ts');
    expect(sources.filter((f) => f.startsWith('src/cli/') && readFileSync(path.join(root, f), 'utf8').includes('process.env')).length).toBeGreaterThan(0);
  });
});

// The import rules of .dependency-cruiser.cjs hold for all of src/, checked by dependency-cruiser.
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
    expect(edges()).toContain('src/pipeline/run.ts → src/pipeline/cluster-target.ts');
  });

  it('has every rule the architecture names', () => {
    expect(config.forbidden!.map((r) => r.name)).toEqual(
      expect.arrayContaining(['cluster-only-talks-http', 'diff-and-report-do-no-io', 'report-sees-only-model', 'nothing-imports-cli', 'render-is-not-cluster-or-pipeline']),
    );
  });

  it('no module breaks one', () => {
    const violations = result.summary.violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`);
    expect(violations).toEqual([]);
  });
});

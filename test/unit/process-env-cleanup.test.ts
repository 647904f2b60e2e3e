// Two small properties of the scale work: Go children run with the collector tuned unless the user
// tuned it, and a build copy removed in the background is still removed by an interrupt meanwhile.
import { existsSync, mkdirSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { goChildEnv, SMALL_BUILD_BYTES } from '../../src/process/go-env.js';
import { registerAsyncCleanup, runAllCleanups } from '../../src/model/cleanup.js';

describe('goChildEnv', () => {
  it('turns the collector off below a soft memory limit for a build known to be small', () => {
    expect(goChildEnv({ PATH: '/bin' }, 20_000, { PATH: '/bin' })).toEqual({ PATH: '/bin', GOGC: 'off', GOMEMLIMIT: '128MiB' });
    expect(goChildEnv({ PATH: '/bin' }, SMALL_BUILD_BYTES, {})).toMatchObject({ GOGC: 'off' });
  });

  it("keeps Go's defaults for a large build, or one whose input is unknown (a whole-repository copy, a chart)", () => {
    expect(goChildEnv({ PATH: '/bin' }, SMALL_BUILD_BYTES + 1, {})).toEqual({ PATH: '/bin' });
    expect(goChildEnv({ PATH: '/bin' }, undefined, {})).toEqual({ PATH: '/bin' });
  });

  it("keeps the user's own Go tuning, even for a child given a clean environment", () => {
    expect(goChildEnv({ PATH: '/bin' }, 20_000, { GOGC: '50' })).toEqual({ PATH: '/bin', GOGC: '50' });
    expect(goChildEnv({ PATH: '/bin' }, undefined, { GOMEMLIMIT: '1GiB' })).toEqual({ PATH: '/bin', GOMEMLIMIT: '1GiB' });
  });
});

describe('registerAsyncCleanup', () => {
  const tree = () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'podo-cleanup-test-'));
    mkdirSync(path.join(dir, 'a', 'b'), { recursive: true });
    writeFileSync(path.join(dir, 'a', 'b', 'plain.txt'), 'plaintext');
    return dir;
  };

  it('an interrupt before the background removal has settled removes the directory', async () => {
    const dir = tree();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const removal = registerAsyncCleanup(
      () => rmSync(dir, { recursive: true, force: true }),
      async () => {
        await gate;
        await rm(dir, { recursive: true, force: true });
      },
    );
    const later = removal.later();
    runAllCleanups();
    expect(existsSync(dir)).toBe(false);
    release();
    await later;
    expect(existsSync(dir)).toBe(false);
  });

  it('once the background removal has settled it is forgotten; if it fails the synchronous one runs', async () => {
    const dir = tree();
    let syncRuns = 0;
    const removal = registerAsyncCleanup(
      () => syncRuns++,
      () => rm(dir, { recursive: true, force: true }),
    );
    await removal.later();
    expect(existsSync(dir)).toBe(false);
    runAllCleanups();
    expect(syncRuns).toBe(0);

    const other = tree();
    const failing = registerAsyncCleanup(
      () => rmSync(other, { recursive: true, force: true }),
      () => Promise.reject(new Error('EBUSY')),
    );
    await failing.later();
    expect(existsSync(other)).toBe(false);
  });
});

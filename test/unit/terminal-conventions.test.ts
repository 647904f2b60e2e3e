// Color and spinner follow the conventions of chalk (supports-color) and ci-info, so podo behaves like the
// other tools in the same terminal or CI job.
import { describe, expect, it } from 'vitest';
import { forceColor, isCI, useColor } from '../../src/cli/options.js';
import { progressEnabled } from '../../src/cli/progress.js';

const tty = { isTTY: true };

describe('FORCE_COLOR as chalk reads it', () => {
  it('0 and false are off, 1+ / true / empty are on, unset is undefined', () => {
    expect(forceColor({})).toBeUndefined();
    expect(forceColor({ FORCE_COLOR: '0' })).toBe(false);
    expect(forceColor({ FORCE_COLOR: 'false' })).toBe(false);
    expect(forceColor({ FORCE_COLOR: '1' })).toBe(true);
    expect(forceColor({ FORCE_COLOR: '3' })).toBe(true);
    expect(forceColor({ FORCE_COLOR: 'true' })).toBe(true);
    expect(forceColor({ FORCE_COLOR: '' })).toBe(true);
  });
  it('FORCE_COLOR=0 turns color off on a terminal; FORCE_COLOR=2 turns it on in a pipe', () => {
    expect(useColor({ flag: true, env: { FORCE_COLOR: '0' }, isTTY: true })).toBe(false);
    expect(useColor({ flag: true, env: { FORCE_COLOR: '2' }, isTTY: false })).toBe(true);
  });
  it('TERM=dumb is off, unless forced', () => {
    expect(useColor({ flag: true, env: { TERM: 'dumb' }, isTTY: true })).toBe(false);
    expect(useColor({ flag: true, env: { TERM: 'xterm-256color' }, isTTY: true })).toBe(true);
    expect(useColor({ flag: true, env: { TERM: 'dumb', FORCE_COLOR: '1' }, isTTY: true })).toBe(true);
  });
  it('--no-color and NO_COLOR win over FORCE_COLOR', () => {
    expect(useColor({ flag: false, env: { FORCE_COLOR: '1' }, isTTY: true })).toBe(false);
    expect(useColor({ flag: true, env: { NO_COLOR: '1', FORCE_COLOR: '1' }, isTTY: true })).toBe(false);
    // An empty NO_COLOR is "unset" (no-color.org).
    expect(useColor({ flag: true, env: { NO_COLOR: '' }, isTTY: true })).toBe(true);
  });
});

describe('CI as ci-info detects it', () => {
  it('CI=false is not CI, even with other CI variables set', () => {
    expect(isCI({ CI: 'false' })).toBe(false);
    expect(isCI({ CI: 'false', BUILD_NUMBER: '7' })).toBe(false);
  });
  it('CI=true, CI=1, or a generic CI variable is CI', () => {
    expect(isCI({ CI: 'true' })).toBe(true);
    expect(isCI({ CI: '1' })).toBe(true);
    expect(isCI({ BUILD_ID: '42' })).toBe(true);
    expect(isCI({ CONTINUOUS_INTEGRATION: 'true' })).toBe(true);
    expect(isCI({ RUN_ID: 'x' })).toBe(true);
    expect(isCI({})).toBe(false);
  });
});

describe('progress spinner', () => {
  it('shows only for a person at a terminal', () => {
    expect(progressEnabled(true, tty, {})).toBe(true);
    expect(progressEnabled(false, tty, {})).toBe(false);
    expect(progressEnabled(true, { isTTY: false }, {})).toBe(false);
    expect(progressEnabled(true, tty, { TERM: 'dumb' })).toBe(false);
    expect(progressEnabled(true, tty, { CI: 'true' })).toBe(false);
    expect(progressEnabled(true, tty, { CI: 'false' })).toBe(true);
    // FORCE_COLOR is about color, not about drawing a spinner into a log.
    expect(progressEnabled(true, { isTTY: false }, { FORCE_COLOR: '1' })).toBe(false);
  });
});

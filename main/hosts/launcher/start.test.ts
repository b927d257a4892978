import { describe, expect, it } from 'vitest';
import { hasDisplay, type ElectronLookup } from './electron-binary';
import { chooseHost, type HostProbe } from './start';

function probe(overrides: Partial<HostProbe> & { lookups?: ElectronLookup[] } = {}): HostProbe & { downloads: number } {
  const lookups = overrides.lookups ?? [{ found: true, binary: '/opt/electron' }];
  let at = 0;
  const result = {
    downloads: 0,
    hasDisplay: () => true,
    find: () => lookups[Math.min(at++, lookups.length - 1)]!,
    download: () => {
      result.downloads++;
      return false;
    },
    announceDownload: () => {},
    ...overrides,
  };
  return result;
}

describe('chooseHost', () => {
  it('runs Electron when its binary is there', () => {
    expect(chooseHost({ browser: false }, probe())).toEqual({ electron: '/opt/electron' });
  });

  it('serves the browser when asked, without looking for Electron', () => {
    const p = probe({ find: () => ({ found: false, reason: 'unreached' }) });
    expect(chooseHost({ browser: true }, p)).toEqual({ browserReason: 'browser mode requested (--browser)' });
  });

  it('serves the browser when there is no display', () => {
    expect(chooseHost({ browser: false }, probe({ hasDisplay: () => false }))).toEqual({
      browserReason: 'no display to open a window on',
    });
  });

  it('downloads a missing binary on first start, as Electron does, and uses it', () => {
    const p = probe({
      lookups: [
        { found: false, reason: "Electron's binary is not downloaded" },
        { found: true, binary: '/dl/electron' },
      ],
      download: () => true,
    });
    expect(chooseHost({ browser: false }, p)).toEqual({ electron: '/dl/electron' });
  });

  it('falls back to browser mode, saying why, when the download fails', () => {
    const p = probe({ lookups: [{ found: false, reason: "Electron's binary is not downloaded" }] });
    expect(chooseHost({ browser: false }, p)).toEqual({
      browserReason: "Electron's binary is not downloaded and could not be downloaded",
    });
    expect(p.downloads).toBe(1);
  });

  it('does not try to download when the electron package itself is absent', () => {
    const p = probe({ lookups: [{ found: false, reason: 'the electron package is not installed' }] });
    expect(chooseHost({ browser: false }, p)).toMatchObject({ browserReason: expect.stringMatching(/not installed/) });
    expect(p.downloads).toBe(0);
  });
});

describe('hasDisplay', () => {
  it('needs DISPLAY or WAYLAND_DISPLAY on Linux only', () => {
    expect(hasDisplay({}, 'linux')).toBe(false);
    expect(hasDisplay({ DISPLAY: ':0' }, 'linux')).toBe(true);
    expect(hasDisplay({ WAYLAND_DISPLAY: 'wayland-0' }, 'linux')).toBe(true);
    expect(hasDisplay({}, 'darwin')).toBe(true);
    expect(hasDisplay({}, 'win32')).toBe(true);
  });
});

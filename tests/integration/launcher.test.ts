import { describe, expect, it } from 'vitest';
import { startApp } from '../helpers/app';
import { requireBuild } from '../helpers/services';

describe('npm start without a display', () => {
  requireBuild();

  it('says why in one line and serves browser mode on loopback with a token', async () => {
    const env = { ...process.env };
    delete env.DISPLAY;
    delete env.WAYLAND_DISPLAY;
    const app = await startApp([], env);
    try {
      expect(app.banner).toMatch(
        /^Loupe runs in browser mode \(no display to open a window on\): open http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{43}$/,
      );
    } finally {
      await app.stop();
    }
  });
});

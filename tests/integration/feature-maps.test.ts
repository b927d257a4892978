/**
 * Feature maps through the services and the real CLI (bin/loupe.mjs) on a workspace with a tiny
 * classification run: `review.featureMaps` gives the engine's activations of the image the Review
 * section shows, and `loupe feature-maps` writes them as a grid and one grey PNG per channel (each
 * channel's 0 and 255 its own minimum and maximum, listed in feature-maps.json) with the first
 * convolution's filters; the channel cap is kept and said; an unknown layer is refused with the list.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normalisedChannel, type ReplyOf } from '../../contract/index';
import { GRID_GAP, GRID_TILES_PER_ROW, tileScale } from '../../main/services/explain/feature-grid';
import { runCli } from '../helpers/cli';
import { caller } from '../helpers/labels';
import { reviewWorkspace, type ReviewWorkspace } from '../helpers/review-workspace';
import { realServices } from '../helpers/services';

const CLI_TIMEOUT_MS = 300_000;
/** Fewer than the run's last layer has, so the cap shows. */
const CAPPED = 5;

const { services, log } = realServices();
const call = caller(services, log);
let dir: string;
let workspace: string;
let setup: ReviewWorkspace;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'loupe-feature-maps-'));
  workspace = path.join(dir, 'ws');
  await call('workspace.open', { path: workspace, create: true });
  setup = await reviewWorkspace(call, dir);
}, 600_000);
afterAll(async () => {
  await services.dispose();
  rmSync(dir, { recursive: true, force: true });
});

const firstImage = (): number => [...setup.scans.imageIds.values()].sort((a, b) => a - b)[0]!;

describe('feature maps', () => {
  it('review.featureMaps: every layer by name, channel-major activations, the first convolution', async () => {
    const reply = await call('review.featureMaps', { runId: setup.runId, imageId: firstImage() });
    expect(reply.layer).toBe(reply.layers.at(-1));
    expect(reply.count).toBe(Math.min(reply.total, 64));
    expect(reply.activations.length).toBe(reply.count * reply.rows * reply.columns);
    expect(reply.frame).toBe(0);
    expect([reply.frameRows, reply.frameColumns]).toEqual([24, 24]);
    expect(reply.filters).toMatchObject({ inputChannels: 1 });
    const first = await call('review.featureMaps', {
      runId: setup.runId,
      imageId: firstImage(),
      layer: reply.layers[0]!,
    });
    expect([first.rows, first.columns]).toEqual([first.input.rows, first.input.columns]);
    expect(first.layer).toBe(reply.layers[0]);
    await expect(
      call('review.featureMaps', { runId: setup.runId, imageId: firstImage(), layer: 'no-such-layer' }),
    ).rejects.toThrow(/not a feature map of this model\. Choose one of: /);
  });

  it(
    'loupe feature-maps writes the grid, one PNG per channel equal to the engine, and the filters',
    async () => {
      const image = services.imaging.get(firstImage()).record.path;
      const out = path.join(dir, 'maps');
      const run = await runCli(
        [
          'feature-maps',
          '--workspace',
          workspace,
          '--run',
          setup.runId,
          '--image',
          image,
          '--channels',
          String(CAPPED),
          '--out',
          out,
          '--json',
        ],
        { timeoutMs: CLI_TIMEOUT_MS },
      );
      expect(run.code, run.stderr).toBe(0);
      const reply = JSON.parse(run.stdout) as ReplyOf<'explain.featureMaps'>;
      expect(reply.count).toBe(CAPPED);
      expect(reply.total).toBeGreaterThan(CAPPED);
      expect(JSON.parse(readFileSync(path.join(out, 'feature-maps.json'), 'utf8'))).toMatchObject({
        format: 'loupe-feature-maps',
        layer: reply.layer,
        count: CAPPED,
      });
      expect(readdirSync(path.join(out, 'channels'))).toHaveLength(CAPPED);

      const engine = await call('review.featureMaps', { runId: setup.runId, imageId: firstImage() });
      const pixels = engine.rows * engine.columns;
      for (const channel of reply.channels) {
        const grey = await sharp(path.join(out, channel.file)).extractChannel(0).raw().toBuffer();
        const expected = normalisedChannel(engine.activations, channel.index, pixels);
        expect(grey.length).toBe(pixels);
        grey.forEach((g, i) => expect(Math.abs(g - 255 * expected[i]!)).toBeLessThanOrEqual(0.5 + 1e-3));
        const raw = engine.activations.subarray(channel.index * pixels, (channel.index + 1) * pixels);
        expect(channel.min).toBeCloseTo(Math.min(...raw), 5);
        expect(channel.max).toBeCloseTo(Math.max(...raw), 5);
      }
      const scale = tileScale(reply.rows, reply.columns);
      const grid = await sharp(path.join(out, reply.grid)).metadata();
      expect(grid.width).toBe(CAPPED * (reply.columns * scale + GRID_GAP) + GRID_GAP);
      expect(grid.height).toBe(reply.rows * scale + 2 * GRID_GAP);

      const filters = engine.filters!;
      expect(reply.filters).toMatchObject({ layer: filters.layer, count: Math.min(CAPPED, filters.total) });
      const filterGrid = await sharp(path.join(out, reply.filters!.file)).metadata();
      const across = Math.min(GRID_TILES_PER_ROW, reply.filters!.count);
      const filterScale = tileScale(filters.kernelRows, filters.kernelColumns);
      expect(filterGrid.width).toBe(across * (filters.kernelColumns * filterScale + GRID_GAP) + GRID_GAP);
      expect(filterGrid.channels).toBe(1);
    },
    CLI_TIMEOUT_MS,
  );

  it(
    'loupe feature-maps refuses an unknown layer with the list, and a busy folder',
    async () => {
      const image = services.imaging.get(firstImage()).record.path;
      const unknown = await runCli(
        [
          'feature-maps',
          '--workspace',
          workspace,
          '--run',
          setup.runId,
          '--image',
          image,
          '--layer',
          'nope',
          '--out',
          path.join(dir, 'x'),
        ],
        { timeoutMs: CLI_TIMEOUT_MS },
      );
      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toMatch(/The layer "nope" is not a feature map of this model\. Choose one of: /);
      const busy = await runCli(
        [
          'feature-maps',
          '--workspace',
          workspace,
          '--run',
          setup.runId,
          '--image',
          image,
          '--out',
          path.join(dir, 'maps'),
        ],
        { timeoutMs: CLI_TIMEOUT_MS },
      );
      expect(busy.code).toBe(2);
      expect(busy.stderr).toMatch(/is not empty/);
    },
    CLI_TIMEOUT_MS,
  );
});

/**
 * `explain.featureMaps` (contract/channels/feature-maps.ts, `loupe feature-maps`): one layer's
 * feature maps of a completed run's model on an image file, from the engine's `featureMaps`,
 * written as PNGs — a grid of every channel sent, one grey file per channel at the layer's
 * resolution, the first convolution's filters as a grid — and feature-maps.json with each
 * channel's raw range (a channel PNG's 0 and 255 are that channel's minimum and maximum).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import {
  FEATURE_MAPS_FILE,
  LoupeError,
  normalisedChannel,
  type ParsedRequestOf,
  type ReplyOf,
} from '../../../contract/index';
import type { EngineSupervisor } from '../../engine/supervisor';
import { engineFrame } from '../batch/batch-job';
import type { ImagingService } from '../imaging/imaging-service';
import type { WorkspaceService } from '../workspace/workspace-service';
import { explainableRun } from './explain-service';
import { prepareOutput, writeOutputFile } from './explain-output';
import { filterTiles, tileGrid, type Tile } from './feature-grid';
import { encodePng, heatmapPng } from './heatmap-png';

export const CHANNELS_FOLDER = 'channels';
export const GRID_FILE = 'grid.png';
export const FILTERS_FILE = 'filters.png';

type Reply = ReplyOf<'explain.featureMaps'>;

export async function writeFeatureMaps(
  workspaces: WorkspaceService,
  imaging: ImagingService,
  engine: EngineSupervisor,
  request: ParsedRequestOf<'explain.featureMaps'>,
  signal: AbortSignal,
): Promise<Reply> {
  const { modelDir } = explainableRun(workspaces.require(), request.runId);
  const image = path.resolve(request.image);
  if (!existsSync(image)) throw new LoupeError('NOT_FOUND', `${image} does not exist.`);
  const frame = await imaging.pool.frame(image, 0);
  const maps = await engine.call(
    'featureMaps',
    {
      modelDir,
      frame: engineFrame(frame),
      maxChannels: request.maxChannels,
      ...(request.layer === undefined ? {} : { layer: request.layer }),
    },
    { signal },
  );
  const out = path.resolve(request.out);
  await prepareOutput(out, request.force, [CHANNELS_FOLDER]);
  const pixels = maps.rows * maps.columns;
  const digits = String(maps.count - 1).length;
  const tiles: Tile[] = [];
  const channels: Reply['channels'] = [];
  for (let index = 0; index < maps.count; index++) {
    const raw = maps.activations.subarray(index * pixels, (index + 1) * pixels);
    const values = normalisedChannel(maps.activations, index, pixels);
    tiles.push({ values, rows: maps.rows, columns: maps.columns });
    const file = `${CHANNELS_FOLDER}/${maps.layer.replace(/[^A-Za-z0-9._-]/g, '_')}-${String(index).padStart(digits, '0')}.png`;
    await writeOutputFile(out, file, await heatmapPng({ values, rows: maps.rows, columns: maps.columns }));
    channels.push({
      index,
      file,
      min: raw.reduce((a, b) => Math.min(a, b)),
      max: raw.reduce((a, b) => Math.max(a, b)),
    });
  }
  const grid = tileGrid(tiles, maps.rows, maps.columns, 1);
  await writeOutputFile(out, GRID_FILE, await encodePng(grid.pixels, grid.columns, grid.rows, 1));
  let filters: Reply['filters'] = null;
  if (maps.filters) {
    const f = maps.filters;
    const drawn = filterTiles(f.weights, f.count, f.inputChannels, f.kernelRows, f.kernelColumns);
    const filterGrid = tileGrid(drawn.tiles, f.kernelRows, f.kernelColumns, drawn.channels);
    await writeOutputFile(
      out,
      FILTERS_FILE,
      await encodePng(filterGrid.pixels, filterGrid.columns, filterGrid.rows, drawn.channels),
    );
    filters = { layer: f.layer, count: f.count, total: f.total, file: FILTERS_FILE };
  }
  const reply: Reply = {
    out,
    runId: request.runId,
    image,
    layers: maps.layers,
    layer: maps.layer,
    count: maps.count,
    total: maps.total,
    rows: maps.rows,
    columns: maps.columns,
    grid: GRID_FILE,
    channels,
    filters,
  };
  const document = { format: 'loupe-feature-maps', version: 1, createdAt: new Date().toISOString(), ...reply };
  await writeOutputFile(out, FEATURE_MAPS_FILE, `${JSON.stringify(document, null, 2)}\n`);
  return reply;
}

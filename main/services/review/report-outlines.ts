/** The masks kept with segmentation verdicts (mask-trail.ts), decoded for the report's outlines. */
import type { MaskVerdict } from '../../../contract/index';
import { decodeMaskPng } from '../labels/mask-files';
import type { Workspace } from '../workspace/workspace';
import { verdictMaskPngs } from './mask-trail';
import type { VerdictOutlines } from './report-masks';

export async function maskOutlines(
  ws: Workspace,
  verdicts: readonly MaskVerdict[],
): Promise<Map<number, VerdictOutlines>> {
  const out = new Map<number, VerdictOutlines>();
  for (const v of verdicts) {
    const pngs = verdictMaskPngs(ws.db, v.id);
    out.set(v.id, {
      predicted: pngs.predicted ? await decodeMaskPng(pngs.predicted) : null,
      correct: pngs.correct ? await decodeMaskPng(pngs.correct) : null,
    });
  }
  return out;
}

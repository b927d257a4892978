/**
 * The VOI LUT Sequence (PS3.3 C.11.2): lookup tables from modality values to display values, an
 * alternative to window centre/width. Each becomes a window choice named by its LUT Explanation,
 * offered after the header's window/level presets; the viewer looks values up in its table and
 * scales the entries to 8 bits as DCMTK's dcm2pnm +Wl does (the top 8 of the entry's bits).
 */
import type { WindowSetting } from '../../../contract/channels/imaging';
import { DecodeError } from '../errors';
import { descriptor, tableData } from './palette';
import type { DataSet } from './parser-lib';

/** Tables offered per image: enough for any scanner's presets, and it bounds what the image record stores. */
const MAX_VOI_LUTS = 4;
/** Longest explanation kept as the choice's name. */
const MAX_NAME_LENGTH = 64;

export function readVoiLuts(dataSet: DataSet, signedValues: boolean): WindowSetting[] {
  const items = dataSet.elements.x00283010?.items ?? [];
  const windows: WindowSetting[] = [];
  for (const [index, item] of items.slice(0, MAX_VOI_LUTS).entries()) {
    const lut = item.dataSet;
    if (!lut) continue;
    const d = descriptor(lut, 'x00283002', signedValues);
    if (d.bits < 1 || d.bits > 16)
      throw new DecodeError(
        'unsupported',
        `VOI LUT ${index + 1} has ${d.bits}-bit entries (0028,3002); Loupe reads up to 16.`,
      );
    const table = tableData(lut, 'x00283006', d.entries, d.bits > 8 ? 16 : 8);
    const explanation = lut.string('x00283003')?.trim().slice(0, MAX_NAME_LENGTH);
    windows.push({
      // The table's input range, where a drag of the window starts from when the user leaves the table.
      center: d.first + d.entries / 2,
      width: d.entries,
      name: explanation || `VOI LUT ${index + 1}`,
      lut: { firstMapped: d.first, bits: d.bits, table: Array.from(table) },
    });
  }
  return windows;
}

/** Where a demo folder keeps what (demo-folder.ts writes it), and what its demo.json says it holds. */
import type { WasherSummary } from './demo-washers';
import type { PartClass } from './part-image';

export const DEMO_DATASET_FOLDER = 'parts';
export const DEMO_MASKS_FOLDER = 'defects';
export const DEMO_INBOX_FOLDER = 'inbox';
export const DEMO_TRUTH_FILE = 'inbox-truth.csv';
export const SUMMARY_FILE = 'demo.json';
/** The washers, a folder each under their split (demo-washers.ts), and a reference picture of each test washer. */
export const DEMO_WASHERS_FOLDER = 'washers';
export const DEMO_WASHER_REFERENCES_FOLDER = 'washer-references';

export interface DemoFolderSummary {
  folder: string;
  datasetFolder: string;
  /** The same labelled parts with their defects' masks (image-mask layout). */
  masksFolder: string;
  inboxFolder: string;
  classes: readonly PartClass[];
  /** Labelled images per split. */
  splits: Record<'train' | 'val' | 'test', number>;
  inbox: number;
  inboxDefects: number;
  /** The seed every picture was drawn with. */
  seed: number;
  /** The washers for a verifier; null in a folder written before they were part of the demo. */
  washers: WasherSummary | null;
  /**
   * The demo tasks whose imports into this folder's workspace finished, by name; null in a folder
   * from before they were recorded (its tasks are taken as finished).
   */
  imported: string[] | null;
}

/**
 * What the Label section's box layer edits when it is not the image's saved boxes: a list held by
 * someone else (a reviewer's correction of a detector's boxes), with the image's size and the
 * classes a box may take. Edits go through `setBoxes`, so nothing is saved until its owner says so.
 */
import type { BoxLabel } from '../../../contract/index';

export interface BoxTarget {
  boxes: readonly BoxLabel[];
  width: number;
  height: number;
  classes: readonly { id: number; name: string; color: string }[];
  setBoxes(next: BoxLabel[]): void;
}

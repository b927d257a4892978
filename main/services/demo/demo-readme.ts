/** README.txt of a demo folder (demo-folder.ts): what each subfolder holds and the commands that use it. */
import path from 'node:path';
import {
  DEMO_DATASET_FOLDER,
  DEMO_INBOX_FOLDER,
  DEMO_MASKS_FOLDER,
  DEMO_TRUTH_FILE,
  DEMO_WASHERS_FOLDER,
  DEMO_WASHER_REFERENCES_FOLDER,
  type DemoFolderSummary,
} from './demo-layout';

export function readme(summary: DemoFolderSummary): string {
  return `Loupe demo data: synthetic images of machined washers, 64 x 64 grey PNG, some with a defect
(a scratch, a pit or a chip out of the rim). Made by \`loupe demo\`; nothing here is a real part or patient.

${DEMO_DATASET_FOLDER}/     ${summary.splits.train + summary.splits.val + summary.splits.test} labelled images: <split>/<class>/<image> (classes: ${summary.classes.join(', ')})
${DEMO_MASKS_FOLDER}/   the same images as <split>/images/<image> beside <split>/masks/<image> (1 = defect), with labelmap.csv,
           and each defect's box in boxes-<split>.json (COCO)
${DEMO_INBOX_FOLDER}/      ${summary.inbox} unlabelled images (${summary.inboxDefects} defects) for a batch run
${DEMO_TRUTH_FILE}  the class of every inbox image, to check a batch run's predictions against
${washersLine(summary)}
Try it from the command line (W: a workspace folder; RUN: the run id \`loupe train\` prints):
  npx loupe labels import --workspace W --format imagefolder --task parts "${summary.datasetFolder}"
  npx loupe train --workspace W --task parts
  npx loupe predict --workspace W --run RUN --in "${summary.inboxFolder}" --out predictions
and for a U-Net that outlines the defects, and a detector that boxes them:
  npx loupe labels import --workspace W --format image-mask --task defects "${summary.masksFolder}"
  npx loupe train --workspace W --task defects
  npx loupe labels import --workspace W --format coco --task boxes --split train "${path.join(summary.masksFolder, 'boxes-train.json')}"
  (and boxes-val.json with --split val, boxes-test.json with --split test), then
  npx loupe train --workspace W --task boxes
and for a verifier that tells whether two pictures show the same washer:
  npx loupe labels import --workspace W --format imagefolder --task washers "${path.join(summary.folder, DEMO_WASHERS_FOLDER)}"
  npx loupe train --workspace W --task washers --kind verification
  npx loupe gallery enrol --workspace W --run RUN --label file "${path.join(summary.folder, DEMO_WASHER_REFERENCES_FOLDER)}"
  npx loupe predict --workspace W --run RUN --in "${path.join(summary.folder, DEMO_WASHERS_FOLDER, 'test')}" --gallery --format csv,jsonl --out matches
`;
}

function washersLine(summary: DemoFolderSummary): string {
  if (!summary.washers) return '';
  const { train, val, test } = summary.washers.identities;
  return `${DEMO_WASHERS_FOLDER}/    ${train + val + test} washers, ${summary.washers.shotsPerWasher} pictures of each: <split>/<washer>/<shot> (each split its own washers:
           ${train} train, ${val} val, ${test} test), for a verifier that tells whether two pictures show one washer
${DEMO_WASHER_REFERENCES_FOLDER}/  one more picture of each of the ${test} test washers, named for it: a gallery to enrol
`;
}

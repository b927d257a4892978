/** The app's sections, in the order of the work: import, label, train, review, batch, export. */
export interface SectionInfo {
  path: string;
  name: string;
  /** Alt+key jumps to the section. */
  key: string;
  /** What the section is for, shown as the navigation link's tooltip. */
  purpose: string;
}

export const SECTIONS: readonly SectionInfo[] = [
  {
    path: '/workspace',
    name: 'Workspace',
    key: '1',
    purpose: 'Your workspace and its images: import folders of DICOM and raster images, browse and view them.',
  },
  {
    path: '/label',
    name: 'Label',
    key: '2',
    purpose: 'Annotate images: class tags, segmentation masks, bounding boxes and same/different pairs.',
  },
  {
    path: '/train',
    name: 'Train',
    key: '3',
    purpose: 'Train classification, segmentation, detection and verification models on this machine, with live curves.',
  },
  {
    path: '/review',
    name: 'Review',
    key: '4',
    purpose: "Review a model's predictions image by image and record verdicts in an audit trail.",
  },
  {
    path: '/batch',
    name: 'Batch',
    key: '5',
    purpose: 'Run a trained model over whole folders and save the results as CSV, JSON, masks and overlays.',
  },
  {
    path: '/export',
    name: 'Export',
    key: '6',
    purpose: 'Export trained models for edge devices (TF.js, ONNX, int8) with a model card.',
  },
];

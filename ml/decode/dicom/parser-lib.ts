/**
 * dicom-parser ships a CommonJS (UMD) bundle. Node's ESM loader cannot see its named exports, so
 * they sit on `default` there; bundlers and vitest give the namespace directly. One import for both.
 */
import * as dicomParserNamespace from 'dicom-parser';

type DicomParser = typeof dicomParserNamespace;

const dicomParser: DicomParser =
  (dicomParserNamespace as unknown as { default?: DicomParser }).default ?? dicomParserNamespace;

export default dicomParser;
export type { DataSet, Element, Fragment } from 'dicom-parser';

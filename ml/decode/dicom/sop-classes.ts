/**
 * DICOM objects that are not images (PS3.4 Annex B, PS3.6 Annex A): a PACS export folder holds
 * them beside the images, and they are skipped, not failed. Named in the user's words.
 */

/** Exact SOP Class UIDs of non-image objects. */
const NON_IMAGE_CLASSES: Readonly<Record<string, string>> = {
  '1.2.840.10008.1.3.10': 'DICOMDIR',
  '1.2.840.10008.5.1.4.1.1.88.59': 'Key Object Selection',
  '1.2.840.10008.5.1.4.1.1.481.3': 'RT Structure Set',
  '1.2.840.10008.5.1.4.1.1.481.5': 'RT Plan',
  '1.2.840.10008.5.1.4.1.1.481.8': 'RT Ion Plan',
  '1.2.840.10008.5.1.4.1.1.481.4': 'RT Treatment Record',
  '1.2.840.10008.5.1.4.1.1.481.6': 'RT Treatment Record',
  '1.2.840.10008.5.1.4.1.1.481.7': 'RT Treatment Record',
  '1.2.840.10008.5.1.4.1.1.481.9': 'RT Treatment Record',
  '1.2.840.10008.5.1.4.1.1.66': 'Raw Data',
  '1.2.840.10008.5.1.4.1.1.66.1': 'Spatial Registration',
  '1.2.840.10008.5.1.4.1.1.66.2': 'Spatial Fiducials',
  '1.2.840.10008.5.1.4.1.1.66.3': 'Deformable Spatial Registration',
  '1.2.840.10008.5.1.4.1.1.66.5': 'Surface Segmentation',
  '1.2.840.10008.5.1.4.1.1.104.1': 'Encapsulated PDF',
  '1.2.840.10008.5.1.4.1.1.104.2': 'Encapsulated CDA',
  '1.2.840.10008.5.1.4.1.1.104.3': 'Encapsulated STL',
  '1.2.840.10008.5.1.4.1.1.104.4': 'Encapsulated OBJ',
  '1.2.840.10008.5.1.4.1.1.104.5': 'Encapsulated MTL',
};

/** Families of non-image classes, by UID prefix (each ends in a dot). */
const NON_IMAGE_FAMILIES: readonly [prefix: string, name: string][] = [
  ['1.2.840.10008.5.1.4.1.1.88.', 'Structured Report'],
  ['1.2.840.10008.5.1.4.1.1.11.', 'Presentation State'],
  ['1.2.840.10008.5.1.4.1.1.9.', 'Waveform'],
];

/**
 * The kind of non-image object a SOP Class UID names, or null for image classes and unknown UIDs.
 * RT Image and RT Dose (481.1, 481.2) carry pixels and are not listed.
 */
export function nonImageKind(sopClassUid: string | null): string | null {
  if (!sopClassUid) return null;
  const exact = NON_IMAGE_CLASSES[sopClassUid];
  if (exact) return exact;
  return NON_IMAGE_FAMILIES.find(([prefix]) => sopClassUid.startsWith(prefix))?.[1] ?? null;
}

/**
 * Whether a class key also moves to the next image. Only where one key finishes an image: a
 * single-label classification task with one image selected. Multi-label images take several keys
 * (each toggles a class), and a key on several selected images assigns them all at once.
 */
export function advancesAfterClassKey(context: {
  autoAdvance: boolean;
  kind: string;
  multiLabel: boolean;
  selectedImages: number;
}): boolean {
  return context.autoAdvance && context.kind === 'classification' && !context.multiLabel && context.selectedImages <= 1;
}

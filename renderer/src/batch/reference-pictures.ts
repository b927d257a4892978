/**
 * Pictures of a verification model's gallery references, for the lists that name them (a batch's
 * nearest references, the run's Gallery tab): a reference enrolled from a workspace image shows
 * that image's thumbnail, one enrolled from a file that file's first frame (batch.galleryPictures),
 * windowed as the viewer opens it. Fetched once per model and reference.
 */
import { ref, watch, type Ref } from 'vue';
import { galleryImageId, MAX_GALLERY_PICTURES, type FramePixels, type RequestOf } from '../../../contract/index';
import { loupe } from '../client/index';
import { useImagesStore } from '../stores/images';
import { drawFrame } from '../viewer/draw-frame';

type Model = RequestOf<'batch.galleryPictures'>['model'];

/** A frame as a PNG data URL, windowed as the viewer opens it. */
function dataUrl(frame: FramePixels): string {
  const canvas = document.createElement('canvas');
  drawFrame(canvas, frame);
  return canvas.toDataURL();
}

export function useReferencePictures(
  model: () => Model | null,
  ids: () => readonly string[],
): { pictureOf: (id: string) => string | undefined } {
  const images = useImagesStore();
  /** Pictures of file references, by id; null: it could not be read (moved since?). */
  const pictures: Ref<Map<string, string | null>> = ref(new Map());
  let picturesOf = '';
  /** Ids being fetched, so a list shown again meanwhile does not ask for them twice. */
  let pending = new Set<string>();

  watch(
    () => [model(), ids()] as const,
    async ([current, wanted]) => {
      if (!current) return;
      const key = JSON.stringify(current);
      if (picturesOf !== key) [picturesOf, pictures.value, pending] = [key, new Map(), new Set()];
      images.requestThumbnails(wanted.map(galleryImageId).filter((id): id is number => id !== null));
      const asking = pending;
      const missing = [
        ...new Set(wanted.filter((id) => galleryImageId(id) === null && !pictures.value.has(id) && !asking.has(id))),
      ];
      missing.forEach((id) => asking.add(id));
      // A screenful a call: the services read the gallery once for each.
      for (let start = 0; start < missing.length; start += MAX_GALLERY_PICTURES) {
        const some = missing.slice(start, start + MAX_GALLERY_PICTURES);
        const reply = await loupe()
          .invoke('batch.galleryPictures', { model: current, ids: some })
          .catch(() => ({ pictures: some.map((id) => ({ id, frame: null })) }));
        some.forEach((id) => asking.delete(id));
        if (picturesOf !== key) return;
        const next = new Map(pictures.value);
        for (const { id, frame } of reply.pictures) next.set(id, frame && dataUrl(frame));
        pictures.value = next;
      }
    },
    { immediate: true },
  );

  return {
    pictureOf(id) {
      const imageId = galleryImageId(id);
      return (imageId === null ? pictures.value.get(id) : images.thumbnails.get(imageId)) ?? undefined;
    },
  };
}

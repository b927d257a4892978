import { defineStore } from 'pinia';
import { ref } from 'vue';
import { absolutePathSchema, type GalleryLabelSource, type GalleryListing } from '../../../contract/index';
import { loupe, messageOf } from '../client/index';

/**
 * The gallery of a verification model folder named in the Batch form (a model outside the
 * workspace, which has no run and so no Gallery tab): its references listed, the files of a folder
 * enrolled (with progress and cancel; the files that could not be, with why), references removed.
 * The same gallery.json that `loupe gallery` builds and a batch's gallery match reads.
 */
export const useFolderGalleryStore = defineStore('folderGallery', () => {
  /** The model folder shown; null: none. */
  const dir = ref<string | null>(null);
  const listing = ref<GalleryListing | null>(null);
  const enrolling = ref<{ done: number; total: number } | null>(null);
  const failures = ref<{ path: string; reason: string }[]>([]);
  const busy = ref(false);
  const error = ref<string | null>(null);
  let enrolRequest: string | null = null;

  /** Runs `work` on the folder shown; a reply for a folder no longer shown is dropped. */
  async function attempt<T>(work: (model: { dir: string }) => Promise<T>): Promise<T | null> {
    const shown = dir.value;
    if (shown === null) return null;
    busy.value = true;
    error.value = null;
    try {
      const result = await work({ dir: shown });
      return shown === dir.value ? result : null;
    } catch (e) {
      if (shown === dir.value) error.value = messageOf(e);
      return null;
    } finally {
      busy.value = false;
    }
  }

  /** Shows the gallery of model folder `path` (an absolute path, as the channels take; anything else shows none), read afresh. */
  async function show(path: string): Promise<void> {
    const next = absolutePathSchema.safeParse(path.trim()).success ? path.trim() : null;
    if (next !== dir.value) {
      dir.value = next;
      listing.value = null;
      failures.value = [];
      error.value = null;
    }
    // Read again each time it is shown: `loupe gallery` may have changed it meanwhile.
    await load();
  }

  async function load(): Promise<void> {
    const reply = await attempt((model) => loupe().invoke('batch.gallery', { model }));
    if (reply) listing.value = reply;
  }

  /** Enrols every image file under `path`, labelled by its folder's or its file's name. */
  async function enrolFiles(path: string, label: GalleryLabelSource): Promise<boolean> {
    if (enrolling.value || !path.trim()) return false;
    failures.value = [];
    enrolRequest = crypto.randomUUID();
    const requestId = enrolRequest;
    enrolling.value = { done: 0, total: 0 };
    try {
      const reply = await attempt((model) =>
        loupe().invoke(
          'batch.galleryEnrol',
          { model, inputs: [path.trim()], label },
          { requestId, onProgress: (p) => (enrolling.value = p) },
        ),
      );
      if (!reply) return false;
      listing.value = reply.gallery;
      failures.value = reply.failures;
      return true;
    } finally {
      enrolling.value = null;
      enrolRequest = null;
    }
  }

  function cancelEnrol(): void {
    if (enrolRequest) loupe().cancel(enrolRequest);
  }

  async function remove(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    const reply = await attempt((model) => loupe().invoke('batch.galleryRemove', { model, remove: { ids: [...ids] } }));
    if (reply) listing.value = reply;
  }

  return { dir, listing, enrolling, failures, busy, error, show, load, enrolFiles, cancelEnrol, remove };
});

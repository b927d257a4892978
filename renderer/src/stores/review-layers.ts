import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import type { ReplyOf } from '../../../contract/index';
import { loupe, messageOf } from '../client/index';
import { channelOnFrame } from '../review/feature-tiles';

export type ReviewFeatureMaps = ReplyOf<'review.featureMaps'>;

/** A channel laid over the image, in the shape the heatmap layer draws. */
export interface ChannelOverlay {
  imageId: number;
  frame: number;
  rows: number;
  columns: number;
  heatmap: Float32Array;
  method: 'feature map';
}

/**
 * The Review section's Layers panel: whether it is open (L), the layer shown (null: the
 * backbone's last), that layer's feature maps on the image shown with the first convolution's
 * filters, and the channel pinned over the image instead of the heatmap. Nothing is fetched while
 * the panel is closed: each image costs a forward pass and a reply of up to 64 channels.
 */
export const useReviewLayersStore = defineStore('reviewLayers', () => {
  const open = ref(false);
  const layer = ref<string | null>(null);
  const shown = shallowRef<ReviewFeatureMaps | null>(null);
  const loading = ref(false);
  const error = ref<string | null>(null);
  const pinned = ref<number | null>(null);
  let target: { runId: string; imageId: number } | null = null;
  let generation = 0;
  let requestId: string | null = null;

  const overlay = computed<ChannelOverlay | null>(() => {
    const maps = shown.value;
    const index = pinned.value;
    if (!open.value || !maps || index === null || index >= maps.count) return null;
    return {
      imageId: maps.imageId,
      frame: maps.frame,
      rows: maps.frameRows,
      columns: maps.frameColumns,
      heatmap: channelOnFrame(maps, index, maps.frameRows, maps.frameColumns),
      method: 'feature map',
    };
  });

  async function fetchShown(): Promise<void> {
    if (!open.value || !target) return;
    const mine = ++generation;
    const t = target;
    if (requestId) loupe().cancel(requestId);
    requestId = crypto.randomUUID();
    loading.value = true;
    error.value = null;
    try {
      const reply = await loupe().invoke(
        'review.featureMaps',
        { runId: t.runId, imageId: t.imageId, ...(layer.value === null ? {} : { layer: layer.value }) },
        { requestId },
      );
      if (mine !== generation) return;
      shown.value = reply;
      if (pinned.value !== null && pinned.value >= reply.count) pinned.value = null;
    } catch (e) {
      if (mine === generation) error.value = messageOf(e);
    } finally {
      if (mine === generation) {
        loading.value = false;
        requestId = null;
      }
    }
  }

  /** The image shown changed: its maps, when the panel is open. */
  async function show(runId: string, imageId: number): Promise<void> {
    target = { runId, imageId };
    await fetchShown();
  }

  async function toggle(): Promise<void> {
    open.value = !open.value;
    if (open.value && (!shown.value || shown.value.imageId !== target?.imageId)) await fetchShown();
  }

  async function setLayer(next: string | null): Promise<void> {
    layer.value = next;
    pinned.value = null;
    await fetchShown();
  }

  /** Lays channel `index` over the image; the pinned one again goes back to the heatmap. */
  function pin(index: number): void {
    pinned.value = pinned.value === index ? null : index;
  }

  /** Another run: its layers are another model's. */
  function reset(): void {
    generation++;
    if (requestId) loupe().cancel(requestId);
    requestId = null;
    target = null;
    shown.value = null;
    layer.value = null;
    pinned.value = null;
    loading.value = false;
    error.value = null;
  }

  return { open, layer, shown, loading, error, pinned, overlay, show, toggle, setLayer, pin, reset };
});

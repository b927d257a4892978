/** The image view's keyboard shortcuts: the viewer's full set, or the few labeling leaves free. */
import { onMounted, onScopeDispose } from 'vue';
import { CT_WINDOW_PRESETS } from '../../../contract/index';
import { useViewerStore } from '../stores/viewer';
import { isTyping } from './keys';

export interface ViewKeysOptions {
  keymap: () => 'viewer' | 'labeling';
  /** CT presets have their own keys only on CT images. */
  isCt: () => boolean;
  setMode: (mode: 'fit' | 'actual') => void;
}

export function useViewKeys(options: ViewKeysOptions): void {
  const viewer = useViewerStore();

  function onKey(event: KeyboardEvent): void {
    if (isTyping(event) || event.altKey || event.ctrlKey || event.metaKey) return;
    if (options.keymap() === 'labeling') return onLabelingKey(event);
    const preset = options.isCt() ? CT_WINDOW_PRESETS.find((p) => p.key === event.key) : undefined;
    if (preset) viewer.setWindow(preset);
    else if (event.key === 'f') options.setMode('fit');
    else if (event.key === '1') options.setMode('actual');
    else if (event.key === 'r') viewer.resetWindow();
    else if (event.key === 'ArrowRight' || event.key === 'ArrowDown' || event.key === 'PageDown')
      void viewer.showFrame(viewer.frame + 1);
    else if (event.key === 'ArrowLeft' || event.key === 'ArrowUp' || event.key === 'PageUp')
      void viewer.showFrame(viewer.frame - 1);
    else return;
    event.preventDefault();
  }

  /** The keys labeling leaves to the view. */
  function onLabelingKey(event: KeyboardEvent): void {
    if (event.key === 'f') options.setMode('fit');
    else if (event.key === '0') options.setMode('actual');
    else if (event.key === 'R' && event.shiftKey) viewer.resetWindow();
    else if (event.key === 'PageDown') void viewer.showFrame(viewer.frame + 1);
    else if (event.key === 'PageUp') void viewer.showFrame(viewer.frame - 1);
    else return;
    event.preventDefault();
  }

  onMounted(() => window.addEventListener('keydown', onKey));
  onScopeDispose(() => window.removeEventListener('keydown', onKey));
}

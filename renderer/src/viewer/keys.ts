/**
 * Whether a key press belongs to a text field (or a select): single-letter shortcuts must not fire
 * while someone types a class name or a path.
 */
export function isTyping(event: KeyboardEvent): boolean {
  const target = event.target;
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  if (target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return true;
  // A focused slider owns the arrow keys (they move it); other keys stay shortcuts.
  if (target instanceof HTMLInputElement && target.type === 'range')
    return event.key.startsWith('Arrow') || event.key === 'Home' || event.key === 'End';
  if (target instanceof HTMLInputElement) return !['checkbox', 'radio', 'button', 'color'].includes(target.type);
  return false;
}

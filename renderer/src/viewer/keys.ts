/**
 * Whether a key press belongs to a text field (or a select): single-letter shortcuts must not fire
 * while someone types a class name or a path.
 */
export function isTyping(event: KeyboardEvent): boolean {
  const target = event.target;
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  if (target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return true;
  if (target instanceof HTMLInputElement) return !['checkbox', 'radio', 'range', 'button', 'color'].includes(target.type);
  return false;
}

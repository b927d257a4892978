/**
 * The last thing the worker loaded from a folder, kept for the calls after it: batch predictions
 * call predict many times with one model, two at a time, so a load in progress is shared rather
 * than started twice. A load that failed is not kept (the next call tries again); the thing it
 * replaces is disposed.
 */
export class LastLoaded<T extends { dispose(): void }> {
  private kept: { dir: string; modified: number; value: Promise<T> } | null = null;

  /** The value loaded from `dir` whose file was last modified at `modified`, loading it if need be. */
  get(dir: string, modified: number, load: () => Promise<T>): Promise<T> {
    if (this.kept && this.kept.dir === dir && this.kept.modified === modified) return this.kept.value;
    const previous = this.kept?.value;
    const loading = load();
    this.kept = { dir, modified, value: loading };
    loading.catch(() => {
      if (this.kept?.value === loading) this.kept = null;
    });
    previous?.then(
      (p) => p.dispose(),
      () => {},
    );
    return loading;
  }
}

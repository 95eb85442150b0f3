/**
 * Values loaded from the database and kept while one change counter holds (see
 * store/generation.ts): the clock's fixed instant, license terms, an organization or company
 * looked up by id. The counter must be read before the value is loaded, so a value is never older
 * than the counter it is kept under; when the counter moves, everything kept is dropped.
 */
export class VersionedMemo {
  private version: number | undefined;
  private readonly values = new Map<string, Promise<unknown>>();

  constructor(private readonly maxEntries = 10_000) {}

  get<T>(version: number, key: string, load: () => Promise<T>): Promise<T> {
    if (version !== this.version) {
      // Any other value, older ones too (a request that read the counter just before it moved):
      // a counter is only compared for equality, never ordered.
      this.values.clear();
      this.version = version;
    }
    const kept = this.values.get(key);
    if (kept) return kept as Promise<T>;
    if (this.values.size >= this.maxEntries) this.values.delete(this.values.keys().next().value!);
    const loading = load();
    this.values.set(key, loading);
    // A failed load (database unavailable) is not kept.
    loading.catch(() => {
      if (this.values.get(key) === loading) this.values.delete(key);
    });
    return loading;
  }
}

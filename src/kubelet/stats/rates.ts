// usageNanoCores from two readings of a cumulative CPU counter, as the kubelet derives it
// from its cached previous sample: the average rate over the time between the two.
export class CpuRates {
  private prev = new Map<string, { total: number; at: number }>();
  private next = new Map<string, { total: number; at: number }>();

  /** Records a reading (`total` ns of CPU at `atNs`) and returns the rate since the previous one, if any. */
  rate(key: string, total: number, atNs: number): number | undefined {
    const before = this.prev.get(key) ?? this.next.get(key);
    this.next.set(key, { total, at: atNs });
    if (!before || atNs <= before.at || total < before.total) return undefined;
    return Math.round(((total - before.total) / (atNs - before.at)) * 1e9);
  }

  /** Ends a round of readings: keys not read in it are forgotten. */
  endRound(): void {
    this.prev = this.next;
    this.next = new Map();
  }
}

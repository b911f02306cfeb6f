// Shuffle sharding: a flow's hash deals it a hand of `handSize` distinct queues out of
// `deckSize`, so two flows rarely share a whole hand and one heavy flow can fill only its
// own hand's queues (Kubernetes' shufflesharding.Dealer, same idea: mixed-radix digits).
import { createHash } from 'node:crypto';

/** A 64-bit hash of a flow key (schema name + distinguisher). */
export function flowHash(schema: string, distinguisher: string): bigint {
  const h = createHash('sha256').update(schema).update('\0').update(distinguisher).digest();
  return h.readBigUInt64BE(0);
}

/** The queue indices dealt to `hash`: distinct, each in [0, deckSize). */
export function dealHand(hash: bigint, deckSize: number, handSize: number): number[] {
  const n = Math.min(handSize, deckSize);
  const remaining = Array.from({ length: deckSize }, (_, i) => i);
  const hand: number[] = [];
  let h = hash;
  for (let i = 0; i < n; i++) {
    const radix = BigInt(deckSize - i);
    const pick = Number(h % radix);
    h /= radix;
    hand.push(remaining[pick]!);
    // Swap-remove keeps the draw uniform over the cards left.
    remaining[pick] = remaining[remaining.length - 1]!;
    remaining.pop();
  }
  return hand;
}

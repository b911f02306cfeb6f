// Flow control between a WebSocket and the socket it is joined to. SPDY as spdystream speaks
// it has none, and WebSocket has none either, so without this a fast producer on one side
// (a big `kubectl cp` either way) fills the other side's memory. Above HIGH bytes in flight
// the producer is paused; below LOW it resumes.
import type { WebSocket } from 'ws';

export const HIGH_WATER = 4 * 1024 * 1024;
export const LOW_WATER = 1024 * 1024;

/** Sends to a WebSocket, pausing `source` while too much is unsent. */
export class WebSocketSender {
  private inFlight = 0;
  private paused = false;

  constructor(
    private readonly ws: WebSocket,
    private readonly pause: (paused: boolean) => void,
  ) {}

  send(data: Buffer): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    this.inFlight += data.length;
    this.ws.send(data, () => {
      this.inFlight -= data.length;
      if (this.paused && this.inFlight < LOW_WATER) {
        this.paused = false;
        this.pause(false);
      }
    });
    if (!this.paused && this.inFlight > HIGH_WATER) {
      this.paused = true;
      this.pause(true);
    }
  }
}

/** Pauses a WebSocket's incoming messages while the socket it feeds has too much unsent. */
export function throttleWebSocket(ws: WebSocket, backlog: () => number, onDrain: (fn: () => void) => void): () => void {
  let paused = false;
  return () => {
    if (paused || backlog() <= HIGH_WATER) return;
    paused = true;
    ws.pause();
    onDrain(() => {
      paused = false;
      ws.resume();
    });
  };
}

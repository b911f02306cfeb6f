// A bounded map of tokens whose signature was already checked, so that a token seen again
// costs a map lookup instead of an RSA verification. Only the signature is cached: expiry,
// audiences and the bound objects are checked on every request.
const DEFAULT_SIZE = 10_000;

export class VerifiedTokenCache<T> {
  private readonly map = new Map<string, T>();

  constructor(private readonly size = DEFAULT_SIZE) {}

  get(token: string): T | undefined {
    return this.map.get(token);
  }

  set(token: string, value: T): void {
    // Oldest first out: a Map keeps insertion order.
    if (this.map.size >= this.size) this.map.delete(this.map.keys().next().value!);
    this.map.set(token, value);
  }
}

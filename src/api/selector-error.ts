/** A label or field selector that does not parse; its message is Kubernetes' wording. */
export class SelectorParseError extends Error {
  override name = 'SelectorParseError';
}

// The API's timestamp format for the controllers: RFC 3339 in UTC at second precision.

export function rfc3339(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

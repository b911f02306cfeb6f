// Kubernetes' `$(VAR)` syntax for env values, command and args: `$(NAME)` becomes the
// variable's value, `$$` an escaped `$`, and a reference to an unknown name — or one left
// unclosed — stays in the text exactly as written, so that typos show up in the container.

/** A lookup over several maps in order; unknown names map back to their literal `$(NAME)`. */
export function mappingFor(...contexts: ReadonlyMap<string, string>[]): (name: string) => string {
  return (name) => {
    for (const ctx of contexts) {
      const v = ctx.get(name);
      if (v !== undefined) return v;
    }
    return `$(${name})`;
  };
}

export function expand(input: string, mapping: (name: string) => string): string {
  let out = '';
  let checkpoint = 0;
  for (let cursor = 0; cursor < input.length; cursor++) {
    if (input[cursor] !== '$' || cursor + 1 >= input.length) continue;
    out += input.slice(checkpoint, cursor);
    const next = input[cursor + 1];
    let advance = 1;
    if (next === '$') out += '$';
    else if (next === '(') {
      const close = input.indexOf(')', cursor + 2);
      if (close >= 0) {
        out += mapping(input.slice(cursor + 2, close));
        advance = close - cursor;
      } else out += '$(';
    } else out += `$${next}`;
    cursor += advance;
    checkpoint = cursor + 1;
  }
  return out + input.slice(checkpoint);
}

/** The container's command and args with `$(VAR)` resolved against its environment. */
export function expandCommandAndArgs(
  command: string[] | undefined,
  args: string[] | undefined,
  env: { key: string; value: string }[],
): { command?: string[]; args?: string[] } {
  const mapping = mappingFor(new Map(env.map((e) => [e.key, e.value])));
  return {
    command: command?.map((c) => expand(c, mapping)),
    args: args?.map((a) => expand(a, mapping)),
  };
}

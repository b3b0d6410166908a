// The run and tag filters the user types: a regex when it parses, otherwise a plain substring.

export interface Matcher {
  test(s: string): boolean;
  /** Why the filter is not a valid regex, or null. */
  error: string | null;
}

export function makeMatcher(filter: string): Matcher {
  if (!filter) return { test: () => true, error: null };
  try {
    const re = new RegExp(filter, "i");
    return { test: (s) => re.test(s), error: null };
  } catch (e) {
    const needle = filter.toLowerCase();
    return { test: (s) => s.toLowerCase().includes(needle), error: e instanceof Error ? e.message : String(e) };
  }
}

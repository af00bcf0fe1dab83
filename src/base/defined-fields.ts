// A record's fields that are set: where an override left a field undefined, the layer below it
// keeps its value.

export function definedFields<T extends object>(values: T | undefined): Partial<T> {
  const set: Partial<T> = {};
  if (values === undefined) return set;
  for (const key in values) if (values[key] !== undefined) set[key] = values[key];
  return set;
}

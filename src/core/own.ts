/**
 * `table[key]` for a key that comes from outside (user input, a reply, an errno code), reading own
 * properties only: "constructor", "toString" or "__proto__" never find Object.prototype's members.
 */
export function own<T>(table: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}

/** Placeholder until the scale section lands: says so instead of measuring nothing silently. */
export async function runScale(_options: { bin: string; env: NodeJS.ProcessEnv }): Promise<string> {
  return "scale: not measured yet";
}

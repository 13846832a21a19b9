/** Placeholder until the peers section lands: says so instead of measuring nothing silently. */
export async function runPeers(_options: { bin: string; env: NodeJS.ProcessEnv }): Promise<string> {
  return "peers: not measured yet";
}

import { open, readFile, rename, unlink } from "node:fs/promises";
import { dirname, join } from "node:path";

/**
 * Writes `text` to `path` atomically: a temp file in the same directory, fsync, rename, then fsync
 * of the directory. A crash or a full disk leaves either the old file or the new one, never a torn
 * one. The file is created with mode 0600.
 */
export async function writeFileAtomic(path: string, text: string): Promise<void> {
  const temp = join(dirname(path), `.${process.pid}.${Date.now()}.tmp`);
  const handle = await open(temp, "w", 0o600);
  try {
    await handle.writeFile(text);
    await handle.sync();
  } catch (error) {
    await handle.close().catch(() => {});
    await unlink(temp).catch(() => {});
    throw error;
  }
  await handle.close();
  try {
    await rename(temp, path);
  } catch (error) {
    await unlink(temp).catch(() => {});
    throw error;
  }
  const directory = await open(dirname(path), "r").catch(() => undefined);
  if (directory) {
    await directory.sync().catch(() => {});
    await directory.close();
  }
}

export type ReadResult =
  | { kind: "ok"; text: string }
  | { kind: "missing" }
  | { kind: "unreadable"; reason: string };

export async function readTextFile(path: string): Promise<ReadResult> {
  try {
    return { kind: "ok", text: await readFile(path, "utf8") };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return { kind: "missing" };
    return { kind: "unreadable", reason: code ?? String(error) };
  }
}

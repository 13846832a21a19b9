/**
 * Questions on a terminal, for the interactive `homing init`: a line with readline's editing, or a
 * hidden line (a secret: nothing it types reaches the screen). Ctrl-C and Ctrl-D (end of input)
 * reject the pending question with `PromptAborted`, so the caller can stop before writing anything.
 */
import { createInterface } from "node:readline";
import { Writable } from "node:stream";

export class PromptAborted extends Error {
  override name = "PromptAborted";
}

export interface Prompter {
  /** Prints text (a newline is added when missing). */
  say(text: string): void;
  /** One line, trimmed. */
  ask(question: string): Promise<string>;
  /** One line that is never echoed: not the characters, not their number. Not trimmed. */
  askHidden(question: string): Promise<string>;
  close(): void;
}

export interface TerminalStreams {
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream & { columns?: number };
}

export function terminalPrompter({ input, output }: TerminalStreams): Prompter {
  // readline writes its echo (and every redraw of the line) here; while a secret is typed, nowhere.
  let muted = false;
  const sink = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      if (!muted) output.write(chunk);
      done();
    },
  });
  Object.defineProperty(sink, "columns", { get: () => output.columns ?? 80 });
  // No history: a secret typed at a hidden prompt must not come back with the up arrow.
  const lines = createInterface({ input, output: sink, terminal: true, historySize: 0 });
  let closedBecause: string | undefined;
  let pending: ((error: Error) => void) | undefined;
  lines.on("SIGINT", () => {
    closedBecause ??= "interrupted (Ctrl-C)";
    lines.close();
  });
  lines.on("close", () => {
    closedBecause ??= "the input ended (Ctrl-D)";
    pending?.(new PromptAborted(closedBecause));
    pending = undefined;
  });

  const question = (text: string): Promise<string> =>
    new Promise((resolve, reject) => {
      if (closedBecause !== undefined) return reject(new PromptAborted(closedBecause));
      pending = reject;
      lines.question(text, (answer) => {
        pending = undefined;
        resolve(answer);
      });
    });

  return {
    say(text) {
      output.write(text.endsWith("\n") ? text : `${text}\n`);
    },
    async ask(text) {
      return (await question(text)).trim();
    },
    async askHidden(text) {
      output.write(text);
      muted = true;
      try {
        return await question("");
      } finally {
        muted = false;
        output.write("\n");
      }
    },
    close() {
      closedBecause ??= "closed";
      lines.close();
    },
  };
}

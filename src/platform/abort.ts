/**
 * Links a child AbortController to a parent signal and an optional deadline, and returns a
 * cleanup that removes the listener and the timer. Used instead of AbortSignal.any/timeout on
 * paths that repeat in the daemon: those keep their timer (and everything listening to the
 * combined signal) alive until the deadline passes, which grows memory round after round.
 */
export function linkedController(
  parent: AbortSignal | undefined,
  options: { timeoutMs?: number; onTimeout?: () => unknown } = {},
): { controller: AbortController; dispose: () => void } {
  const controller = new AbortController();
  const onParentAbort = () => controller.abort(parent?.reason);
  if (parent?.aborted) controller.abort(parent.reason);
  else parent?.addEventListener("abort", onParentAbort, { once: true });
  let timer: NodeJS.Timeout | undefined;
  if (options.timeoutMs !== undefined && !controller.signal.aborted) {
    timer = setTimeout(() => {
      const reason =
        options.onTimeout?.() ?? new DOMException("The operation was aborted due to timeout", "TimeoutError");
      controller.abort(reason);
    }, options.timeoutMs);
  }
  return {
    controller,
    dispose() {
      clearTimeout(timer);
      parent?.removeEventListener("abort", onParentAbort);
    },
  };
}

/** Ctrl-C (or SIGTERM) runs `stop` once, then exits: everything started is ended by its owner. */
export function stopOnSignal(message: string, stop: () => Promise<void>): void {
  let stopping = false;
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      console.log(message);
      void stop().then(() => process.exit(0));
    });
  }
}

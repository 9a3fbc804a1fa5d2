/** Ends a process on a start-up error with one readable line instead of a stack trace. */
export function fatal(component: string) {
  return (err: unknown): never => {
    const message = err instanceof Error ? err.message : String(err);
    console.error(`[${component}] ${message}`);
    if (process.env.DEBUG && err instanceof Error) console.error(err.stack);
    process.exit(1);
  };
}

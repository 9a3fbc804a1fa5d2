/** One readable line for anything thrown: some libraries reject with undefined, a string or a plain object. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  if (err === undefined || err === null) return `failed without giving a reason (it threw ${String(err)})`;
  if (typeof err === 'string') return err;
  try {
    return JSON.stringify(err) ?? String(err);
  } catch {
    return String(err);
  }
}

/** Ends a process on a start-up error with one readable line instead of a stack trace. */
export function fatal(component: string) {
  return (err: unknown): never => {
    console.error(`[${component}] ${errorMessage(err)}`);
    if (process.env.DEBUG && err instanceof Error) console.error(err.stack);
    process.exit(1);
  };
}

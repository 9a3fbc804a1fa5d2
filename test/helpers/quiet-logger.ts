// Webpack's and Temporal core's chatter off in test output; errors still print.
export const quietLogger = {
  log: () => {},
  trace: () => {},
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: (m: string, meta?: unknown) => console.error(m, meta ?? ''),
};

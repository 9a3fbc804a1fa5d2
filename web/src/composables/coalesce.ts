/**
 * `task` with at most one run in flight: a call while it runs asks for exactly one more run after it, however many
 * calls came meanwhile. A burst of live changes then costs two fetches, not one per change, and the last change is
 * never missed (the run after it starts once it arrived). The promise settles when a run that started after the call
 * has finished. `task` reports its own errors.
 */
export function coalesced(task: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | null = null
  let again = false

  async function loop(): Promise<void> {
    try {
      do {
        again = false
        await task()
      } while (again)
    } finally {
      running = null
    }
  }

  return () => {
    if (running) {
      again = true
      return running
    }
    running = loop()
    return running
  }
}

import { computed, ref } from 'vue'
import { GraphQLRequestError, type FieldProblem } from '../graphql/errors'

/**
 * Runs one action of a form at a time and keeps what went wrong: problems of the fields the form shows are
 * given to those fields (fieldError); anything else goes to the form's own error line.
 *
 * @param known the field names the form shows (prefix matches: "sla" claims "sla.responseMinutes.high")
 * @param strip a prefix the server puts before field names ("settings.")
 */
export function useAction(opts: { known?: string[]; strip?: string } = {}) {
  const busy = ref(false)
  const message = ref<string | null>(null)
  const problems = ref<FieldProblem[]>([])

  const name = (p: FieldProblem) =>
    opts.strip && p.field.startsWith(opts.strip) ? p.field.slice(opts.strip.length) : p.field
  const matches = (field: string, wanted: string) => field === wanted || field.startsWith(`${wanted}.`)
  const claimed = (p: FieldProblem) => (opts.known ?? []).some((k) => matches(name(p), k))

  function fieldError(field: string): string | null {
    const mine = problems.value.filter((p) => matches(name(p), field))
    return mine.length ? mine.map((p) => p.message).join('; ') : null
  }

  /** The form-level line: the message, or the problems no field of the form shows. */
  const error = computed(() => {
    if (!problems.value.length) return message.value
    const rest = problems.value.filter((p) => !claimed(p))
    // None of them has a field here: the server's own sentence says it best.
    if (rest.length === problems.value.length && message.value) return message.value
    if (!rest.length) return 'Please correct the fields marked below.'
    return rest.map((p) => `${name(p)}: ${p.message}`).join('; ')
  })

  function reset(): void {
    message.value = null
    problems.value = []
  }

  /** Marks fields as wrong before anything is sent (checks the browser can make). */
  function invalid(list: FieldProblem[]): void {
    message.value = null
    problems.value = list
  }

  async function run<T>(fn: () => Promise<T>): Promise<T | undefined> {
    if (busy.value) return undefined
    busy.value = true
    reset()
    try {
      return await fn()
    } catch (e) {
      if (e instanceof GraphQLRequestError && e.fields.length) problems.value = e.fields
      message.value = (e as Error).message || 'Something went wrong'
      return undefined
    } finally {
      busy.value = false
    }
  }

  return { busy, error, problems, fieldError, run, reset, invalid }
}

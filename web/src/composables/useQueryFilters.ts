import { computed, type ComputedRef } from 'vue'
import { useRoute, useRouter, type LocationQuery } from 'vue-router'

/** One value of a route param or query key as a string: '' when absent, the first of a repeated key. */
export function single(value: LocationQuery[string] | string | string[] | undefined): string {
  const v = Array.isArray(value) ? value[0] : value
  return v ?? ''
}

/**
 * A page's filters kept in the URL's query (#/alerts?q=disk&severity=high), so a link shares them, a reload keeps
 * them and back/forward walks through them. Call from a component's setup.
 */
export function useQueryFilters() {
  const route = useRoute()
  const router = useRouter()
  return {
    /**
     * Filters read from the query. The computed keeps its previous object while the values are equal, so a navigation
     * that leaves them alone (opening an incident, leaving the page) does not make the page reload its data.
     */
    read<T>(fromQuery: () => T): ComputedRef<T> {
      return computed((previous?: T) => {
        const next = fromQuery()
        return previous !== undefined && JSON.stringify(previous) === JSON.stringify(next) ? previous : next
      })
    },
    /** The query value for `key`, '' when absent. */
    get: (key: string): string => single(route.query[key]),
    /**
     * Writes the filters as a new history entry on the same path; empty values are left out so an unfiltered page
     * has a clean address.
     */
    set: (values: Record<string, string>): Promise<unknown> =>
      router.push({ path: route.path, query: Object.fromEntries(Object.entries(values).filter(([, v]) => v)) }),
  }
}

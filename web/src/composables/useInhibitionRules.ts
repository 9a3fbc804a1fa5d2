import { ref, watch, type Ref } from 'vue'
import { request } from '../graphql/client'
import { CREATE_INHIBITION_RULE, DELETE_INHIBITION_RULE, INHIBITION_RULES } from '../graphql/tenant-operations'
import type { InhibitionRule, InhibitionRuleInput } from '../graphql/tenant-types'

/** A company's inhibition rules; creating one (refusals come back by field) and deleting one. */
export function useInhibitionRules(companyId: Ref<string>) {
  const rules = ref<InhibitionRule[]>([])
  const loading = ref(false)
  const error = ref<string | null>(null)

  async function load(): Promise<void> {
    const current = companyId.value
    loading.value = true
    error.value = null
    try {
      const data = await request<{ company: { inhibitionRules: InhibitionRule[] } | null }>(INHIBITION_RULES, {
        companyId: current,
      })
      if (current !== companyId.value) return
      rules.value = data.company?.inhibitionRules ?? []
    } catch (e) {
      if (current === companyId.value) error.value = (e as Error).message
    } finally {
      if (current === companyId.value) loading.value = false
    }
  }
  watch(companyId, load, { immediate: true })

  /** Throws GraphQLRequestError with the fields the server refused. */
  async function create(input: Omit<InhibitionRuleInput, 'companyId'>): Promise<InhibitionRule> {
    const data = await request<{ createInhibitionRule: InhibitionRule }>(CREATE_INHIBITION_RULE, {
      input: { ...input, companyId: companyId.value },
    })
    await load()
    return data.createInhibitionRule
  }

  async function remove(id: string): Promise<void> {
    await request(DELETE_INHIBITION_RULE, { id })
    await load()
  }

  return { rules, loading, error, reload: load, create, remove }
}

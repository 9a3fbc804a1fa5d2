import { ref, watch, type Ref } from 'vue'
import { request } from '../graphql/client'
import { COMPANY, UPDATE_COMPANY } from '../graphql/tenant-operations'
import type { CompanyDetail } from '../graphql/tenant-types'

/** One company (name, settings, signing secret state), and saving its name and settings. */
export function useCompany(id: Ref<string>) {
  const company = ref<CompanyDetail | null>(null)
  const loading = ref(false)
  const error = ref<string | null>(null)

  async function load(): Promise<void> {
    const current = id.value
    loading.value = true
    error.value = null
    try {
      const data = await request<{ company: CompanyDetail | null }>(COMPANY, { id: current })
      if (current !== id.value) return
      company.value = data.company
      if (!data.company) error.value = 'Company not found'
    } catch (e) {
      if (current === id.value) error.value = (e as Error).message
    } finally {
      if (current === id.value) loading.value = false
    }
  }

  watch(
    id,
    () => {
      company.value = null
      void load()
    },
    { immediate: true },
  )

  /** Settings is a partial patch: a key set to null returns to the install default. */
  async function save(input: { name?: string; settings?: Record<string, unknown> }): Promise<void> {
    const { updateCompany } = await request<{ updateCompany: CompanyDetail }>(UPDATE_COMPANY, { id: id.value, input })
    company.value = updateCompany
  }

  return { company, loading, error, reload: load, save }
}

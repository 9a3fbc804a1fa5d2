import { ref, watch, type Ref } from 'vue'
import { request } from '../graphql/client'
import { ARCHIVE_COMPANY, COMPANIES, CREATE_COMPANY, RESTORE_COMPANY } from '../graphql/tenant-operations'
import type { CompanySummary } from '../graphql/tenant-types'

/** The companies the caller may see (archived ones too when asked), with create/archive/restore. */
export function useCompanies(includeArchived: Ref<boolean> = ref(false)) {
  const companies = ref<CompanySummary[]>([])
  const loading = ref(false)
  const error = ref<string | null>(null)
  let seq = 0

  async function load(): Promise<void> {
    const mine = ++seq
    loading.value = true
    error.value = null
    try {
      const data = await request<{ companies: CompanySummary[] }>(COMPANIES, {
        includeArchived: includeArchived.value,
      })
      if (mine === seq) companies.value = data.companies
    } catch (e) {
      if (mine === seq) error.value = (e as Error).message
    } finally {
      if (mine === seq) loading.value = false
    }
  }

  watch(includeArchived, load, { immediate: true })

  async function create(name: string): Promise<CompanySummary> {
    const { createCompany } = await request<{ createCompany: CompanySummary }>(CREATE_COMPANY, {
      input: { name, settings: {} },
    })
    await load()
    return createCompany
  }

  async function setArchived(id: string, archived: boolean): Promise<void> {
    await request(archived ? ARCHIVE_COMPANY : RESTORE_COMPANY, { id })
    await load()
  }

  return { companies, loading, error, reload: load, create, setArchived }
}

import { ref, watch, type Ref } from 'vue'
import { request } from '../graphql/client'
import { CREATE_SILENCE, EXPIRE_SILENCE, SILENCES } from '../graphql/tenant-operations'
import type { MutedAlert, Silence, SilenceInput } from '../graphql/tenant-types'

/** A company's silences and the alerts muted lately; creating and expiring silences. */
export function useSilences(companyId: Ref<string>) {
  const silences = ref<Silence[]>([])
  const muted = ref<{ total: number; alerts: MutedAlert[] }>({ total: 0, alerts: [] })
  const loading = ref(false)
  const error = ref<string | null>(null)

  async function load(): Promise<void> {
    const current = companyId.value
    loading.value = true
    error.value = null
    try {
      const data = await request<{ company: { silences: Silence[]; mutedAlerts: typeof muted.value } | null }>(
        SILENCES,
        { companyId: current },
      )
      if (current !== companyId.value || !data.company) return
      silences.value = data.company.silences
      muted.value = data.company.mutedAlerts
    } catch (e) {
      if (current === companyId.value) error.value = (e as Error).message
    } finally {
      if (current === companyId.value) loading.value = false
    }
  }

  async function expire(id: string): Promise<void> {
    await request(EXPIRE_SILENCE, { id })
    await load()
  }

  watch(companyId, load, { immediate: true })
  return { silences, muted, loading, error, load, expire }
}

/** Creates a silence; throws GraphQLRequestError with the fields the server refused. */
export async function createSilence(input: SilenceInput): Promise<Silence> {
  const data = await request<{ createSilence: Silence }>(CREATE_SILENCE, { input })
  return data.createSilence
}

import { ref, watch, type Ref } from 'vue'
import { request } from '../graphql/client'
import {
  ADD_ON_CALL_OVERRIDE,
  DELETE_ON_CALL_SCHEDULE,
  ON_CALL_SCHEDULES,
  REMOVE_ON_CALL_OVERRIDE,
  SAVE_ON_CALL_SCHEDULE,
  type OnCallOverrideInput,
  type OnCallSchedule,
  type OnCallScheduleInput,
} from '../graphql/on-call-operations'
import type { CompanySettings } from '../graphql/tenant-types'

/**
 * A company's on-call schedules with who is on call now, and (company admins) saving and deleting them and adding
 * and removing overrides. Every change reloads the list: "on call now" is the server's to compute. The changes
 * throw GraphQLRequestError with the fields the server refused.
 */
export function useOnCall(companyId: Ref<string>) {
  const schedules = ref<OnCallSchedule[]>([])
  /** The company's time zone, in which handoff times and start dates are read. */
  const timeZone = ref('UTC')
  const loading = ref(false)
  const loaded = ref(false)
  const error = ref<string | null>(null)

  async function load(): Promise<void> {
    const current = companyId.value
    loading.value = true
    error.value = null
    try {
      const data = await request<{
        company: { settings: CompanySettings | null; onCallSchedules: OnCallSchedule[] } | null
      }>(ON_CALL_SCHEDULES, { companyId: current })
      if (current !== companyId.value || !data.company) return
      schedules.value = data.company.onCallSchedules
      timeZone.value = data.company.settings?.timeZone || 'UTC'
      loaded.value = true
    } catch (e) {
      if (current === companyId.value) error.value = (e as Error).message
    } finally {
      if (current === companyId.value) loading.value = false
    }
  }
  watch(companyId, load, { immediate: true })

  /** Creates a schedule (id null), or replaces the one with this id. */
  async function save(id: string | null, input: OnCallScheduleInput): Promise<OnCallSchedule> {
    const data = await request<{ saveOnCallSchedule: OnCallSchedule }>(SAVE_ON_CALL_SCHEDULE, { id, input })
    await load()
    return data.saveOnCallSchedule
  }

  async function remove(id: string): Promise<void> {
    await request(DELETE_ON_CALL_SCHEDULE, { id })
    await load()
  }

  async function addOverride(input: OnCallOverrideInput): Promise<void> {
    await request(ADD_ON_CALL_OVERRIDE, { input })
    await load()
  }

  async function removeOverride(id: string): Promise<void> {
    await request(REMOVE_ON_CALL_OVERRIDE, { id })
    await load()
  }

  return { schedules, timeZone, loading, loaded, error, reload: load, save, remove, addOverride, removeOverride }
}

import { ref, watch, type Ref } from 'vue'
import { request } from '../graphql/client'
import {
  DISABLE_PERSON,
  ENABLE_PERSON,
  INVITE_PERSON,
  ISSUE_PASSWORD_LINK,
  PEOPLE,
  UPDATE_PERSON,
} from '../graphql/tenant-operations'
import type { Role } from '../graphql/types'
import type { PasswordLink, Person } from '../graphql/tenant-types'

export interface PersonInput {
  name: string
  role: Role
  companyIds: string[]
  categories: string[]
}

/** The people of one company, and inviting and managing them. Links to set a password come back once. */
export function usePeople(companyId: Ref<string>) {
  const people = ref<Person[]>([])
  const loading = ref(false)
  const loaded = ref(false)
  const error = ref<string | null>(null)

  async function load(): Promise<void> {
    const current = companyId.value
    loading.value = true
    error.value = null
    try {
      const data = await request<{ people: Person[] }>(PEOPLE, { companyId: current })
      if (current !== companyId.value) return
      people.value = data.people
      loaded.value = true
    } catch (e) {
      if (current === companyId.value) error.value = (e as Error).message
    } finally {
      if (current === companyId.value) loading.value = false
    }
  }
  watch(companyId, load, { immediate: true })

  async function invite(input: PersonInput & { email: string }): Promise<PasswordLink> {
    const data = await request<{ invitePerson: PasswordLink }>(INVITE_PERSON, { input })
    await load()
    return data.invitePerson
  }

  async function update(id: string, input: Partial<PersonInput>): Promise<void> {
    await request(UPDATE_PERSON, { id, input })
    await load()
  }

  async function setDisabled(id: string, disabled: boolean): Promise<void> {
    await request(disabled ? DISABLE_PERSON : ENABLE_PERSON, { id })
    await load()
  }

  async function issueLink(id: string): Promise<PasswordLink> {
    const data = await request<{ issuePasswordLink: PasswordLink }>(ISSUE_PASSWORD_LINK, { id })
    await load()
    return data.issuePasswordLink
  }

  return { people, loading, loaded, error, reload: load, invite, update, setDisabled, issueLink }
}

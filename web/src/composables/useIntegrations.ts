import { ref, watch, type Ref } from 'vue'
import { request } from '../graphql/client'
import {
  CREATE_KEY,
  INTEGRATIONS,
  REMOVE_SIGNING_SECRET,
  REVOKE_KEY,
  ROTATE_KEY,
  ROTATE_SIGNING_SECRET,
  SET_KEY_POLICY,
} from '../graphql/tenant-operations'
import type { IntegrationKey, IssuedKey, KeyPolicy, SigningSecret } from '../graphql/tenant-types'

interface Integrations {
  signingSecretHint: string | null
  previousSigningSecretExpiresAt: string | null
  integrationKeys: IntegrationKey[]
}

/** A company's integration keys and signing secret. Keys and secrets come back once, from the call that makes them. */
export function useIntegrations(companyId: Ref<string>) {
  const state = ref<Integrations | null>(null)
  const loading = ref(false)
  const error = ref<string | null>(null)

  async function load(): Promise<void> {
    const current = companyId.value
    loading.value = true
    error.value = null
    try {
      const data = await request<{ company: Integrations | null }>(INTEGRATIONS, { id: current })
      if (current === companyId.value) state.value = data.company
    } catch (e) {
      if (current === companyId.value) error.value = (e as Error).message
    } finally {
      if (current === companyId.value) loading.value = false
    }
  }
  watch(companyId, load, { immediate: true })

  const vars = (extra: Record<string, unknown>) => ({ companyId: companyId.value, ...extra })

  /** Without a signing choice the server picks: signed only when the company has a secret. */
  async function createKey(name: string, policy: Partial<KeyPolicy> = {}): Promise<IssuedKey> {
    const data = await request<{ createIntegrationKey: IssuedKey }>(CREATE_KEY, vars({ name, ...policy }))
    await load()
    return data.createIntegrationKey
  }

  async function setKeyPolicy(keyId: string, policy: KeyPolicy): Promise<void> {
    await request(SET_KEY_POLICY, vars({ keyId, ...policy }))
    await load()
  }

  async function rotateKey(keyId: string, overlapHours: number): Promise<IssuedKey> {
    const data = await request<{ rotateIntegrationKey: IssuedKey }>(ROTATE_KEY, vars({ keyId, overlapHours }))
    await load()
    return data.rotateIntegrationKey
  }

  async function revokeKey(keyId: string): Promise<void> {
    await request(REVOKE_KEY, vars({ keyId }))
    await load()
  }

  async function rotateSecret(overlapHours: number): Promise<SigningSecret> {
    const data = await request<{ rotateSigningSecret: SigningSecret }>(ROTATE_SIGNING_SECRET, vars({ overlapHours }))
    await load()
    return data.rotateSigningSecret
  }

  async function removeSecret(): Promise<void> {
    await request(REMOVE_SIGNING_SECRET, vars({}))
    await load()
  }

  return {
    state,
    loading,
    error,
    reload: load,
    createKey,
    rotateKey,
    revokeKey,
    setKeyPolicy,
    rotateSecret,
    removeSecret,
  }
}

import { ref, watch, type Ref } from 'vue'
import { request } from '../graphql/client'
import { ASSETS, DELETE_ASSET, IMPORT_ASSETS, SAVE_ASSET } from '../graphql/tenant-operations'
import type { Asset, AssetInput, UnregisteredAsset } from '../graphql/tenant-types'

/** A company's asset inventory, and the assets alerts named that are not in it. */
export function useAssets(companyId: Ref<string>) {
  const assets = ref<Asset[]>([])
  const unregistered = ref<UnregisteredAsset[]>([])
  const loading = ref(false)
  const loaded = ref(false)
  const error = ref<string | null>(null)

  async function load(): Promise<void> {
    const current = companyId.value
    loading.value = true
    error.value = null
    try {
      const data = await request<{ company: { assets: Asset[]; unregisteredAssets: UnregisteredAsset[] } | null }>(
        ASSETS,
        { id: current },
      )
      if (current !== companyId.value) return
      assets.value = data.company?.assets ?? []
      unregistered.value = data.company?.unregisteredAssets ?? []
      loaded.value = true
    } catch (e) {
      if (current === companyId.value) error.value = (e as Error).message
    } finally {
      if (current === companyId.value) loading.value = false
    }
  }
  watch(companyId, load, { immediate: true })

  async function save(input: AssetInput): Promise<Asset> {
    const data = await request<{ saveAsset: Asset }>(SAVE_ASSET, { companyId: companyId.value, input })
    await load()
    return data.saveAsset
  }

  async function remove(name: string): Promise<void> {
    await request(DELETE_ASSET, { companyId: companyId.value, name })
    await load()
  }

  async function importCsv(csv: string): Promise<{ created: number; updated: number }> {
    const data = await request<{ importAssets: { created: number; updated: number } }>(IMPORT_ASSETS, {
      companyId: companyId.value,
      csv,
    })
    await load()
    return data.importAssets
  }

  return { assets, unregistered, loading, loaded, error, reload: load, save, remove, importCsv }
}

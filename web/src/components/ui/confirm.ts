/** What ConfirmDialog asks, and the action it runs when the user confirms. */
export interface ConfirmRequest {
  title: string
  message: string
  confirmLabel: string
  danger?: boolean
  run: () => Promise<unknown>
}

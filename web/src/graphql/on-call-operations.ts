// On-call rotations of a company (api/graphql/types/on-call.ts): the documents, and a hand-written mirror of their
// types; DateTime is an ISO string.

export interface OnCallLayer {
  /** People in rotation order; the first takes the shift that starts on startDate. */
  userIds: string[]
  /** 1 daily, 7 weekly. */
  rotationDays: number
  /** "HH:MM" in the company's time zone. */
  handoffTime: string
  /** "YYYY-MM-DD" in the company's time zone. */
  startDate: string
}

export interface OnCallOverride {
  id: string
  userId: string
  userEmail: string
  /** 0 primary, 1 backup. */
  layer: number
  startsAt: string
  endsAt: string
  createdBy: string | null
}

export interface OnCallNow {
  layer: number
  userId: string
  email: string | null
  /** false: disabled or no longer a member; the pager skips them. */
  active: boolean
}

export interface OnCallSchedule {
  id: string
  name: string
  /** null: every category without a schedule of its own. */
  category: string | null
  layers: OnCallLayer[]
  /** Current and coming ones. */
  overrides: OnCallOverride[]
  onCallNow: OnCallNow[]
}

export interface OnCallScheduleInput {
  companyId: string
  name: string
  category: string | null
  layers: OnCallLayer[]
}

export interface OnCallOverrideInput {
  scheduleId: string
  userId: string
  layer: number
  startsAt: string
  endsAt: string
}

const SCHEDULE_FIELDS = `
  id name category
  layers { userIds rotationDays handoffTime startDate }
  overrides { id userId userEmail layer startsAt endsAt createdBy }
  onCallNow { layer userId email active }
`

export const ON_CALL_SCHEDULES = /* GraphQL */ `
  query OnCallSchedules($companyId: ID!) {
    company(id: $companyId) { id settings onCallSchedules { ${SCHEDULE_FIELDS} } }
  }
`

export const SAVE_ON_CALL_SCHEDULE = /* GraphQL */ `
  mutation SaveOnCallSchedule($id: ID, $input: OnCallScheduleInput!) {
    saveOnCallSchedule(id: $id, input: $input) { ${SCHEDULE_FIELDS} }
  }
`

export const DELETE_ON_CALL_SCHEDULE = /* GraphQL */ `
  mutation DeleteOnCallSchedule($id: ID!) {
    deleteOnCallSchedule(id: $id)
  }
`

export const ADD_ON_CALL_OVERRIDE = /* GraphQL */ `
  mutation AddOnCallOverride($input: OnCallOverrideInput!) {
    addOnCallOverride(input: $input) { ${SCHEDULE_FIELDS} }
  }
`

export const REMOVE_ON_CALL_OVERRIDE = /* GraphQL */ `
  mutation RemoveOnCallOverride($id: ID!) {
    removeOnCallOverride(id: $id) { ${SCHEDULE_FIELDS} }
  }
`
